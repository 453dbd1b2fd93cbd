import type { Db, Queryable } from '../../../shared/store/db';
import type { Config } from '../../../shared/config';
import { AppError } from '../../../shared/errors';
import { appendAudit } from '../../../shared/audit/append-audit';
import type { Campaign, CampaignInput } from '../../../shared/api/campaigns.schema';
import { isCustomerNoticeKind, LOCALES, type CampaignState, type Channel } from '../../../shared/domain';
import type { QueueClient } from '../../../shared/queue-client';
import { ensureFanOutJob } from '../../../workers/reconcile/reconcile-campaigns';
import type { Logger } from '../../../shared/logger';
import { BLOCKED_REASON_DESCRIPTIONS, type BlockedReason } from '../../../shared/regulatory/deadlines';
import { unknownCarriers } from './create-incident';
import { lockIncident, toNoticeIncident, type IncidentRow } from './incidents/incident-record';
import { evaluateIncident, regulatoryClock } from './incidents/incident-clock';
import { assertNoticesSafe, lintNotices } from './lifecycle/notice-lint';
import { suppressCampaign } from './lifecycle/suppress-campaign';
import { startAtProblem } from '../../../shared/campaign-schedule';

export interface CampaignRow {
  id: number;
  incident_id: number;
  kind: string;
  channels: Channel[];
  audience: Record<string, unknown>;
  locale: string | null;
  state: CampaignState;
  created_by: string | null;
  approved_by: string | null;
  approved_at: Date | null;
  fanout_cursor: number;
  fanout_done: boolean;
  triggered_at: Date | null;
  completed_at: Date | null;
  created_at: Date;
  paused_by_hold: boolean;
  suppressed_reason: string | null;
  corrects_campaign_id: number | null;
  /** Delivery begins here (null: at trigger). */
  start_at: Date | null;
  /** At most this many notifications per second (null: no campaign limit). */
  throttle_per_sec: number | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export async function readCampaign(q: Queryable, id: number, lock = false): Promise<CampaignRow> {
  const r = await q.query<CampaignRow>(`SELECT * FROM campaigns WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
  if (!r.rows[0]) throw new AppError('NOT_FOUND', `campaign ${id} does not exist`);
  return r.rows[0];
}

export async function createCampaign(
  deps: { db: Db; config: Pick<Config, 'EXERCISE_MARKER' | 'REGULATORY_TIME_ZONE'> },
  input: CampaignInput,
  actor: string,
): Promise<Campaign> {
  const unknown = unknownCarriers(input.audience.carriers ?? [], 'body.audience.carriers');
  if (unknown.length > 0) {
    throw new AppError(
      'UNKNOWN_CARRIER',
      `not in the fictional carrier registry: ${unknown.map((u) => u.message).join('; ')}`,
      unknown,
    );
  }
  const startAt = input.startAt ? new Date(input.startAt) : null;
  const startProblem = startAt && startAtProblem(startAt, new Date());
  if (startProblem) {
    throw new AppError('VALIDATION_FAILED', `startAt ${input.startAt}: ${startProblem.message}`, [
      { path: 'body.startAt', ...startProblem },
    ]);
  }
  return deps.db.transaction(async (tx) => {
    const inc = await tx.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [input.incidentId]);
    const incident = inc.rows[0];
    if (!incident) {
      throw new AppError(
        'VALIDATION_FAILED',
        `incident ${input.incidentId} does not exist; create it first with POST /v1/incidents`,
        [{ path: 'body.incidentId', code: 'not_found', message: 'no such incident' }],
      );
    }
    // Audience defaults to the incident's carriers; it may narrow them, never widen.
    const incidentCarriers = incident.carriers;
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
    assertNoticesSafe(
      lintNotices(
        toNoticeIncident(incident, false),
        {
          kind: input.kind,
          channels: input.channels,
          locales: input.locale ? [input.locale] : LOCALES,
          carriers,
        },
        {
          marker: deps.config.EXERCISE_MARKER,
          campaignId: 1,
          noticeDate: new Date(),
          timeZone: deps.config.REGULATORY_TIME_ZONE,
        },
      ),
      'this campaign',
    );
    const audience = { ...input.audience, carriers };
    const r = await tx.query<CampaignRow>(
      `INSERT INTO campaigns (incident_id, kind, channels, audience, locale, created_by, start_at, throttle_per_sec)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8) RETURNING *`,
      [
        input.incidentId,
        input.kind,
        input.channels,
        JSON.stringify(audience),
        input.locale ?? null,
        actor,
        startAt,
        input.throttle ?? null,
      ],
    );
    const row = r.rows[0]!;
    await appendAudit(tx, [
      {
        type: 'campaign.created',
        actor,
        incidentId: row.incident_id,
        campaignId: row.id,
        outcome: 'draft',
        details: {
          kind: row.kind,
          channels: row.channels,
          audience,
          startAt: iso(row.start_at),
          throttle: row.throttle_per_sec,
        },
      },
    ]);
    return toCampaign(row, []);
  });
}

export function toCampaign(
  row: CampaignRow,
  counts: { state: string; channel: string; n: number }[],
): Campaign {
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
    startAt: iso(row.start_at),
    throttle: row.throttle_per_sec,
    state: row.state,
    fanOutDone: row.fanout_done,
    triggeredAt: iso(row.triggered_at),
    completedAt: iso(row.completed_at),
    createdAt: iso(row.created_at)!,
    createdBy: row.created_by,
    approvedBy: row.approved_by,
    approvedAt: iso(row.approved_at),
    pausedByHold: row.paused_by_hold,
    suppressedReason: row.suppressed_reason,
    correctsCampaignId: row.corrects_campaign_id,
    counts: { total, byState, byChannel },
  };
}

export async function getCampaign(db: Queryable, id: number): Promise<Campaign> {
  const row = await readCampaign(db, id);
  const counts = await db.query<{ state: string; channel: string; n: number }>(
    'SELECT state, channel, count(*)::int AS n FROM notification WHERE campaign_id = $1 GROUP BY state, channel',
    [id],
  );
  return toCampaign(row, counts.rows);
}

type TriggerDecision =
  | { mode: 'send'; state: CampaignState; startAt: Date | null; startsAt: Date }
  | { mode: 'suppress'; row: CampaignRow; reason: string }
  | { mode: 'refused'; reasons: BlockedReason[]; allowedFrom: string | null };

/**
 * Trigger: only an approved campaign (two-person rule). For a customer notice the incident's gate is
 * checked under the incident's row lock, so a concurrent hold, report or determination is either
 * seen or sees this trigger (DOMAIN.md §5): no report recorded as sent, the legacy wait, or an active
 * hold refuse it (409, audited as campaign.trigger_refused); a recorded no-harm determination
 * (amended) completes it with every recipient suppressed and audited, nothing sent.
 * Otherwise the campaign becomes `triggered` with its audit event, and fan-out is enqueued, delayed
 * to the campaign's start time when that is still ahead (it stays `triggered` until then). The
 * database row is the outbox: if Redis refuses the job after the commit, the reconciler enqueues it.
 */
export async function triggerCampaign(
  deps: {
    db: Db;
    queues: QueueClient;
    logger: Logger;
    config: Pick<Config, 'HOLIDAY_EXTRA_DATES' | 'REGULATORY_TIME_ZONE' | 'FANOUT_PAGE_SIZE'>;
  },
  id: number,
  actor: string,
): Promise<{ id: number; state: CampaignState; suppressed?: number; startsAt?: string }> {
  const clock = regulatoryClock(deps.config);
  const decision = await deps.db.transaction(async (tx): Promise<TriggerDecision> => {
    const first = await readCampaign(tx, id);
    const incident = await lockIncident(tx, first.incident_id);
    const c = await readCampaign(tx, id, true);
    if (c.state !== 'approved') {
      throw new AppError(
        'CONFLICT',
        c.state === 'draft'
          ? `campaign ${id} is a draft; a second operator must approve it first (POST /v1/campaigns/${id}/approve)`
          : `campaign ${id} is ${c.state}; only an approved campaign can be triggered`,
        [{ code: c.state === 'draft' ? 'not_approved' : 'not_triggerable', message: `state ${c.state}` }],
      );
    }
    if (c.kind === 'correction') {
      throw new AppError(
        'CONFLICT',
        `campaign ${id} is a correction; POST /v1/campaigns/${c.corrects_campaign_id}/correction sends it`,
        [{ code: 'use_correction_endpoint', message: 'corrections are sent by their own endpoint' }],
      );
    }
    if (isCustomerNoticeKind(c.kind)) {
      const { result } = await evaluateIncident(tx, incident, new Date(), clock);
      if (result.blockedReasons.includes('no-harm-suppression')) {
        const reason = `no harm reasonably likely (amended regime): ${incident.no_harm_basis ?? ''}`.slice(
          0,
          500,
        );
        await tx.query('UPDATE campaigns SET suppressed_reason = $2, updated_at = now() WHERE id = $1', [
          id,
          reason,
        ]);
        return { mode: 'suppress', row: { ...c, suppressed_reason: reason }, reason };
      }
      if (result.blockedReasons.length > 0) {
        await appendAudit(tx, [
          {
            type: 'campaign.trigger_refused',
            actor,
            incidentId: c.incident_id,
            campaignId: id,
            outcome: result.blockedReasons.join(','),
            details: {
              blockedReasons: result.blockedReasons,
              customerNoticesAllowedFrom: result.customerNoticesAllowedFrom,
            },
          },
        ]);
        return {
          mode: 'refused',
          reasons: result.blockedReasons,
          allowedFrom: result.customerNoticesAllowedFrom,
        };
      }
    }
    // A start time still ahead leaves it `triggered` until then; one already past starts it now.
    const t = await tx.query<{ starts_at: Date }>(
      `UPDATE campaigns SET state = 'triggered', triggered_at = now(), updated_at = now() WHERE id = $1
       RETURNING GREATEST(start_at, triggered_at) AS starts_at`,
      [id],
    );
    const startsAt = new Date(t.rows[0]!.starts_at);
    await appendAudit(tx, [
      {
        type: 'campaign.triggered',
        actor,
        incidentId: c.incident_id,
        campaignId: id,
        outcome: 'triggered',
        details: {
          approvedBy: c.approved_by,
          startAt: iso(c.start_at),
          startsAt: startsAt.toISOString(),
          throttle: c.throttle_per_sec,
        },
      },
    ]);
    return { mode: 'send', state: 'triggered', startAt: c.start_at, startsAt };
  });

  if (decision.mode === 'refused') {
    throw new AppError(
      'CONFLICT',
      `customer notices of this incident may not go out now: ${decision.reasons.join(', ')}` +
        (decision.allowedFrom ? ` (allowed from ${decision.allowedFrom})` : ''),
      decision.reasons.map((r) => ({ code: r, message: BLOCKED_REASON_DESCRIPTIONS[r] })),
    );
  }
  if (decision.mode === 'suppress') {
    const r = await suppressCampaign(
      { db: deps.db, pageSize: deps.config.FANOUT_PAGE_SIZE },
      decision.row,
      decision.reason,
      actor,
    );
    return { id, state: r.state, suppressed: r.suppressed };
  }
  try {
    await ensureFanOutJob(deps.queues, id, decision.startAt);
  } catch (err) {
    deps.logger.warn(
      { campaignId: id, err: (err as Error).message },
      'fan-out enqueue failed; the reconciler will retry',
    );
  }
  return { id, state: decision.state, startsAt: decision.startsAt.toISOString() };
}
