import type { Logger } from '../shared/logger';

export interface RunningPeriodic<T> {
  /** Runs once now (tests, startup, shutdown), or joins the run in progress; resolves to its result. */
  tick(): Promise<T | null>;
  /** Stops the timer and waits for a run in progress. */
  close(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs`, one run at a time (a tick during a run joins it). A failure is logged
 * once (`failed`, as a warning with the error) until a run succeeds again (`recovered`), so a
 * database outage does not write a line per tick; a failed run resolves to null. The timer does not
 * keep the process alive.
 */
export function startPeriodic<T>(opts: {
  intervalMs: number;
  run: () => Promise<T>;
  log: Logger;
  failed: string;
  recovered: string;
}): RunningPeriodic<T> {
  let running: Promise<T | null> | null = null;
  let failing = false;

  const tick = (): Promise<T | null> => {
    running ??= opts
      .run()
      .then((r) => {
        if (failing) opts.log.info(opts.recovered);
        failing = false;
        return r;
      })
      .catch((err: Error) => {
        if (!failing) opts.log.warn({ err: err.message }, opts.failed);
        failing = true;
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => void tick(), opts.intervalMs);
  timer.unref();
  return {
    tick,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
