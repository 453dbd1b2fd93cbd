import { MAX_START_AHEAD_DAYS } from './api/campaigns.schema';

/**
 * A campaign's schedule (issue 6): when delivery begins and how fast it may go. Pure rules shared by
 * the api (validation at creation, the trigger's delayed fan-out) and the workers (fan-out, redrive).
 */

const DAY_MS = 86_400_000;

/** Why a start time is refused at creation, or null when it is acceptable. */
export function startAtProblem(startAt: Date, now: Date): { code: string; message: string } | null {
  if (Number.isNaN(startAt.getTime())) return { code: 'invalid_instant', message: 'not a valid instant' };
  if (startAt.getTime() - now.getTime() > MAX_START_AHEAD_DAYS * DAY_MS) {
    return {
      code: 'start_too_far',
      message: `startAt may be at most ${MAX_START_AHEAD_DAYS} days ahead (latest ${new Date(
        now.getTime() + MAX_START_AHEAD_DAYS * DAY_MS,
      ).toISOString()})`,
    };
  }
  return null;
}

/** How long fan-out waits: until startAt, or not at all when it is unset or already past. */
export function startDelayMs(startAt: Date | null, nowMs: number): number {
  return startAt ? Math.max(0, startAt.getTime() - nowMs) : 0;
}

/**
 * Chunk size of a throttled campaign: about a tenth of a second's worth, so one chunk (the most a
 * throttle can let through at one instant) is a small burst, and a 1-second window holds at most
 * throttle + chunk notifications. Never above the configured chunk size; unthrottled campaigns keep it.
 * A tenth also keeps the carriers' per-queue limiter (in chunk jobs per second, at least 10 for every
 * registry carrier at the default chunk size) from capping a throttled campaign below its throttle.
 */
export function campaignChunkSize(throttlePerSec: number | null, chunkSize: number): number {
  if (!throttlePerSec) return chunkSize;
  return Math.max(1, Math.min(chunkSize, Math.ceil(throttlePerSec / 10)));
}
