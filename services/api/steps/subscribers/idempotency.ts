import type { Db } from '../../../../shared/store/db';
import { AppError } from '../../../../shared/errors';

/**
 * A key in progress is presumed abandoned (its process died) when its lease runs out, in ms. The
 * request holding it renews the lease every IDEMPOTENCY_RENEW_MS, so a long import keeps its key
 * while a crashed one frees it within this time for the client's replay.
 */
export const IDEMPOTENCY_LEASE_MS = 20_000;
export const IDEMPOTENCY_RENEW_MS = 5_000;
/** A request that neither completes nor releases its key stops renewing it after this long, in ms. */
export const IDEMPOTENCY_MAX_HOLD_MS = 60 * 60_000;
/** Keys are remembered this long, in hours; after that the same key starts a new request. */
export const IDEMPOTENCY_TTL_HOURS = 24;

const KEY = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header, validated; undefined when absent. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const key = Array.isArray(header) ? header[0] : header;
  if (key === undefined || !KEY.test(key)) {
    throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 visible ASCII characters', [
      { path: 'headers.idempotency-key', code: 'INVALID_VALUE', message: 'not a valid idempotency key' },
    ]);
  }
  return key;
}

export interface StoredAnswer {
  status: number;
  body: unknown;
  /** What identified the first request: SHA-256 of its content, and how many body bytes it covered. */
  requestHash: string;
  requestBytes: number;
}

export type IdempotencyClaim =
  /** `abandonedAt`: an earlier request with this key started then and died without an answer. */
  { kind: 'new'; abandonedAt?: Date } | { kind: 'replay'; answer: StoredAnswer } | { kind: 'busy' };

const held = new Map<string, NodeJS.Timeout>();
const heldId = (scope: string, key: string) => `${scope}\n${key}`;

/** Keeps renewing a claimed key's lease while its request runs (stopped by complete or release). */
function holdKey(db: Db, scope: string, key: string): void {
  const until = Date.now() + IDEMPOTENCY_MAX_HOLD_MS;
  const timer = setInterval(() => {
    if (Date.now() > until) return letGo(scope, key);
    // A failed renewal is not fatal: the next one may succeed before the lease runs out.
    db.query(
      `UPDATE idempotency_keys SET locked_until = now() + $3::int * interval '1 millisecond'
        WHERE scope = $1 AND key = $2 AND state = 'in_progress'`,
      [scope, key, IDEMPOTENCY_LEASE_MS],
    ).catch(() => undefined);
  }, IDEMPOTENCY_RENEW_MS);
  timer.unref();
  letGo(scope, key);
  held.set(heldId(scope, key), timer);
}

function letGo(scope: string, key: string): void {
  clearInterval(held.get(heldId(scope, key)));
  held.delete(heldId(scope, key));
}

/**
 * Claims a key for a request. `new`: this request runs and must `completeIdempotencyKey` or
 * `releaseIdempotencyKey`; its lease is renewed until then. `replay`: the same key already has an
 * answer. `busy`: another request with this key is still running. An abandoned claim (lease over)
 * or an expired key is taken over.
 */
export async function claimIdempotencyKey(db: Db, scope: string, key: string): Promise<IdempotencyClaim> {
  const taken = await db.query<{ abandoned_at: Date | string | null }>(
    `WITH earlier AS (
       SELECT created_at FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'
     )
     INSERT INTO idempotency_keys (scope, key, state, locked_until)
     VALUES ($1, $2, 'in_progress', now() + $3::int * interval '1 millisecond')
     ON CONFLICT (scope, key) DO UPDATE
       SET state = 'in_progress', locked_until = EXCLUDED.locked_until, created_at = now(),
           request_hash = NULL, request_bytes = NULL, status = NULL, response = NULL
       WHERE (idempotency_keys.state = 'in_progress' AND idempotency_keys.locked_until < now())
          OR idempotency_keys.created_at < now() - $4::int * interval '1 hour'
     RETURNING (SELECT created_at FROM earlier) AS abandoned_at`,
    [scope, key, IDEMPOTENCY_LEASE_MS, IDEMPOTENCY_TTL_HOURS],
  );
  const claimed = taken.rows[0];
  if (claimed) {
    holdKey(db, scope, key);
    return claimed.abandoned_at
      ? { kind: 'new', abandonedAt: new Date(claimed.abandoned_at) }
      : { kind: 'new' };
  }
  const r = await db.query<{
    state: string;
    status: number | null;
    response: unknown;
    request_hash: string | null;
    request_bytes: number | string | null;
  }>(
    'SELECT state, status, response, request_hash, request_bytes FROM idempotency_keys WHERE scope = $1 AND key = $2',
    [scope, key],
  );
  const row = r.rows[0];
  if (!row || row.state !== 'done') return { kind: 'busy' };
  return {
    kind: 'replay',
    answer: {
      status: row.status ?? 200,
      body: row.response,
      requestHash: row.request_hash ?? '',
      requestBytes: Number(row.request_bytes ?? 0),
    },
  };
}

export async function completeIdempotencyKey(
  db: Db,
  scope: string,
  key: string,
  answer: StoredAnswer,
): Promise<void> {
  letGo(scope, key);
  await db.query(
    `UPDATE idempotency_keys SET state = 'done', status = $3, response = $4::jsonb, request_hash = $5, request_bytes = $6
      WHERE scope = $1 AND key = $2`,
    [scope, key, answer.status, JSON.stringify(answer.body), answer.requestHash, answer.requestBytes],
  );
}

/** The request failed before it had an answer: free the key so a retry runs. */
export async function releaseIdempotencyKey(db: Db, scope: string, key: string): Promise<void> {
  letGo(scope, key);
  await db.query(`DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'`, [
    scope,
    key,
  ]);
}

export function busyError(): AppError {
  return new AppError(
    'CONFLICT',
    'a request with this Idempotency-Key is still running; retry when it has answered',
  );
}

export function mismatchError(): AppError {
  return new AppError(
    'CONFLICT',
    'this Idempotency-Key was first used with a different request body; use a new key for a new request',
  );
}
