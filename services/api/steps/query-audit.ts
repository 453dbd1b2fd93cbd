import type { Db } from '../../../shared/store/db';
import type { AuditQuery } from '../../../shared/api/audit.schema';
import type { AuditRow } from '../../../shared/audit/audit-event';

export function toAuditEvent(r: AuditRow) {
  return {
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    type: r.type,
    actor: r.actor,
    incidentId: r.incident_id,
    campaignId: r.campaign_id,
    notificationId: r.notification_id,
    subscriberHash: r.subscriber_hash,
    contactMasked: r.contact_masked,
    carrier: r.carrier,
    channel: r.channel,
    attempt: r.attempt,
    outcome: r.outcome,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** One page of the audit log, filtered, in seq order, keyset-paginated by seq. */
export async function queryAudit(db: Db, q: AuditQuery) {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.campaign !== undefined) add('campaign_id = ?', q.campaign);
  if (q.incident !== undefined) add('incident_id = ?', q.incident);
  if (q.type) add('type = ?', q.type);
  if (q.carrier) add('carrier = ?', q.carrier);
  if (q.channel) add('channel = ?', q.channel);
  if (q.outcome) add('outcome = ?', q.outcome);
  if (q.subscriber) add('subscriber_hash = ?', q.subscriber);
  if (q.from) add('at >= ?', q.from);
  if (q.to) add('at < ?', q.to);
  if (q.after !== undefined) add('seq > ?', q.after);
  params.push(q.limit + 1);
  const r = await db.query<AuditRow>(
    `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq LIMIT $${params.length}`,
    params,
  );
  const more = r.rows.length > q.limit;
  const items = r.rows.slice(0, q.limit).map(toAuditEvent);
  return { items, nextCursor: more ? items[items.length - 1]!.seq : null };
}
