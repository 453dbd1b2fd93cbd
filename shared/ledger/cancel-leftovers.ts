import type { Db } from '../store/db';
import { appendAudit } from '../audit/append-audit';

/**
 * After ENDEX, a chunk that was in flight may put rows back to `retrying` (a 429 or a transient
 * failure) inside the cancelled campaign. They will never be sent: end them `cancelled` so every
 * ledger row reaches a terminal state.
 */
export async function cancelLeftovers(db: Db, campaignId: number, actor: string): Promise<number> {
  return db.transaction(async (tx) => {
    const r = await tx.query<{
      id: number;
      carrier: string;
      channel: 'sms' | 'email';
      attempts: number;
      incident_id: number;
    }>(
      `UPDATE notification n SET state = 'cancelled', reason = 'ENDEX', claim_token = NULL, lease_until = NULL, updated_at = now()
         FROM campaigns c
        WHERE c.id = n.campaign_id AND n.campaign_id = $1 AND c.state = 'cancelled' AND n.state IN ('pending', 'retrying')
       RETURNING n.id, n.carrier, n.channel, n.attempts, c.incident_id`,
      [campaignId],
    );
    await appendAudit(
      tx,
      r.rows.map((n) => ({
        type: 'notification.cancelled' as const,
        actor,
        incidentId: n.incident_id,
        campaignId,
        notificationId: n.id,
        carrier: n.carrier,
        channel: n.channel,
        attempt: n.attempts,
        outcome: 'cancelled',
        details: { reason: 'ENDEX (after an in-flight attempt)' },
      })),
    );
    return r.rowCount;
  });
}
