import type { FaultsInput } from '../../services/carrier-sim/faults.schema';
import { mergeFaults, type ScenarioStep } from './scenarios';

export interface AppliedStep {
  /** ms after the trigger */
  atMs: number;
  label: string;
  /** share of notifications terminal when it fired */
  progress: number;
  ok: boolean;
  error?: string;
}

export interface FaultSchedule {
  /** Called by the progress follower with the share of notifications terminal (0..1). */
  progress(share: number): void;
  applied: AppliedStep[];
  /** Stops the timers and puts the base profile back. */
  stop(): Promise<void>;
}

/** PUT /faults on the carrier-sim; throws with the sim's answer when it refuses. */
export async function putFaults(simUrl: string, faults: FaultsInput): Promise<void> {
  const res = await fetch(`${simUrl}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (!res.ok) throw new Error(`PUT /faults answered ${res.status}: ${await res.text()}`);
}

const TICK_MS = 100;

/**
 * Plays a scenario's steps against the carrier-sim from `startedAt` (the trigger): each step fires
 * once, when its time, its progress share, or its delay after the previous step comes. Every step's
 * profile is laid over `base` (e.g. lifted submission limits).
 */
export function runFaultSchedule(opts: {
  simUrl: string;
  steps: readonly ScenarioStep[];
  base: FaultsInput;
  startedAt: number;
  log?: (line: string) => void;
}): FaultSchedule {
  const applied: AppliedStep[] = [];
  let share = 0;
  let next = 0;
  let lastFiredAt = opts.startedAt;
  let busy = false;
  const due = (s: ScenarioStep, now: number): boolean => {
    if (s.atMs !== undefined) return now - opts.startedAt >= s.atMs;
    if (s.atProgress !== undefined) return share >= s.atProgress;
    return now - lastFiredAt >= (s.afterPreviousMs ?? 0);
  };
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      while (next < opts.steps.length && due(opts.steps[next]!, Date.now())) {
        const step = opts.steps[next++]!;
        const now = Date.now();
        lastFiredAt = now;
        const label = step.label ?? `step ${next}`;
        const entry: AppliedStep = { atMs: now - opts.startedAt, label, progress: share, ok: true };
        try {
          await putFaults(opts.simUrl, mergeFaults(opts.base, step.faults));
        } catch (err) {
          entry.ok = false;
          entry.error = (err as Error).message;
        }
        applied.push(entry);
        opts.log?.(
          `faults: ${label} at ${(entry.atMs / 1000).toFixed(1)} s${entry.ok ? '' : ` FAILED: ${entry.error}`}`,
        );
      }
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), TICK_MS);
  return {
    progress(s) {
      share = s;
    },
    applied,
    async stop() {
      clearInterval(timer);
      await putFaults(opts.simUrl, opts.base).catch(() => undefined);
    },
  };
}
