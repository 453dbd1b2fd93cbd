import type { Db } from '../../shared/store/db';
import type { Channel } from '../../shared/domain';
import { appendAudit } from '../../shared/audit/append-audit';
import type { AuditEventInput } from '../../shared/audit/audit-event';
import type { ChannelAdapter } from '../deliver/channels/channel-adapter';
import { arrivalKey } from './resolve-expired-claims';

/**
 * An SMS accepted by its gateway whose delivery receipt never came (receipts get lost) would stay
 * `sent` for ever. After the receipt timeout the reconciler asks the carrier for the message's
 * status: arrived → `delivered`, otherwise `undelivered`, each with the reason, so every row ends.
 */
export async function resolveMissingReceipts(
  deps: { db: Db; adapters: Record<Channel, ChannelAdapter>; actor: string },
  campaignId: number,
  timeoutMs: number,
  limit = 1000,
): Promise<number> {
  const stale = await deps.db.query<{
    id: number;
    channel: Channel;
    carrier: string;
    attempts: number;
    incident_id: number;
  }>(
    `SELECT n.id, n.channel, n.carrier, n.attempts, c.incident_id FROM notification n JOIN campaigns c ON c.id = n.campaign_id
      WHERE n.campaign_id = $1 AND n.state = 'sent' AND n.sent_at < now() - ($2 || ' milliseconds')::interval
      ORDER BY n.id LIMIT $3`,
    [campaignId, String(timeoutMs), limit],
  );
  if (stale.rows.length === 0) return 0;
  const verdicts = await Promise.all(
    stale.rows.map(async (r) => ({
      r,
      arrived: await deps.adapters[r.channel].hasArrived(arrivalKey(r.channel, campaignId, r.id)),
    })),
  );
  return deps.db.transaction(async (tx) => {
    const upd = await tx.query<{ id: number; state: string }>(
      `UPDATE notification n SET state = v.state, reason = v.reason, delivered_at = CASE WHEN v.state = 'delivered' THEN now() END,
              updated_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS v(id bigint, state text, reason text)
        WHERE n.id = v.id AND n.campaign_id = $2 AND n.state = 'sent' RETURNING n.id, n.state`,
      [
        JSON.stringify(
          verdicts.map(({ r, arrived }) => ({
            id: r.id,
            state: arrived ? 'delivered' : 'undelivered',
            reason: arrived ? null : 'no delivery receipt; the carrier has no record of the message',
          })),
        ),
        campaignId,
      ],
    );
    const done = new Map(upd.rows.map((u) => [u.id, u.state]));
    const events: AuditEventInput[] = verdicts
      .filter(({ r }) => done.has(r.id))
      .map(({ r }) => ({
        type:
          done.get(r.id) === 'delivered'
            ? ('notification.delivered' as const)
            : ('notification.undelivered' as const),
        actor: deps.actor,
        incidentId: r.incident_id,
        campaignId,
        notificationId: r.id,
        carrier: r.carrier,
        channel: r.channel,
        attempt: r.attempts,
        outcome: done.get(r.id) === 'delivered' ? 'delivered' : 'no-receipt',
        details: { via: 'status-query', receiptTimeoutMs: timeoutMs },
      }));
    await appendAudit(tx, events);
    return upd.rows.length;
  });
}
