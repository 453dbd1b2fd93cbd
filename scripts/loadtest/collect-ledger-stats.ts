import type { Db } from '../../shared/store/db';

export interface RateFigure {
  /** notifications delivered */
  delivered: number;
  /** rows in the ledger */
  notifications: number;
  /** trigger → last delivered_at, s */
  seconds: number;
  /** delivered / seconds */
  perSec: number;
  /** trigger → first delivered_at, ms */
  firstDeliveryMs: number | null;
}

export interface StageLatency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export const STAGES = [
  'trigger→queued',
  'queued→claimed',
  'claimed→sent',
  'sent→delivered',
  'trigger→delivered',
] as const;

export interface CampaignFacts {
  id: number;
  kind: string;
  channels: string[];
  state: string;
  triggeredAt: string | null;
  completedAt: string | null;
}

export interface LedgerStats {
  campaigns: CampaignFacts[];
  triggeredAt: string | null;
  /** trigger → the last campaign completed (every row terminal, receipts applied), s */
  completionSeconds: number | null;
  byState: Record<string, number>;
  throughput: {
    overall: RateFigure;
    byChannel: Record<string, RateFigure>;
    byCarrier: (RateFigure & { carrier: string; channel: string })[];
  };
  /** ms per stage and channel: p50, p95, p99, max (claimed = first attempt_started audit event) */
  latency: Record<string, Record<string, StageLatency>>;
  /** per second after the trigger: accepted (sent_at) and delivered (delivered_at) per channel */
  timeline: { second: number; channel: string; sent: number; delivered: number }[];
  retries: { total: number; byReason: { channel: string; reason: string; count: number }[] };
  failures: { channel: string; state: string; code: string; reason: string; count: number }[];
  attempts: { attempts: number; count: number }[];
  database: { totalMb: number; tables: Record<string, number> };
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function rate(
  delivered: number,
  notifications: number,
  t0: number,
  first: Date | null,
  last: Date | null,
): RateFigure {
  const seconds = last ? Math.max(0.001, (new Date(last).getTime() - t0) / 1000) : 0;
  return {
    delivered,
    notifications,
    seconds: Math.round(seconds * 1000) / 1000,
    perSec: seconds > 0 ? Math.round(delivered / seconds) : 0,
    firstDeliveryMs: first ? new Date(first).getTime() - t0 : null,
  };
}

/**
 * Everything the report says about a run that the ledger and the audit log know: throughput per
 * channel and carrier, stage latencies, a per-second timeline, retries and failures by reason,
 * attempts, and the size of the database. Read once, after the run (a few set-based queries; on a
 * million notifications the stage latencies take a few seconds).
 */
export async function collectLedgerStats(db: Db, campaignIds: readonly number[]): Promise<LedgerStats> {
  const ids = [...campaignIds];
  const campaigns = (
    await db.query<{
      id: number;
      kind: string;
      channels: string[];
      state: string;
      triggered_at: Date | null;
      completed_at: Date | null;
    }>(
      'SELECT id, kind, channels, state, triggered_at, completed_at FROM campaigns WHERE id = ANY($1::bigint[]) ORDER BY id',
      [ids],
    )
  ).rows;
  const triggered = campaigns.map((c) => c.triggered_at).filter((d): d is Date => d !== null);
  const t0 = triggered.length ? Math.min(...triggered.map((d) => new Date(d).getTime())) : Date.now();
  const completed = campaigns.map((c) => c.completed_at);
  const completionSeconds =
    completed.length > 0 && completed.every((d) => d !== null)
      ? (Math.max(...completed.map((d) => new Date(d!).getTime())) - t0) / 1000
      : null;

  const groups = (
    await db.query<{
      channel: string;
      carrier: string;
      state: string;
      n: number;
      first_delivered: Date | null;
      last_delivered: Date | null;
    }>(
      `SELECT channel, carrier, state, count(*)::int AS n, min(delivered_at) AS first_delivered,
              max(delivered_at) AS last_delivered
         FROM notification WHERE campaign_id = ANY($1::bigint[]) GROUP BY 1, 2, 3`,
      [ids],
    )
  ).rows;
  const byState: Record<string, number> = {};
  type Acc = { delivered: number; n: number; first: Date | null; last: Date | null };
  const acc = () => ({ delivered: 0, n: 0, first: null, last: null }) as Acc;
  const add = (a: Acc, g: (typeof groups)[number]) => {
    a.n += g.n;
    if (g.state === 'delivered') {
      a.delivered += g.n;
      if (g.first_delivered && (!a.first || g.first_delivered < a.first)) a.first = g.first_delivered;
      if (g.last_delivered && (!a.last || g.last_delivered > a.last)) a.last = g.last_delivered;
    }
  };
  const overall = acc();
  const channels = new Map<string, Acc>();
  const carriers = new Map<string, Acc & { carrier: string; channel: string }>();
  for (const g of groups) {
    byState[g.state] = (byState[g.state] ?? 0) + g.n;
    add(overall, g);
    if (!channels.has(g.channel)) channels.set(g.channel, acc());
    add(channels.get(g.channel)!, g);
    const k = `${g.carrier}|${g.channel}`;
    if (!carriers.has(k)) carriers.set(k, { ...acc(), carrier: g.carrier, channel: g.channel });
    add(carriers.get(k)!, g);
  }
  const fig = (a: Acc) => rate(a.delivered, a.n, t0, a.first, a.last);

  const latencyRows = (
    await db.query<{ channel: string; stage: string; p: number[]; max: number; n: number }>(
      `WITH c AS (SELECT id, triggered_at FROM campaigns WHERE id = ANY($1::bigint[])),
            claims AS (
              SELECT notification_id, min(at) AS claimed_at FROM audit_log
               WHERE campaign_id = ANY($1::bigint[]) AND type = 'notification.attempt_started'
               GROUP BY notification_id),
            x AS (
              SELECT n.channel,
                     extract(epoch FROM n.queued_at - c.triggered_at) * 1000 AS a,
                     extract(epoch FROM cl.claimed_at - n.queued_at) * 1000 AS b,
                     extract(epoch FROM n.sent_at - cl.claimed_at) * 1000 AS d,
                     extract(epoch FROM n.delivered_at - n.sent_at) * 1000 AS e,
                     extract(epoch FROM n.delivered_at - c.triggered_at) * 1000 AS f
                FROM notification n JOIN c ON c.id = n.campaign_id
                LEFT JOIN claims cl ON cl.notification_id = n.id
               WHERE n.campaign_id = ANY($1::bigint[]))
       SELECT x.channel, s.stage,
              percentile_disc(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY s.v) AS p,
              max(s.v) AS max, count(s.v)::int AS n
         FROM x CROSS JOIN LATERAL (VALUES ('trigger→queued', x.a), ('queued→claimed', x.b),
              ('claimed→sent', x.d), ('sent→delivered', x.e), ('trigger→delivered', x.f)) AS s(stage, v)
        WHERE s.v IS NOT NULL
        GROUP BY x.channel, s.stage`,
      [ids],
    )
  ).rows;
  const latency: LedgerStats['latency'] = {};
  for (const r of latencyRows) {
    const p = r.p.map((v) => Math.round(Number(v)));
    (latency[r.channel] ??= {})[r.stage] = {
      n: r.n,
      p50: p[0] ?? 0,
      p95: p[1] ?? 0,
      p99: p[2] ?? 0,
      max: Math.round(Number(r.max)),
    };
  }

  const t0Iso = new Date(t0).toISOString();
  const timelineRows = (
    await db.query<{ channel: string; what: string; s: number; n: number }>(
      `SELECT channel, 'sent' AS what, floor(extract(epoch FROM sent_at - $2::timestamptz))::int AS s, count(*)::int AS n
         FROM notification WHERE campaign_id = ANY($1::bigint[]) AND sent_at IS NOT NULL GROUP BY 1, 3
       UNION ALL
       SELECT channel, 'delivered', floor(extract(epoch FROM delivered_at - $2::timestamptz))::int, count(*)::int
         FROM notification WHERE campaign_id = ANY($1::bigint[]) AND delivered_at IS NOT NULL GROUP BY 1, 3`,
      [ids, t0Iso],
    )
  ).rows;
  const tl = new Map<string, { second: number; channel: string; sent: number; delivered: number }>();
  for (const r of timelineRows) {
    const second = Math.max(0, r.s);
    const k = `${r.channel}|${second}`;
    const e = tl.get(k) ?? { second, channel: r.channel, sent: 0, delivered: 0 };
    if (r.what === 'sent') e.sent += r.n;
    else e.delivered += r.n;
    tl.set(k, e);
  }
  const timeline = [...tl.values()].sort((a, b) => a.second - b.second || a.channel.localeCompare(b.channel));

  const retryRows = (
    await db.query<{ channel: string; reason: string; n: number }>(
      `SELECT coalesce(channel, '?') AS channel, coalesce(outcome, '?') AS reason, count(*)::int AS n FROM audit_log
        WHERE campaign_id = ANY($1::bigint[]) AND type = 'notification.retry_scheduled'
        GROUP BY 1, 2 ORDER BY 3 DESC`,
      [ids],
    )
  ).rows;
  const failures = (
    await db.query<{ channel: string; state: string; code: string; reason: string; n: number }>(
      `SELECT channel, state, coalesce(carrier_code, '') AS code,
              regexp_replace(left(coalesce(reason, ''), 120), '\\d{4,}', 'N', 'g') AS reason, count(*)::int AS n
         FROM notification
        WHERE campaign_id = ANY($1::bigint[]) AND state IN ('failed', 'undelivered', 'suppressed', 'cancelled')
        GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 50`,
      [ids],
    )
  ).rows;
  const attempts = (
    await db.query<{ attempts: number; n: number }>(
      'SELECT attempts, count(*)::int AS n FROM notification WHERE campaign_id = ANY($1::bigint[]) GROUP BY 1 ORDER BY 1',
      [ids],
    )
  ).rows;
  const sizes = (
    await db.query<{ relname: string; bytes: number }>(
      `SELECT c.relname, pg_total_relation_size(c.oid)::bigint AS bytes
         FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = current_schema() AND c.relkind = 'r'`,
    )
  ).rows;

  return {
    campaigns: campaigns.map((c) => ({
      id: c.id,
      kind: c.kind,
      channels: c.channels,
      state: c.state,
      triggeredAt: iso(c.triggered_at),
      completedAt: iso(c.completed_at),
    })),
    triggeredAt: triggered.length ? t0Iso : null,
    completionSeconds,
    byState,
    throughput: {
      overall: fig(overall),
      byChannel: Object.fromEntries([...channels].map(([ch, a]) => [ch, fig(a)])),
      byCarrier: [...carriers.values()]
        .map((a) => ({ carrier: a.carrier, channel: a.channel, ...fig(a) }))
        .sort((a, b) => a.channel.localeCompare(b.channel) || a.carrier.localeCompare(b.carrier)),
    },
    latency,
    timeline,
    retries: {
      total: retryRows.reduce((n, r) => n + r.n, 0),
      byReason: retryRows.map((r) => ({ channel: r.channel, reason: r.reason, count: r.n })),
    },
    failures: failures.map((f) => ({
      channel: f.channel,
      state: f.state,
      code: f.code,
      reason: f.reason,
      count: f.n,
    })),
    attempts: attempts.map((a) => ({ attempts: a.attempts, count: a.n })),
    database: {
      totalMb: mb(sizes.reduce((n, s) => n + Number(s.bytes), 0)),
      tables: Object.fromEntries(
        sizes
          .filter((s) => Number(s.bytes) > 64 * 1024)
          .sort((a, b) => Number(b.bytes) - Number(a.bytes))
          .map((s) => [s.relname, mb(Number(s.bytes))]),
      ),
    },
  };
}
