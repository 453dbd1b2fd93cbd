import type { Db } from '../../../shared/store/db';
import { AppError } from '../../../shared/errors';
import { appendAudit } from '../../../shared/audit/append-audit';
import type { Campaign, CampaignInput } from '../../../shared/api/campaigns.schema';
import type { CampaignState } from '../../../shared/domain';
import type { QueueClient } from '../../../shared/queue-client';
import { ensureFanOutJob } from '../../../workers/reconcile/reconcile-campaigns';
import type { Logger } from '../../../shared/logger';

interface CampaignRow {
  id: number;
  incident_id: number;
  kind: string;
  channels: string[];
  audience: Record<string, unknown>;
  locale: string | null;
  state: CampaignState;
  fanout_done: boolean;
  triggered_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export async function createCampaign(db: Db, input: CampaignInput, actor: string): Promise<Campaign> {
  return db.transaction(async (tx) => {
    const inc = await tx.query<{ carriers: string[] }>('SELECT carriers FROM incidents WHERE id = $1', [
      input.incidentId,
    ]);
    if (!inc.rows[0]) {
      throw new AppError(
        'VALIDATION_FAILED',
        `incident ${input.incidentId} does not exist; create it first with POST /v1/incidents`,
        [{ path: 'body.incidentId', code: 'not_found', message: 'no such incident' }],
      );
    }
    // Audience defaults to the incident's carriers; it may narrow them, never widen.
    const incidentCarriers = inc.rows[0].carriers;
    const carriers = input.audience.carriers ?? incidentCarriers;
    const outside = carriers.filter((c) => !incidentCarriers.includes(c));
    if (outside.length > 0) {
      throw new AppError(
        'VALIDATION_FAILED',
        `audience carriers not affected by the incident: ${outside.join(', ')}`,
        [
          {
            path: 'body.audience.carriers',
            code: 'not_in_incident',
            message: 'choose among the incident carriers',
          },
        ],
      );
    }
    const audience = { ...input.audience, carriers };
    const r = await tx.query<CampaignRow>(
      `INSERT INTO campaigns (incident_id, kind, channels, audience, locale, created_by)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6) RETURNING *`,
      [input.incidentId, input.kind, input.channels, JSON.stringify(audience), input.locale ?? null, actor],
    );
    const row = r.rows[0]!;
    await appendAudit(tx, [
      {
        type: 'campaign.created',
        actor,
        incidentId: row.incident_id,
        campaignId: row.id,
        outcome: 'draft',
        details: { kind: row.kind, channels: row.channels, audience },
      },
    ]);
    return toCampaign(row, []);
  });
}

function toCampaign(row: CampaignRow, counts: { state: string; channel: string; n: number }[]): Campaign {
  const byState: Record<string, number> = {};
  const byChannel: Record<string, Record<string, number>> = {};
  let total = 0;
  for (const c of counts) {
    total += c.n;
    byState[c.state] = (byState[c.state] ?? 0) + c.n;
    (byChannel[c.channel] ??= {})[c.state] = c.n;
  }
  return {
    id: row.id,
    incidentId: row.incident_id,
    kind: row.kind,
    channels: row.channels,
    audience: row.audience,
    locale: row.locale,
    state: row.state,
    fanOutDone: row.fanout_done,
    triggeredAt: iso(row.triggered_at),
    completedAt: iso(row.completed_at),
    createdAt: iso(row.created_at)!,
    counts: { total, byState, byChannel },
  };
}

export async function getCampaign(db: Db, id: number): Promise<Campaign> {
  const r = await db.query<CampaignRow>('SELECT * FROM campaigns WHERE id = $1', [id]);
  if (!r.rows[0]) throw new AppError('NOT_FOUND', `campaign ${id} does not exist`);
  const counts = await db.query<{ state: string; channel: string; n: number }>(
    'SELECT state, channel, count(*)::int AS n FROM notification WHERE campaign_id = $1 GROUP BY state, channel',
    [id],
  );
  return toCampaign(r.rows[0], counts.rows);
}

/**
 * Trigger: records the campaign as `triggered` with its audit event, then enqueues fan-out. The
 * database row is the outbox: if Redis refuses the job after the commit, the reconciler enqueues it.
 */
export async function triggerCampaign(
  deps: { db: Db; queues: QueueClient; logger: Logger },
  id: number,
  actor: string,
): Promise<{ id: number; state: CampaignState }> {
  const updated = await deps.db.transaction(async (tx) => {
    const r = await tx.query<{ incident_id: number; state: CampaignState }>(
      `UPDATE campaigns SET state = 'triggered', triggered_at = now(), updated_at = now()
        WHERE id = $1 AND state IN ('draft', 'approved') RETURNING incident_id, state`,
      [id],
    );
    const row = r.rows[0];
    if (!row) {
      const cur = await tx.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [id]);
      if (!cur.rows[0]) throw new AppError('NOT_FOUND', `campaign ${id} does not exist`);
      throw new AppError(
        'CONFLICT',
        `campaign ${id} is ${cur.rows[0].state}; only a draft or approved campaign can be triggered`,
      );
    }
    await appendAudit(tx, [
      {
        type: 'campaign.triggered',
        actor,
        incidentId: row.incident_id,
        campaignId: id,
        outcome: 'triggered',
      },
    ]);
    return row;
  });
  try {
    await ensureFanOutJob(deps.queues, id);
  } catch (err) {
    deps.logger.warn(
      { campaignId: id, err: (err as Error).message },
      'fan-out enqueue failed; the reconciler will retry',
    );
  }
  return { id, state: updated.state };
}
