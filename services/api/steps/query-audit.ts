import type { Db } from '../../../shared/store/db';
import type { AuditQuery } from '../../../shared/api/audit.schema';
import type { AuditRow } from '../../../shared/audit/audit-event';
import { fetchAuditRows, planAuditQuery } from './audit/plan-audit-query';
import { revealContacts } from './audit/reveal-contacts';

export function toAuditEvent(r: AuditRow) {
  return {
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    type: r.type,
    actor: r.actor,
    incidentId: r.incident_id === null ? null : Number(r.incident_id),
    campaignId: r.campaign_id === null ? null : Number(r.campaign_id),
    notificationId: r.notification_id === null ? null : Number(r.notification_id),
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

export type AuditEventView = ReturnType<typeof toAuditEvent> & { contact?: string | null };

/**
 * One page of the audit log, filtered, in seq order, keyset-paginated by seq. Contacts stay masked as
 * stored; `reveal: 'contact'` (checked by the route) adds the clear contact and audits the read.
 */
export async function queryAudit(
  db: Db,
  q: AuditQuery,
  opts: { actor?: string } = {},
): Promise<{ items: AuditEventView[]; nextCursor: number | null }> {
  const plan = await planAuditQuery(db, q);
  const rows = await fetchAuditRows(db, plan, q.after ?? 0, q.limit + 1);
  const more = rows.length > q.limit;
  const items: AuditEventView[] = rows.slice(0, q.limit).map(toAuditEvent);
  if (q.reveal === 'contact' && items.length > 0) {
    const contacts = await revealContacts(db, items, {
      actor: opts.actor ?? 'api',
      purpose: 'GET /v1/audit?reveal=contact',
      query: { ...q },
    });
    for (const item of items) item.contact = contacts.get(item.notificationId ?? -1) ?? null;
  }
  return { items, nextCursor: more ? items[items.length - 1]!.seq : null };
}
