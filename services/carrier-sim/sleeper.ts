/**
 * Cancellable timers. Every deliberate wait in the sim (fault latency, hangs, retry backoff) goes
 * through one sleeper, so `close()` can clear them all and leave no handle behind. A cancelled sleep
 * never resolves: the waiting request or retry loop is simply abandoned.
 */
export interface Sleeper {
  sleep(ms: number): Promise<void>;
  cancelAll(): void;
}

export function createSleeper(): Sleeper {
  const timers = new Set<NodeJS.Timeout>();
  let cancelled = false;
  return {
    sleep(ms) {
      if (cancelled) return new Promise<void>(() => {});
      if (ms <= 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, ms);
        timers.add(timer);
      });
    },
    cancelAll() {
      cancelled = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
