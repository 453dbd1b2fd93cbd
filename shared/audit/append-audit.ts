import type { Queryable } from '../store/db';
import { hashRow, toUnhashedRow, type AuditEventInput, type AuditRow } from './audit-event';

/**
 * Appends events to the chain inside the caller's transaction, so a ledger transition and its audit
 * event commit together (DESIGN.md "Delivery guarantees"). The head row lock serialises appenders;
 * it is taken last and the work under it is one hash pass and one multi-row insert, so call this as
 * the final statement of a transaction and pass every event of the transaction at once.
 */
export async function appendAudit(tx: Queryable, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const head = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE',
  );
  const h = head.rows[0];
  if (!h) throw new Error('audit_head is missing: migrations not applied');
  const at = new Date().toISOString();
  let prev = h.hash;
  const rows: AuditRow[] = [];
  let seq = h.seq;
  for (const e of events) {
    seq += 1;
    const row = toUnhashedRow(seq, at, e);
    const hash = hashRow(row, prev);
    rows.push({ ...row, prev_hash: prev, hash });
    prev = hash;
  }
  await tx.query(
    `INSERT INTO audit_log (seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
       contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash)
     SELECT seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
       contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash
     FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, at timestamptz, type text, actor text,
       incident_id bigint, campaign_id bigint, notification_id bigint, subscriber_hash text,
       contact_masked text, carrier text, channel text, attempt integer, outcome text, details jsonb,
       prev_hash text, hash text)`,
    [JSON.stringify(rows)],
  );
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [seq, prev]);
}
