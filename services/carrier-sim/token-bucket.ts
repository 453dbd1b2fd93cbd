/**
 * A carrier's submission limit: a real token bucket, refilled continuously at `ratePerSec` up to
 * `burst` tokens; each message costs one token.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.last = nowMs;
  }

  /**
   * Takes `cost` tokens and returns 0, or returns how many ms to wait before the same request can
   * pass. A full bucket admits a request larger than the burst and goes into debt, so a batch bigger
   * than the burst is slowed down instead of refused forever.
   */
  take(cost: number, nowMs: number): number {
    const wait = this.waitMs(cost, nowMs);
    if (wait === 0) this.tokens -= cost;
    return wait;
  }

  /** How many ms until `cost` tokens could be taken (0: now), without taking them. */
  waitMs(cost: number, nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= cost || this.tokens >= this.burst) return 0;
    const needed = Math.min(cost, this.burst) - this.tokens;
    return Math.max(1, Math.ceil((needed / this.ratePerSec) * 1000));
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.last);
    this.last = nowMs;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.ratePerSec);
  }
}
