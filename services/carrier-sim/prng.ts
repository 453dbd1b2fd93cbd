/**
 * Seedable randomness for fault injection: the same seed and the same request sequence give the same
 * outcomes (a run can be replayed). mulberry32 is small and fast; it is not for anything secret.
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** True with probability `p` (always consumes one draw, so sequences stay aligned). */
  chance(p: number): boolean;
  /** A log-normal draw with the given median and 99th percentile (always consumes two draws). */
  latency(p50: number, p99: number): number;
  shuffle<T>(items: T[]): void;
}

/** z-score of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263;
/** A draw is capped at this multiple of p99: a fault profile never hangs for minutes by accident. */
const LATENCY_CAP_FACTOR = 10;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bits: turns a label such as `42:northwind-mobile:sms` into a PRNG seed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A stable uniform number in [0, 1) for a label: the same label always gives the same value. */
export function stableUniform(label: string): number {
  return mulberry32(hash32(label))();
}

export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  return {
    next,
    chance: (p) => next() < p,
    latency(p50, p99) {
      const u1 = 1 - next();
      const u2 = next();
      if (p50 <= 0) return 0;
      const sigma = p99 > p50 ? Math.log(p99 / p50) / Z99 : 0;
      const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      return Math.min(p50 * Math.exp(sigma * z), Math.max(p99, p50) * LATENCY_CAP_FACTOR);
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = items[i] as (typeof items)[number];
        items[i] = items[j] as (typeof items)[number];
        items[j] = tmp;
      }
    },
  };
}
