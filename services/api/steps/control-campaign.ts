import type { Db } from '../../../shared/store/db';
import { AppError } from '../../../shared/errors';
import { appendAudit } from '../../../shared/audit/append-audit';
import type { AuditEventInput } from '../../../shared/audit/audit-event';
import type { CampaignState } from '../../../shared/domain';

async function transition(
  db: Db,
  id: number,
  from: readonly CampaignState[],
  to: CampaignState,
  event: 'campaign.paused' | 'campaign.resumed',
  actor: string,
): Promise<{ id: number; state: CampaignState }> {
  return db.transaction(async (tx) => {
    const r = await tx.query<{ incident_id: number }>(
      `UPDATE campaigns SET state = $2, updated_at = now() WHERE id = $1 AND state = ANY($3::text[]) RETURNING incident_id`,
      [id, to, from],
    );
    if (!r.rows[0]) {
      const cur = await tx.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [id]);
      if (!cur.rows[0]) throw new AppError('NOT_FOUND', `campaign ${id} does not exist`);
      throw new AppError(
        'CONFLICT',
        `campaign ${id} is ${cur.rows[0].state}; ${event.split('.')[1]} needs one of: ${from.join(', ')}`,
      );
    }
    await appendAudit(tx, [
      { type: event, actor, incidentId: r.rows[0].incident_id, campaignId: id, outcome: to },
    ]);
    return { id, state: to };
  });
}

/** Paused campaigns keep their queued jobs; deliver workers look again each second. */
export const pauseCampaign = (db: Db, id: number, actor: string) =>
  transition(db, id, ['triggered', 'running'], 'paused', 'campaign.paused', actor);

export const resumeCampaign = (db: Db, id: number, actor: string) =>
  transition(db, id, ['paused'], 'running', 'campaign.resumed', actor);

/**
 * ENDEX (DOMAIN.md §4.7): the campaign ends at once. Claims require a live campaign, so no queued
 * send leaves after this commits; every pending or retrying notification ends `cancelled`. Sends
 * already in flight finish and are recorded as they are.
 */
export async function endexCampaign(
  db: Db,
  id: number,
  actor: string,
): Promise<{ id: number; state: CampaignState; cancelled: number }> {
  return db.transaction(async (tx) => {
    const r = await tx.query<{ incident_id: number }>(
      `UPDATE campaigns SET state = 'cancelled', completed_at = now(), updated_at = now()
        WHERE id = $1 AND state IN ('draft', 'approved', 'triggered', 'running', 'paused') RETURNING incident_id`,
      [id],
    );
    if (!r.rows[0]) {
      const cur = await tx.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [id]);
      if (!cur.rows[0]) throw new AppError('NOT_FOUND', `campaign ${id} does not exist`);
      throw new AppError('CONFLICT', `campaign ${id} is already ${cur.rows[0].state}`);
    }
    const incidentId = r.rows[0].incident_id;
    const cancelled = await tx.query<{
      id: number;
      carrier: string;
      channel: 'sms' | 'email';
      attempts: number;
    }>(
      `UPDATE notification SET state = 'cancelled', reason = 'ENDEX', claim_token = NULL, lease_until = NULL, updated_at = now()
        WHERE campaign_id = $1 AND state IN ('pending', 'retrying') RETURNING id, carrier, channel, attempts`,
      [id],
    );
    const events: AuditEventInput[] = [
      {
        type: 'campaign.endex',
        actor,
        incidentId,
        campaignId: id,
        outcome: 'cancelled',
        details: { cancelled: cancelled.rowCount },
      },
      ...cancelled.rows.map((n) => ({
        type: 'notification.cancelled' as const,
        actor,
        incidentId,
        campaignId: id,
        notificationId: n.id,
        carrier: n.carrier,
        channel: n.channel,
        attempt: n.attempts,
        outcome: 'cancelled',
        details: { reason: 'ENDEX' },
      })),
    ];
    await appendAudit(tx, events);
    return { id, state: 'cancelled' as const, cancelled: cancelled.rowCount };
  });
}
