import type { Request } from 'express';
import type { RedisClient } from '../../../shared/redis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../../shared/errors';
import { findActiveKey, hashKey, type ApiKeyRecord } from '../../../shared/auth/api-keys';
import type { Db } from '../../../shared/store/db';
import type { Logger } from '../../../shared/logger';
import type { RouteSpec } from './define-route';
import type { Principal } from './principal';
import { findActiveKeyByHash } from '../dashboard/find-key-by-hash';
import {
  CSRF_HEADER,
  CSRF_VALUE,
  hasCsrfHeader,
  isStateChanging,
  sessionIdOf,
  type SessionStore,
} from '../dashboard/session-store';

const KEY_CACHE_MS = 10_000; // a revoked key stops working within this long

export interface GuardDeps {
  db: Db;
  redis: RedisClient;
  logger: Logger;
  prefix: string;
  ratePerMinute: number;
  /** Dashboard sign-in sessions; without it only the Bearer header authenticates. */
  sessions?: SessionStore;
}

/**
 * Authentication and authorization for every keyed route: `Authorization: Bearer <key>`, a role
 * check against the route's declared roles (admin passes every keyed route), and a per-key request
 * rate limit kept in Redis (in memory while Redis is away, so an outage does not lock everyone out).
 */
export function createGuard(deps: GuardDeps): (route: RouteSpec, req: Request) => Promise<void> {
  const cache = new Map<string, { rec: ApiKeyRecord | null; until: number }>();
  const limiter = new RateLimiterRedis({
    storeClient: deps.redis,
    keyPrefix: `${deps.prefix}:ratelimit`,
    points: deps.ratePerMinute,
    duration: 60,
    insuranceLimiter: new RateLimiterMemory({ points: deps.ratePerMinute, duration: 60 }),
  });

  // Cached by key hash; `key` is null for a dashboard session, which holds only the hash.
  async function lookup(key: string | null, h = hashKey(key ?? '')): Promise<ApiKeyRecord | null> {
    const hit = cache.get(h);
    if (hit && hit.until > Date.now()) return hit.rec;
    const rec = key !== null ? await findActiveKey(deps.db, key) : await findActiveKeyByHash(deps.db, h);
    if (cache.size > 10_000) cache.clear();
    cache.set(h, { rec, until: Date.now() + KEY_CACHE_MS });
    return rec;
  }

  return async (route, req) => {
    if (route.roles.includes('public') || route.roles.includes('gateway')) return; // webhooks: HMAC in the handler
    const m = /^Bearer\s+(\S{8,200})$/.exec(req.get('authorization') ?? '');
    // Dashboard sessions (services/api/dashboard/session-store.ts): without a Bearer header, the
    // HttpOnly session cookie stands in for the key it was opened with. A browser sends cookies on
    // its own, so a cookie-authenticated request that changes state must also carry
    // `X-Requested-With: breach-drill` (CSRF), which a cross-site form cannot set.
    const sid = !m && deps.sessions ? sessionIdOf(req) : null;
    const sessionKeyHash = sid
      ? await deps.sessions!.resolve(sid).catch(() => {
          throw new AppError(
            'DEPENDENCY_UNAVAILABLE',
            'the session store (Redis) is unavailable; use a Bearer key',
          );
        })
      : null;
    if (!m && !sessionKeyHash) {
      throw new AppError(
        'UNAUTHORIZED',
        'send "Authorization: Bearer <api key>"; an admin creates keys with `npm run keys:create`',
      );
    }
    if (!m && isStateChanging(req.method) && !hasCsrfHeader(req)) {
      throw new AppError(
        'FORBIDDEN',
        `a session request that changes state needs "${CSRF_HEADER}: ${CSRF_VALUE}"`,
      );
    }
    const rec = m ? await lookup(m[1]!) : await lookup(null, sessionKeyHash!);
    if (!rec) throw new AppError('UNAUTHORIZED', 'this API key is unknown or revoked');
    if (rec.role !== 'admin' && !route.roles.includes(rec.role)) {
      throw new AppError(
        'FORBIDDEN',
        `a ${rec.role} key may not call ${route.method.toUpperCase()} ${route.path} (needs ${route.roles.join(' or ')})`,
      );
    }
    const principal: Principal = { id: rec.id, name: rec.name, role: rec.role, scopes: rec.scopes };
    (req as Request & { principal?: Principal }).principal = principal;
    try {
      await limiter.consume(rec.id);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const secs = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        throw new AppError(
          'RATE_LIMITED',
          `more than ${deps.ratePerMinute} requests a minute for this key; retry in ${secs} s`,
          [],
          {
            'Retry-After': String(secs),
          },
        );
      }
      deps.logger.warn({ err: (err as Error).message }, 'rate limiter unavailable; request allowed');
    }
  };
}
