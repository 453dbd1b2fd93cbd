import type { Db, Queryable } from '../store/db';
import { signCheckpoint, type SignedCheckpoint } from './checkpoint';
import type { AuditSigningKey } from './signing-key';

export interface CheckpointPolicy {
  /** Sign after this many new events. @defaultValue AUDIT_CHECKPOINT_EVERY (10,000) */
  every: number;
  /** Or after this many seconds with at least one new event. @defaultValue AUDIT_CHECKPOINT_SECONDS (60) */
  seconds: number;
}

interface CheckpointRow {
  seq: number;
  hash: string;
  signed_at: Date | string;
  key_id: string;
  public_key: string;
  signature: string;
}

export function toSignedCheckpoint(r: CheckpointRow): SignedCheckpoint {
  return {
    seq: Number(r.seq),
    hash: r.hash,
    time: new Date(r.signed_at).toISOString(),
    keyId: r.key_id,
    publicKey: r.public_key,
    signature: r.signature,
  };
}

/** The committed head: every row up to its seq is committed and visible. */
export async function readHead(db: Queryable): Promise<{ seq: number; hash: string }> {
  const r = await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_head WHERE id = 1');
  const h = r.rows[0];
  if (!h) throw new Error('audit_head is missing: migrations not applied');
  return { seq: Number(h.seq), hash: h.hash };
}

export async function latestCheckpoint(db: Queryable, atOrBefore?: number): Promise<SignedCheckpoint | null> {
  const r =
    atOrBefore === undefined
      ? await db.query<CheckpointRow>('SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1')
      : await db.query<CheckpointRow>(
          'SELECT * FROM audit_checkpoints WHERE seq <= $1 ORDER BY seq DESC LIMIT 1',
          [atOrBefore],
        );
  return r.rows[0] ? toSignedCheckpoint(r.rows[0]) : null;
}

export async function checkpointsBetween(
  db: Queryable,
  afterSeq: number,
  throughSeq: number,
): Promise<SignedCheckpoint[]> {
  const r = await db.query<CheckpointRow>(
    'SELECT * FROM audit_checkpoints WHERE seq > $1 AND seq <= $2 ORDER BY seq',
    [afterSeq, throughSeq],
  );
  return r.rows.map(toSignedCheckpoint);
}

/**
 * Signs `{seq, hash, time}` for the given head (default: the committed head) and stores it. Two
 * signers racing for the same seq keep the first; the stored checkpoint is returned either way.
 */
export async function writeCheckpoint(
  db: Queryable,
  key: AuditSigningKey,
  head?: { seq: number; hash: string },
): Promise<SignedCheckpoint | null> {
  const h = head ?? (await readHead(db));
  if (h.seq === 0) return null;
  const cp = signCheckpoint(key, { seq: h.seq, hash: h.hash, time: new Date().toISOString() });
  await db.query(
    `INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, public_key, signature)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (seq) DO NOTHING`,
    [cp.seq, cp.hash, cp.time, cp.keyId, cp.publicKey, cp.signature],
  );
  const stored = await db.query<CheckpointRow>('SELECT * FROM audit_checkpoints WHERE seq = $1', [cp.seq]);
  return stored.rows[0] ? toSignedCheckpoint(stored.rows[0]) : cp;
}

/**
 * Writes a checkpoint when `every` events have been appended since the last one, or `seconds` have
 * passed since it with at least one new event. Returns it, or null when none was due.
 */
export async function writeCheckpointIfDue(
  db: Db,
  key: AuditSigningKey,
  policy: CheckpointPolicy,
  now: number = Date.now(),
): Promise<SignedCheckpoint | null> {
  const head = await readHead(db);
  if (head.seq === 0) return null;
  const last = await latestCheckpoint(db);
  if (last && last.seq >= head.seq) return null;
  const behind = head.seq - (last?.seq ?? 0);
  const age = last ? now - Date.parse(last.time) : Number.POSITIVE_INFINITY;
  if (behind < policy.every && age < policy.seconds * 1000) return null;
  return writeCheckpoint(db, key, head);
}
