import type { Db } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import { AppError } from '../../../../shared/errors';
import { appendAudit } from '../../../../shared/audit/append-audit';
import type { Campaign, CorrectionInput } from '../../../../shared/api/campaigns.schema';
import { isCustomerNoticeKind, LOCALES, type Channel, type Locale } from '../../../../shared/domain';
import { audienceFilter, RECEIVED_STATES } from '../../../../shared/ledger/audience';
import { auditRecipient } from '../../../../shared/ledger/contact';
import { completeCampaignIfDone } from '../../../../shared/ledger/complete-campaign';
import type { QueueClient } from '../../../../shared/queue-client';
import type { Logger } from '../../../../shared/logger';
import type { CorrectedKind } from '../../../../shared/notices';
import { toChunks } from '../../../../workers/fan-out/fan-out-campaign';
import { getCampaign, readCampaign, type CampaignRow } from '../campaigns';
import { hasHolds, readIncident, toNoticeIncident } from '../incidents/incident-record';
import { assertNoticesSafe, lintNotices } from './notice-lint';

const MAX_SETTLE_MS = 15_000; // longest a correction request waits for the original's sends in flight
const SETTLE_POLL_MS = 100;
const ACTOR_QUEUE = 'api:correction';

export interface CorrectionDeps {
  db: Db;
  queues: QueueClient;
  logger: Logger;
  config: Pick<
    Config,
    'EXERCISE_MARKER' | 'REGULATORY_TIME_ZONE' | 'LEASE_MS' | 'FANOUT_PAGE_SIZE' | 'CHUNK_SIZE'
  >;
}

/**
 * Right after ENDEX some of the original's sends are still in flight (`sending`): they finish and are
 * recorded as they are. Waiting for them (bounded by the claim lease) makes "who received it" a fact
 * rather than a guess; one still in flight after that counts as received (a correction too many is
 * harmless, one missing is not).
 */
async function settleInFlight(db: Db, campaignId: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const r = await db.query<{ x: number }>(
      `SELECT 1 AS x FROM notification WHERE campaign_id = $1 AND state = 'sending' LIMIT 1`,
      [campaignId],
    );
    if (r.rows.length === 0 || Date.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
}

/**
 * The ready correction (DOMAIN.md §4.7): a campaign of kind `correction` that reaches every
 * (subscriber, channel) the original reached (ledger rows in RECEIVED_STATES, once the sends in
 * flight have settled), on the channels asked for, in the original's locale, sent as whoever sent
 * the original. The two-person rule does not apply: it is part of ENDEX, an exercise-safety action
 * that must not wait for a second person (audited as such); the ordering rules do not apply either:
 * it withdraws a notice, it does not notify of the breach. One per original.
 *
 * Its ledger rows are copied from the original's, page by page, while it is still `approved` (no
 * worker touches it); then it becomes `triggered` with fan-out done and its chunk jobs are enqueued.
 * The audience `{ recipientsOfCampaign }` describes the same people for previews. A request that
 * died midway leaves an `approved` correction; asking again finishes it.
 */
export async function createCorrection(
  deps: CorrectionDeps,
  originalId: number,
  input: CorrectionInput,
  actor: string,
): Promise<Campaign> {
  await settleInFlight(deps.db, originalId, Math.min(deps.config.LEASE_MS, MAX_SETTLE_MS));
  const correction = await deps.db.transaction(async (tx) => {
    const o: CampaignRow = await readCampaign(tx, originalId, true);
    if (!isCustomerNoticeKind(o.kind)) {
      throw new AppError(
        'CONFLICT',
        `campaign ${originalId} is a ${o.kind}; only customer notices are corrected`,
        [{ code: 'not_correctable', message: `kind ${o.kind}` }],
      );
    }
    if (o.state === 'triggered' || o.state === 'running' || o.state === 'paused') {
      throw new AppError(
        'CONFLICT',
        `campaign ${originalId} is still ${o.state}; end it first (POST /v1/campaigns/${originalId}/endex)`,
        [{ code: 'original_still_live', message: `state ${o.state}` }],
      );
    }
    if (!o.triggered_at || o.suppressed_reason) {
      throw new AppError(
        'CONFLICT',
        `campaign ${originalId} never sent anything; there is nothing to correct`,
        [
          {
            code: 'nothing_to_correct',
            message: o.suppressed_reason ? 'every recipient was suppressed' : 'never triggered',
          },
        ],
      );
    }
    const existing = await tx.query<CampaignRow>('SELECT * FROM campaigns WHERE corrects_campaign_id = $1', [
      originalId,
    ]);
    if (existing.rows[0]) {
      const e = existing.rows[0];
      if (e.state === 'approved') return e; // an earlier request died midway: finish it
      throw new AppError('CONFLICT', `campaign ${originalId} already has its correction, campaign ${e.id}`, [
        { code: 'correction_exists', message: `campaign ${e.id}` },
      ]);
    }
    const channels = input.channels ?? o.channels;
    const extra = channels.filter((ch) => !o.channels.includes(ch));
    if (extra.length > 0) {
      throw new AppError('VALIDATION_FAILED', `the original was not sent by ${extra.join(', ')}`, [
        { path: 'body.channels', code: 'not_in_original', message: `choose among ${o.channels.join(', ')}` },
      ]);
    }
    const received = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notification
        WHERE campaign_id = $1 AND state = ANY($2::text[]) AND channel = ANY($3::text[])`,
      [originalId, RECEIVED_STATES, channels],
    );
    const recipients = received.rows[0]?.n ?? 0;
    if (recipients === 0) {
      throw new AppError('CONFLICT', `nobody received campaign ${originalId}; there is nothing to correct`, [
        { code: 'no_recipients', message: 'no ledger row reached a carrier' },
      ]);
    }
    const incident = await readIncident(tx, o.incident_id);
    const carriers = audienceFilter.parse(o.audience ?? {}).carriers ?? incident.carriers;
    assertNoticesSafe(
      lintNotices(
        toNoticeIncident(incident, await hasHolds(tx, incident.id)),
        {
          kind: 'correction',
          correctionOf: o.kind as CorrectedKind,
          channels,
          locales: o.locale ? [o.locale as Locale] : LOCALES,
          carriers,
        },
        {
          marker: deps.config.EXERCISE_MARKER,
          campaignId: originalId,
          noticeDate: new Date(),
          timeZone: deps.config.REGULATORY_TIME_ZONE,
        },
      ),
      `the correction of campaign ${originalId}`,
    );
    const ins = await tx.query<CampaignRow>(
      `INSERT INTO campaigns (incident_id, kind, channels, audience, locale, state, created_by, corrects_campaign_id)
       VALUES ($1, 'correction', $2, $3::jsonb, $4, 'approved', $5, $6) RETURNING *`,
      [
        o.incident_id,
        channels,
        JSON.stringify({ carriers, recipientsOfCampaign: originalId }),
        o.locale,
        actor,
        originalId,
      ],
    );
    const row = ins.rows[0]!;
    await appendAudit(tx, [
      {
        type: 'campaign.correction_created',
        actor,
        incidentId: o.incident_id,
        campaignId: row.id,
        outcome: 'created',
        details: {
          correctsCampaignId: originalId,
          correctsKind: o.kind,
          originalState: o.state,
          recipients,
          channels,
          twoPersonRule: 'exempt: a correction is part of ENDEX (DOMAIN.md §4.7)',
        },
      },
    ]);
    return row;
  });

  const queued = await copyRecipients(deps, correction, originalId);
  const triggered = await deps.db.transaction(async (tx) => {
    const r = await tx.query<{ id: number }>(
      `UPDATE campaigns SET state = 'triggered', triggered_at = now(), fanout_done = true, updated_at = now()
        WHERE id = $1 AND state = 'approved' RETURNING id`,
      [correction.id],
    );
    if (!r.rows[0]) return false; // ended meanwhile (ENDEX of the correction)
    await appendAudit(tx, [
      {
        type: 'campaign.triggered',
        actor,
        incidentId: correction.incident_id,
        campaignId: correction.id,
        outcome: 'triggered',
        details: { correctsCampaignId: originalId, notificationsQueued: queued },
      },
    ]);
    return true;
  });
  if (triggered) await enqueueCorrection(deps, correction.id, actor);
  return getCampaign(deps.db, correction.id);
}

/**
 * Copies the original's received (subscriber, channel) pairs into the correction's ledger, a page of
 * the original's rows per transaction, each new row with its `notification.queued` event. Re-running
 * inserts nothing twice.
 */
async function copyRecipients(deps: CorrectionDeps, c: CampaignRow, originalId: number): Promise<number> {
  let after = 0;
  let queued = 0;
  for (;;) {
    const page = await deps.db.transaction(async (tx) => {
      const bounds = await tx.query<{ last: number | null }>(
        `SELECT max(id) AS last FROM (SELECT id FROM notification WHERE campaign_id = $1 AND id > $2
            ORDER BY id LIMIT $3) p`,
        [originalId, after, deps.config.FANOUT_PAGE_SIZE],
      );
      const last = bounds.rows[0]?.last ?? null;
      if (last === null) return null;
      const ins = await tx.query<{
        id: number;
        subscriber_id: number;
        channel: Channel;
        carrier: string;
        msisdn: string | null;
        email: string | null;
      }>(
        `WITH ins AS (
           INSERT INTO notification (campaign_id, subscriber_id, channel, carrier)
           SELECT $1, o.subscriber_id, o.channel, o.carrier
             FROM notification o JOIN subscribers s ON s.id = o.subscriber_id
            WHERE o.campaign_id = $2 AND o.id > $3 AND o.id <= $4
              AND o.state = ANY($5::text[]) AND o.channel = ANY($6::text[]) AND s.erased_at IS NULL
              AND ((o.channel = 'sms' AND s.msisdn IS NOT NULL) OR (o.channel = 'email' AND s.email IS NOT NULL))
           ON CONFLICT (campaign_id, subscriber_id, channel) DO NOTHING
           RETURNING id, subscriber_id, channel, carrier)
         SELECT ins.*, s.msisdn, s.email FROM ins JOIN subscribers s ON s.id = ins.subscriber_id ORDER BY ins.id`,
        [c.id, originalId, after, last, RECEIVED_STATES, c.channels],
      );
      await appendAudit(
        tx,
        ins.rows.map((r) => ({
          type: 'notification.queued' as const,
          actor: ACTOR_QUEUE,
          incidentId: c.incident_id,
          campaignId: c.id,
          notificationId: r.id,
          carrier: r.carrier,
          channel: r.channel,
          ...auditRecipient(r.subscriber_id, r.channel, r.msisdn, r.email),
        })),
      );
      return { last, inserted: ins.rows.length };
    });
    if (!page) return queued;
    after = page.last;
    queued += page.inserted;
  }
}

/** Chunk jobs for the correction's pending rows, as fan-out would make them (same deterministic ids). */
async function enqueueCorrection(deps: CorrectionDeps, campaignId: number, actor: string): Promise<void> {
  try {
    let after = 0;
    for (;;) {
      const rows = await deps.db.query<{ id: number; channel: Channel; carrier: string }>(
        `SELECT id, channel, carrier FROM notification WHERE campaign_id = $1 AND id > $2 AND state = 'pending'
          ORDER BY id LIMIT $3`,
        [campaignId, after, deps.config.FANOUT_PAGE_SIZE],
      );
      if (rows.rows.length === 0) break;
      const jobs = toChunks(campaignId, rows.rows, deps.config.CHUNK_SIZE);
      const byQueue = new Map<string, typeof jobs>();
      for (const j of jobs) byQueue.set(j.queue, [...(byQueue.get(j.queue) ?? []), j]);
      await Promise.all(
        [...byQueue].map(([q, js]) =>
          deps.queues
            .deliver(q)
            .addBulk(js.map((j) => ({ name: 'chunk', data: j.data, opts: { jobId: j.jobId } }))),
        ),
      );
      after = rows.rows[rows.rows.length - 1]!.id;
    }
  } catch (err) {
    // The ledger is the outbox: the reconciler re-drives pending rows that have no job.
    deps.logger.warn(
      { campaignId, err: (err as Error).message },
      'correction enqueue failed; the reconciler will re-drive it',
    );
  }
  await completeCampaignIfDone(deps.db, campaignId, actor); // nothing to send: done at once
}
