import type { Db } from '../store/db';
import { appendAudit } from '../audit/append-audit';
import { auditRecipient } from './contact';
import type { ClaimedNotification } from './ledger-types';

/**
 * Gives claimed rows back without spending their attempt: the carrier said 429 (or the worker is
 * shutting down), so nothing was sent and nothing counts against the notification.
 */
export async function releaseClaims(
  db: Db,
  input: {
    campaignId: number;
    incidentId: number;
    token: string;
    claimed: readonly ClaimedNotification[];
    reason: string;
    actor: string;
  },
): Promise<number[]> {
  if (input.claimed.length === 0) return [];
  return db.transaction(async (tx) => {
    const res = await tx.query<{ id: number }>(
      `UPDATE notification SET state = 'retrying', attempts = GREATEST(attempts - 1, 0), claim_token = NULL,
              lease_until = NULL, reason = $3, updated_at = now()
        WHERE id = ANY($1::bigint[]) AND campaign_id = $4 AND claim_token = $2 AND state = 'sending'
       RETURNING id`,
      [input.claimed.map((c) => c.id), input.token, input.reason, input.campaignId],
    );
    const released = new Set(res.rows.map((r) => r.id));
    await appendAudit(
      tx,
      input.claimed
        .filter((c) => released.has(c.id))
        .map((c) => ({
          type: 'notification.retry_scheduled' as const,
          actor: input.actor,
          incidentId: input.incidentId,
          campaignId: input.campaignId,
          notificationId: c.id,
          carrier: c.carrier,
          channel: c.channel,
          attempt: c.attempts,
          outcome: 'released',
          details: { reason: input.reason, attemptSpent: false },
          ...auditRecipient(c.subscriberId, c.channel, c.msisdn, c.email),
        })),
    );
    return [...released];
  });
}
