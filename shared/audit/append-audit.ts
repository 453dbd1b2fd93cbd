import type { Queryable } from '../store/db';
import type { AuditEventInput } from './audit-event';
import { hashPreparedRow, prepareAuditRow } from './prepare-audit-row';

// The head and the time of its row, under the lock every appender takes. The head keeps the time
// (migration 050): audit_log is partitioned by time, and a lookup by seq alone would plan and probe
// every partition while the lock is held.
const LOCK_HEAD_SQL = 'SELECT seq, hash, at FROM audit_head WHERE id = 1 FOR UPDATE';
// A head moved by a writer that did not record the time (at NULL): find it by seq, once.
const HEAD_ROW_AT_SQL = 'SELECT at FROM audit_log WHERE seq = $1';

// One statement inserts the rows and advances the head: one round trip less under the lock.
const INSERT_AND_ADVANCE_SQL = `WITH ins AS (
  INSERT INTO audit_log (seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
    contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash)
  SELECT r.seq, $2::timestamptz, r.type, r.actor, r.incident_id, r.campaign_id, r.notification_id,
    r.subscriber_hash, r.contact_masked, r.carrier, r.channel, r.attempt, r.outcome, r.details,
    r.prev_hash, r.hash
  FROM json_to_recordset($1::json) AS r(seq bigint, type text, actor text, incident_id bigint,
    campaign_id bigint, notification_id bigint, subscriber_hash text, contact_masked text, carrier text,
    channel text, attempt integer, outcome text, details jsonb, prev_hash text, hash text)
  RETURNING 1)
UPDATE audit_head SET seq = $3, hash = $4, at = $2 WHERE id = 1`;

/**
 * Appends events to the chain inside the caller's transaction, so a ledger transition and its audit
 * event commit together (DESIGN.md "Delivery guarantees"). The head row lock serialises appenders;
 * it is taken last and the work under it is one hash pass and one statement (insert + head), so call
 * this as the final statement of a transaction and pass every event of the transaction at once.
 *
 * Each row's canonical JSON is serialised before the lock is taken (prepare-audit-row.ts). `at` is
 * the append time, never earlier than the previous row's, so time order follows seq order even
 * across hosts whose clocks disagree (the query path turns time ranges into seq ranges).
 */
export async function appendAudit(tx: Queryable, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const prepared = events.map(prepareAuditRow);
  const head = await tx.query<{ seq: number; hash: string; at: Date | string | null }>(LOCK_HEAD_SQL);
  const h = head.rows[0];
  if (!h) throw new Error('audit_head is missing: migrations not applied');
  const headAt =
    h.at === null && Number(h.seq) > 0
      ? ((await tx.query<{ at: Date | string }>(HEAD_ROW_AT_SQL, [h.seq])).rows[0]?.at ?? null)
      : h.at;
  const lastAt = headAt === null ? 0 : new Date(headAt).getTime();
  const at = new Date(Math.max(Date.now(), lastAt)).toISOString();
  const atJson = `"${at}"`;
  let prev = h.hash;
  let seq = Number(h.seq);
  const parts = new Array<string>(prepared.length);
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i]!;
    seq += 1;
    const hash = hashPreparedRow(p, atJson, seq, prev);
    parts[i] = `${p.insert},"seq":${seq},"prev_hash":"${prev}","hash":"${hash}"}`;
    prev = hash;
  }
  await tx.query(INSERT_AND_ADVANCE_SQL, [`[${parts.join(',')}]`, at, seq, prev]);
}
