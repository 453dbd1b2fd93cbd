import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'worker' | 'producer';

/**
 * Workers block and must ride out outages (`maxRetriesPerRequest: null`, as BullMQ requires); the
 * API's producers fail fast so a request answers 503 instead of hanging while Redis is down.
 */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const opts: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : {
          // One reconnect attempt per command, then it fails: a request answers 503 in well under
          // a second while Redis is away (the offline queue only bridges the first connect).
          maxRetriesPerRequest: 1,
          connectTimeout: 2_000,
          retryStrategy: (times) => Math.min(times * 200, 2_000),
          ...extra,
        };
  return new Redis(url, opts);
}

/** DESIGN.md: Redis holds work, so eviction would silently lose jobs. */
export async function assertNoEviction(redis: Redis): Promise<void> {
  const res = (await redis.config('GET', 'maxmemory-policy')) as string[];
  const policy = res[1];
  if (policy !== 'noeviction') {
    throw new Error(
      `Redis maxmemory-policy is "${policy}", must be "noeviction" (evicted keys lose queued work). ` +
        'Run: redis-cli CONFIG SET maxmemory-policy noeviction',
    );
  }
}
