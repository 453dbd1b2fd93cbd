import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'express';
import type { RedisClient } from '../../../shared/redis';

/** Name of the dashboard's session cookie (HttpOnly, SameSite=Strict; Secure over TLS). */
export const SESSION_COOKIE = 'bd_session';
/** A session ends this long after sign-in, whatever the activity. */
export const SESSION_TTL_S = 8 * 3600;
/**
 * Header every cookie-authenticated state-changing request must carry (CSRF): a cross-site form or
 * image cannot set a custom header, and a cross-site fetch that sets one needs a CORS preflight the
 * api does not grant.
 */
export const CSRF_HEADER = 'x-requested-with';
export const CSRF_VALUE = 'breach-drill';

/**
 * Server-side dashboard sessions in Redis: the cookie holds an opaque random id, Redis maps
 * SHA-256(id) to SHA-256(API key). Neither the key nor the id is stored in clear, so a Redis dump
 * yields nothing to sign in with; revoking the key ends its sessions at the guard's next lookup.
 */
export interface SessionStore {
  /** Starts a session for a key (by its hash); returns the id for the cookie. */
  create(keyHash: string): Promise<string>;
  /** The key hash of a live session, or null. */
  resolve(sessionId: string): Promise<string | null>;
  destroy(sessionId: string): Promise<void>;
}

const ID_RE = /^[A-Za-z0-9_-]{43}$/; // 32 random bytes, base64url

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export function createSessionStore(redis: RedisClient, prefix: string): SessionStore {
  const keyOf = (id: string) => `${prefix}:dashboard:session:${sha256(id)}`;
  return {
    async create(keyHash) {
      const id = randomBytes(32).toString('base64url');
      await redis.set(keyOf(id), keyHash, 'EX', SESSION_TTL_S);
      return id;
    },
    async resolve(id) {
      if (!ID_RE.test(id)) return null;
      return redis.get(keyOf(id));
    },
    async destroy(id) {
      if (ID_RE.test(id)) await redis.del(keyOf(id));
    },
  };
}

/** The session id from the request's Cookie header, if any (no cookie-parser dependency). */
export function sessionIdOf(req: Request): string | null {
  const header = req.get('cookie');
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** True for methods that change state, which need the CSRF header when authenticated by cookie. */
export function isStateChanging(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

export function hasCsrfHeader(req: Request): boolean {
  return req.get(CSRF_HEADER) === CSRF_VALUE;
}
