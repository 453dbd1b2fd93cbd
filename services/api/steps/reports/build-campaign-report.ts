import type { Db, Queryable } from '../../../../shared/store/db';
import type {
  CampaignReport,
  CampaignReportQuery,
  LatencyRow,
  NotDeliveredItem,
} from '../../../../shared/api/report.schema';
import type { CampaignState, NotificationState } from '../../../../shared/domain';
import { maskEmail, maskMsisdn, subscriberHash } from '../../../../shared/audit/audit-event';
import { AppError } from '../../../../shared/errors';

/**
 * The campaign report (GET /v1/campaigns/:id/report). Every figure but `retries` comes from the
 * ledger (one row per recipient × channel, with its state, reason and times), which the audit log
 * mirrors event by event; the per-recipient "why not delivered" adds each notification's audit trail.
 * Percentiles are nearest-rank (`percentile_disc`): each is a latency some notification really had.
 */

const OPEN_STATES = ['pending', 'sending', 'sent', 'retrying'];
const REACHED_STATES = ['sent', 'delivered', 'undelivered'];
const MAX_BUCKETS = 120; // throughput series: at most this many points, whatever the run's length
const BUCKET_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400];

interface CampaignRow {
  id: number;
  incident_id: number;
  kind: string;
  state: CampaignState;
  channels: string[];
  created_at: Date | string;
  triggered_at: Date | string | null;
  completed_at: Date | string | null;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const ms = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(Number(v)));

export async function loadCampaign(db: Queryable, id: number): Promise<CampaignRow> {
  const r = await db.query<CampaignRow>(
    'SELECT id, incident_id, kind, state, channels, created_at, triggered_at, completed_at FROM campaigns WHERE id = $1',
    [id],
  );
  if (!r.rows[0]) throw new AppError('NOT_FOUND', `campaign ${id} does not exist`);
  return r.rows[0];
}

async function latency(
  db: Queryable,
  campaignId: number,
  expr: string,
  where: string,
  params: unknown[],
): Promise<LatencyRow[]> {
  const r = await db.query<{
    channel: string | null;
    carrier: string | null;
    g_channel: number;
    g_carrier: number;
    n: number;
    p: number[] | string | null;
    mx: number | null;
  }>(
    `SELECT channel, carrier, GROUPING(channel) AS g_channel, GROUPING(carrier) AS g_carrier,
            count(*)::int AS n,
            percentile_disc(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY v) AS p, max(v) AS mx
       FROM (SELECT channel, carrier, ${expr} AS v FROM notification WHERE campaign_id = $1 AND ${where}) x
      GROUP BY GROUPING SETS ((channel, carrier), (channel), ())
      ORDER BY GROUPING(channel) DESC, channel, GROUPING(carrier) DESC, carrier`,
    [campaignId, ...params],
  );
  return r.rows
    .filter((x) => Number(x.n) > 0)
    .map((x) => {
      const p = parseFloatArray(x.p);
      return {
        channel: Number(x.g_channel) === 1 ? null : x.channel,
        carrier: Number(x.g_carrier) === 1 ? null : x.carrier,
        n: Number(x.n),
        p50: ms(p[0]),
        p90: ms(p[1]),
        p95: ms(p[2]),
        p99: ms(p[3]),
        max: ms(x.mx),
      };
    });
}

/** float8[] arrives parsed from pg and PGlite, but guard against the text form. */
function parseFloatArray(v: number[] | string | null): (number | null)[] {
  if (v === null) return [];
  if (Array.isArray(v)) return v.map((x) => (x === null ? null : Number(x)));
  return v
    .replace(/[{}]/g, '')
    .split(',')
    .map((x) => (x === 'NULL' ? null : Number(x)));
}

function bucketSeconds(spanMs: number): number {
  const want = spanMs / 1000 / MAX_BUCKETS;
  return BUCKET_STEPS_S.find((s) => s >= want) ?? Math.ceil(want / 86400) * 86400;
}

async function throughput(
  db: Queryable,
  campaignId: number,
  t0: string | null,
): Promise<CampaignReport['throughput']> {
  if (!t0) return { bucketSeconds: 1, start: null, buckets: [], peakSentPerSec: 0 };
  const span = await db.query<{ end_ms: number | null }>(
    `SELECT extract(epoch FROM max(GREATEST(sent_at, delivered_at, updated_at)) - $2::timestamptz) * 1000 AS end_ms
       FROM notification WHERE campaign_id = $1`,
    [campaignId, t0],
  );
  const spanMs = Math.max(1000, Number(span.rows[0]?.end_ms ?? 0));
  const width = bucketSeconds(spanMs);
  const r = await db.query<{ b: number; sent: number; delivered: number; failed: number }>(
    `SELECT GREATEST(b, 0) AS b, sum(s)::int AS sent, sum(d)::int AS delivered, sum(f)::int AS failed FROM (
        SELECT floor(extract(epoch FROM sent_at - $2::timestamptz) / $3)::int AS b, 1 AS s, 0 AS d, 0 AS f
          FROM notification WHERE campaign_id = $1 AND sent_at IS NOT NULL
        UNION ALL
        SELECT floor(extract(epoch FROM delivered_at - $2::timestamptz) / $3)::int, 0, 1, 0
          FROM notification WHERE campaign_id = $1 AND state = 'delivered' AND delivered_at IS NOT NULL
        UNION ALL
        SELECT floor(extract(epoch FROM updated_at - $2::timestamptz) / $3)::int, 0, 0, 1
          FROM notification WHERE campaign_id = $1 AND state IN ('failed', 'undelivered')
      ) x GROUP BY GREATEST(b, 0) ORDER BY 1`,
    [campaignId, t0, width],
  );
  const last = r.rows.length ? Number(r.rows[r.rows.length - 1]!.b) : -1;
  const byBucket = new Map(r.rows.map((x) => [Number(x.b), x]));
  const start = Date.parse(t0);
  const buckets: CampaignReport['throughput']['buckets'] = [];
  let peak = 0;
  for (let b = 0; b <= last; b++) {
    const x = byBucket.get(b);
    const sent = Number(x?.sent ?? 0);
    peak = Math.max(peak, sent);
    buckets.push({
      start: new Date(start + b * width * 1000).toISOString(),
      sent,
      delivered: Number(x?.delivered ?? 0),
      failed: Number(x?.failed ?? 0),
    });
  }
  return { bucketSeconds: width, start: t0, buckets, peakSentPerSec: Math.round((peak / width) * 10) / 10 };
}

interface LedgerRow {
  id: number;
  subscriber_id: number;
  channel: string;
  carrier: string;
  state: NotificationState;
  reason: string | null;
  carrier_code: string | null;
  attempts: number;
  msisdn: string | null;
  email: string | null;
}

/** Why a notification did not end delivered, in a sentence an auditor can put in a report. */
export function whyNotDelivered(r: {
  state: NotificationState;
  reason: string | null;
  carrier_code: string | null;
}): string {
  const code = r.carrier_code ? ` (code ${r.carrier_code})` : '';
  const reason = r.reason ? `: ${r.reason}` : '';
  switch (r.state) {
    case 'failed':
      return `failed permanently${code}${reason}`;
    case 'undelivered':
      return `accepted by the carrier, then reported undeliverable${code}${reason}`;
    case 'suppressed':
      return `not sent: suppressed${reason}`;
    case 'cancelled':
      return `not sent: cancelled (ENDEX)${reason}`;
    case 'sent':
      return 'accepted by the carrier; no delivery receipt yet';
    case 'retrying':
      return `waiting for another attempt${code}${reason}`;
    case 'sending':
      return 'being sent now';
    case 'pending':
      return 'queued, not attempted yet';
    default:
      return r.state;
  }
}

function detailOf(details: Record<string, unknown>): string | null {
  const parts: string[] = [];
  for (const k of ['reason', 'carrierCode', 'latencyMs', 'delayMs', 'via', 'stateAtReceipt']) {
    const v = details[k];
    if (v !== undefined && v !== null && v !== '')
      parts.push(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  return parts.length ? parts.join(' ') : null;
}

/**
 * A page of recipients not (yet) delivered, with their audit trails, ordered by notification id.
 * Contacts are masked here; the route adds clear ones for the pii:read scope, audited.
 */
export async function notDeliveredPage(
  db: Queryable,
  campaignId: number,
  after: number,
  limit: number,
): Promise<{ items: NotDeliveredItem[]; nextCursor: number | null }> {
  const r = await db.query<LedgerRow>(
    `SELECT n.id, n.subscriber_id, n.channel, n.carrier, n.state, n.reason, n.carrier_code, n.attempts,
            s.msisdn, s.email
       FROM notification n JOIN subscribers s ON s.id = n.subscriber_id
      WHERE n.campaign_id = $1 AND n.state <> 'delivered' AND n.id > $2
      ORDER BY n.id LIMIT $3`,
    [campaignId, after, limit + 1],
  );
  const rows = r.rows.slice(0, limit);
  const ids = rows.map((x) => Number(x.id));
  const trails = new Map<number, NotDeliveredItem['trail']>();
  if (ids.length > 0) {
    const t = await db.query<{
      seq: number;
      at: Date | string;
      type: string;
      attempt: number | null;
      outcome: string | null;
      details: Record<string, unknown>;
      notification_id: number;
    }>(
      `SELECT seq, at, type, attempt, outcome, details, notification_id FROM audit_log
        WHERE notification_id = ANY($1::bigint[]) ORDER BY notification_id, seq`,
      [ids],
    );
    for (const e of t.rows) {
      const list = trails.get(Number(e.notification_id)) ?? [];
      list.push({
        seq: Number(e.seq),
        at: new Date(e.at).toISOString(),
        type: e.type,
        attempt: e.attempt === null ? null : Number(e.attempt),
        outcome: e.outcome,
        detail: detailOf(e.details ?? {}),
      });
      trails.set(Number(e.notification_id), list);
    }
  }
  const items = rows.map((x): NotDeliveredItem => {
    const contact = x.channel === 'sms' ? x.msisdn : x.email;
    return {
      notificationId: Number(x.id),
      subscriberHash: subscriberHash(Number(x.subscriber_id)),
      contactMasked: contact ? (x.channel === 'sms' ? maskMsisdn(contact) : maskEmail(contact)) : null,
      channel: x.channel,
      carrier: x.carrier,
      state: x.state,
      why: whyNotDelivered(x),
      reason: x.reason,
      carrierCode: x.carrier_code,
      attempts: Number(x.attempts),
      trail: trails.get(Number(x.id)) ?? [],
    };
  });
  return { items, nextCursor: r.rows.length > limit ? Number(rows[rows.length - 1]!.id) : null };
}

export async function buildCampaignReport(
  db: Db,
  campaignId: number,
  q: Pick<CampaignReportQuery, 'after' | 'limit'>,
): Promise<CampaignReport> {
  const c = await loadCampaign(db, campaignId);
  const t0 = iso(c.triggered_at);
  const counts = await db.query<{ state: string; channel: string; carrier: string; n: number }>(
    `SELECT state, channel, carrier, count(*)::int AS n FROM notification WHERE campaign_id = $1
      GROUP BY state, channel, carrier ORDER BY state, channel, carrier`,
    [campaignId],
  );
  const byState: Record<string, number> = {};
  let total = 0;
  for (const x of counts.rows) {
    byState[x.state] = (byState[x.state] ?? 0) + Number(x.n);
    total += Number(x.n);
  }
  const sum = (states: string[]) => states.reduce((s, st) => s + (byState[st] ?? 0), 0);
  const triggerToSent = t0
    ? await latency(
        db,
        campaignId,
        'extract(epoch FROM sent_at - $2::timestamptz) * 1000',
        'sent_at IS NOT NULL',
        [t0],
      )
    : [];
  // A receipt carries the carrier's clock, and can be stamped a few ms before our own record of the
  // acceptance: such a delivery counts as 0 ms, not as a negative latency.
  const sentToDelivered = await latency(
    db,
    campaignId,
    'GREATEST(0, extract(epoch FROM delivered_at - sent_at) * 1000)',
    `state = 'delivered' AND sent_at IS NOT NULL AND delivered_at IS NOT NULL`,
    [],
  );
  const reasons = await db.query<{
    state: string;
    channel: string;
    carrier_code: string | null;
    reason: string | null;
    n: number;
  }>(
    `SELECT state, channel, carrier_code, reason, count(*)::int AS n FROM notification
      WHERE campaign_id = $1 AND state IN ('failed', 'undelivered', 'suppressed', 'cancelled')
      GROUP BY state, channel, carrier_code, reason ORDER BY n DESC, state, channel, reason LIMIT 10`,
    [campaignId],
  );
  const retries = await db.query<{
    channel: string | null;
    carrier: string | null;
    code: string | null;
    n: number;
  }>(
    `SELECT channel, carrier, outcome AS code, count(*)::int AS n FROM audit_log
      WHERE campaign_id = $1 AND type = 'notification.retry_scheduled'
      GROUP BY channel, carrier, outcome ORDER BY n DESC, channel, carrier, outcome LIMIT 50`,
    [campaignId],
  );
  const page = await notDeliveredPage(db, campaignId, q.after ?? 0, q.limit);
  return {
    campaign: {
      id: Number(c.id),
      incidentId: Number(c.incident_id),
      kind: c.kind,
      state: c.state,
      channels: c.channels,
      createdAt: iso(c.created_at)!,
      triggeredAt: t0,
      completedAt: iso(c.completed_at),
    },
    generatedAt: new Date().toISOString(),
    totals: {
      notifications: total,
      reachedCarrier: sum(REACHED_STATES),
      delivered: byState.delivered ?? 0,
      notDelivered: total - (byState.delivered ?? 0),
      open: sum(OPEN_STATES),
      byState,
    },
    counts: counts.rows.map((x) => ({
      state: x.state,
      channel: x.channel,
      carrier: x.carrier,
      n: Number(x.n),
    })),
    latencyMs: { triggerToSent, sentToDelivered },
    throughput: await throughput(db, campaignId, t0),
    failureReasons: reasons.rows.map((x) => ({
      state: x.state,
      channel: x.channel,
      carrierCode: x.carrier_code,
      reason: x.reason,
      n: Number(x.n),
    })),
    retries: retries.rows.map((x) => ({
      channel: x.channel,
      carrier: x.carrier,
      code: x.code,
      n: Number(x.n),
    })),
    notDelivered: { total: total - (byState.delivered ?? 0), ...page },
  };
}
