/**
 * Agency holds on customer notices (DOMAIN.md §5, either regime): an investigating agency may direct a
 * carrier not to notify customers for an initial period of up to 30 days, extendable; each directive and
 * its release is recorded in writing. A hold pauses customer notices; its release resumes them.
 */
import { AppError } from '../errors';
import {
  addCalendarDays,
  DEFAULT_TIME_ZONE,
  toZonedDate,
  zonedTimeOfDayMs,
  zonedWallClockToInstant,
} from './zoned-dates';

export interface HoldDirective {
  /** When the agency directed the hold. */
  directedAt: Date;
  /** When the hold lapses unless extended or released earlier. */
  until: Date;
  /** When the agency released it, if it has. */
  releasedAt: Date | null;
}

/** The longest initial hold, in calendar days; extensions may be longer (the agency's judgment). */
export const MAX_INITIAL_HOLD_DAYS = 30;

/**
 * When a hold stops blocking: its release if recorded, else its `until`. A release recorded after `asOf`
 * has not happened yet at `asOf`, so the hold still runs to `until` in that view.
 */
export function holdEnd(hold: HoldDirective, asOf: Date): Date {
  return hold.releasedAt && hold.releasedAt <= asOf ? hold.releasedAt : hold.until;
}

/**
 * A hold is active over the half-open interval [directedAt, end): it blocks from the instant it is
 * directed and no longer blocks at the instant it is released or lapses.
 */
export function isHoldActive(hold: HoldDirective, now: Date): boolean {
  return hold.directedAt <= now && now < holdEnd(hold, now);
}

/**
 * The latest moment an initial hold may run to: the same wall-clock time 30 calendar days after the
 * directive, in the zone (so a daylight-saving change neither gives nor takes an hour).
 */
export function initialHoldLimit(directedAt: Date, zone: string = DEFAULT_TIME_ZONE): Date {
  const date = addCalendarDays(toZonedDate(directedAt, zone), MAX_INITIAL_HOLD_DAYS);
  return zonedWallClockToInstant(date, zonedTimeOfDayMs(directedAt, zone), zone);
}

/**
 * Refuses a hold record that cannot be right: `until` not after `directedAt`, a release before the
 * directive, or, for an initial directive, `until` beyond initialHoldLimit (30 days). An extension is a
 * directive with kind 'extension' and has no fixed limit.
 */
export function validateHold(
  hold: HoldDirective,
  kind: 'initial' | 'extension',
  zone: string = DEFAULT_TIME_ZONE,
): void {
  if (!(hold.until > hold.directedAt)) {
    throw holdError('HOLD_ENDS_BEFORE_START', 'a hold must end after it is directed');
  }
  if (hold.releasedAt && hold.releasedAt < hold.directedAt) {
    throw holdError('HOLD_RELEASED_BEFORE_START', 'a hold cannot be released before it is directed');
  }
  if (kind === 'initial' && hold.until > initialHoldLimit(hold.directedAt, zone)) {
    throw holdError(
      'INITIAL_HOLD_TOO_LONG',
      `an initial hold may last at most ${MAX_INITIAL_HOLD_DAYS} days; record a longer one as an extension`,
    );
  }
}

function holdError(code: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, [{ path: 'hold', code, message }]);
}
