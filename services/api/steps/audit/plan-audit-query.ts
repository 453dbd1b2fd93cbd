import type { Db, Queryable } from '../../../../shared/store/db';
import { queryWithSettings } from '../../../../shared/store/query-with-settings';
import type { AuditFilters } from '../../../../shared/api/audit.schema';
import type { AuditRow } from '../../../../shared/audit/audit-event';
import type { AuditEventType } from '../../../../shared/domain';

/**
 * A filtered walk over the audit log in seq order, shared by the query page, the exports and the
 * reports. A page costs the same on the first event and the ten-millionth:
 *
 * - The most selective filter drives the page through an index that ends in seq (001, 020, 052):
 *   notification, subscriber, campaign (with a rare type: campaign × type), incident, a rare type, a
 *   failure outcome, a person's or key's actions, a carrier. Only channel, the delivery types, common
 *   outcomes and worker actors are left to a primary-key (or campaign) walk, and each of those
 *   matches a large share of the log. Each source is walked by row comparison, `(key…, seq) > (value…, after)`, inside a
 *   LATERAL join: with a plain `key = $1` PostgreSQL knows the key is constant, drops it from the
 *   order, and may walk the primary key filtering row by row — milliseconds when matches are spread
 *   out, seconds when they all sit late in the log.
 * - Time ranges become seq ranges: `at` never goes backwards along seq (append-audit.ts, enforced by
 *   the audit_head trigger), so a binary search over the primary key finds the bounds.
 * - An incident is its campaigns' rows plus its own campaign-less events; a subscriber is its own
 *   events plus every event of its notifications, found through the event that created each (the
 *   subscriber index holds only those, migration 052). Several sources are merged by seq.
 */
export interface AuditPlan {
  /** Rows with seq > afterFloor (time range lower bound). */
  afterFloor: number;
  /** Rows with seq <= through (time range upper bound, or the head when an export started). */
  through: number | null;
  /** Conditions every row must meet besides its source's, with their parameters from $1. */
  conds: string[];
  params: unknown[];
  /** Indexed sources, merged by seq; empty: walk the primary key with `conds`. */
  sources: Source[];
  /** True when the filter can match nothing. */
  empty: boolean;
}

type KeyColumn =
  | 'notification_id'
  | 'subscriber_hash'
  | 'campaign_id'
  | 'incident_id'
  | 'type'
  | 'outcome'
  | 'actor'
  | 'carrier';

interface Source {
  /** The index key before seq: one column, or campaign_id and type. */
  keys: KeyColumn[];
  /** One tuple per walk (e.g. one per campaign of an incident). */
  tuples: (number | string)[][];
  /** Conditions of this source only; literal, so partial indexes match them. */
  extra: string[];
}

/** Outcomes too common to be worth an index entry (migration 020, audit_log_outcome_rare). */
const COMMON_OUTCOMES_SQL = `outcome NOT IN ('accepted', 'delivered')`;
const COMMON_OUTCOMES = new Set(['accepted', 'delivered']);
/** Actors with few events each (people, API keys), indexed by audit_log_actor_person. */
const PERSON_ACTOR_SQL = `actor NOT LIKE 'worker:%'`;
const sqlList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
/**
 * The five types every delivered SMS writes, each about a fifth of a delivery log: the type indexes
 * leave them out (migration 052) and a walk that filters by one meets a match every few rows.
 */
const DELIVERY_TYPES: readonly AuditEventType[] = [
  'notification.queued',
  'notification.attempt_started',
  'notification.sent',
  'receipt.applied',
  'notification.delivered',
];
const RARE_TYPES_SQL = `type NOT IN (${sqlList(DELIVERY_TYPES)})`;
/** The filter's type when the type indexes hold it (not a delivery type), else undefined. */
const rareTypeOf = (t: string | undefined): string | undefined =>
  t !== undefined && !(DELIVERY_TYPES as readonly string[]).includes(t) ? t : undefined;
/**
 * The events that create a ledger row, each carrying the subscriber's hash: fan-out and corrections
 * queue, a no-harm determination suppresses. Of a notification's events only these are in the
 * subscriber index (migration 052, audit_log_subscriber); the literals match its predicate.
 */
const NOTIFICATION_CREATED: readonly AuditEventType[] = ['notification.queued', 'notification.suppressed'];
const NOTIFICATION_CREATED_SQL = `type IN (${sqlList(NOTIFICATION_CREATED)})`;
const SUBSCRIBER_INDEXED_SQL = `(notification_id IS NULL OR ${NOTIFICATION_CREATED_SQL})`;
const TEXT_KEYS = new Set<KeyColumn>(['subscriber_hash', 'type', 'outcome', 'actor', 'carrier']);

const AUDIT_COLUMNS = `seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
  contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash`;

/**
 * First seq whose row (and every later row) has `at` >= t; max(seq)+1 when there is none.
 *
 * `at` never goes backwards along seq and seq has no gaps, so the rows of one month are one stretch
 * of seq: a binary search over t's month finds the answer (the seq after the month's last row when
 * none of its rows is at or after t); a month without rows defers to the first row of a later one. Every probe names the month, so on the log partitioned by month
 * (migration 050) it reads one partition: a probe through the parent would descend into every
 * partition's index, and planning it would consider all of their indexes.
 */
const SEQ_AT_OR_AFTER_SQL = `WITH RECURSIVE b(lo, hi, has) AS (
    SELECT COALESCE(x.mn, 1), COALESCE(x.mx, 0) + 1, x.mn IS NOT NULL
      FROM (SELECT (SELECT min(seq) FROM audit_log WHERE at >= $2 AND at < $3) AS mn,
                   (SELECT max(seq) FROM audit_log WHERE at >= $2 AND at < $3) AS mx) x
  UNION ALL
    SELECT CASE WHEN p.ok THEN b.lo ELSE (b.lo + b.hi) / 2 + 1 END,
           CASE WHEN p.ok THEN (b.lo + b.hi) / 2 ELSE b.hi END, b.has
      FROM b CROSS JOIN LATERAL (
        SELECT COALESCE((SELECT l.at >= $1::timestamptz FROM audit_log l
                          WHERE l.at >= $2 AND l.at < $3 AND l.seq >= (b.lo + b.hi) / 2
                          ORDER BY l.seq LIMIT 1), true) AS ok) p
     WHERE b.lo < b.hi)
SELECT CASE WHEN b.has THEN b.lo
            ELSE COALESCE((SELECT min(seq) FROM audit_log WHERE at >= $3),
                          (SELECT seq FROM audit_head WHERE id = 1) + 1) END AS lo
  FROM b WHERE b.lo >= b.hi`;

export async function seqAtOrAfter(db: Queryable, time: string): Promise<number> {
  const t = new Date(time);
  // The UTC month holding t, passed as values so the planner prunes to its partition.
  const month = (delta: number) =>
    new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + delta, 1)).toISOString();
  const r = await db.query<{ lo: number }>(SEQ_AT_OR_AFTER_SQL, [time, month(0), month(1)]);
  return Number(r.rows[0]?.lo ?? 1);
}

export function isUnfiltered(f: AuditFilters): boolean {
  return Object.values(f).every((v) => v === undefined);
}

export async function planAuditQuery(db: Queryable, f: AuditFilters): Promise<AuditPlan> {
  const conds: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  let afterFloor = 0;
  let through: number | null = null;
  let empty = false;
  if (f.from) afterFloor = (await seqAtOrAfter(db, f.from)) - 1;
  if (f.to) {
    through = (await seqAtOrAfter(db, f.to)) - 1;
    if (through <= afterFloor) empty = true;
  }

  const incidentCampaigns =
    f.incident === undefined
      ? []
      : (
          await db.query<{ id: number }>('SELECT id FROM campaigns WHERE incident_id = $1 ORDER BY id', [
            f.incident,
          ])
        ).rows.map((r) => Number(r.id));
  const subscriberNotifications = f.subscriber
    ? (
        await db.query<{ id: number }>(
          `SELECT DISTINCT notification_id AS id FROM audit_log
            WHERE subscriber_hash = $1 AND notification_id IS NOT NULL AND ${NOTIFICATION_CREATED_SQL}`,
          [f.subscriber],
        )
      ).rows
        .map((r) => Number(r.id))
        .sort((a, b) => a - b)
    : [];

  // The driver, in order of selectivity; every other filter becomes a condition.
  const one = (keys: KeyColumn[], tuple: (number | string)[], extra: string[] = []): Source => ({
    keys,
    tuples: [tuple],
    extra,
  });
  let sources: Source[] = [];
  const driven = new Set<keyof AuditFilters>();
  const rareType = rareTypeOf(f.type);
  if (f.notification !== undefined) {
    sources = [one(['notification_id'], [f.notification])];
    driven.add('notification');
  } else if (f.subscriber) {
    sources = [
      // The subscriber's own events and the event that created each of their notifications...
      one(['subscriber_hash'], [f.subscriber], [SUBSCRIBER_INDEXED_SQL]),
      // ...and every other event of those notifications (receipts carry no hash at all).
      {
        keys: ['notification_id'],
        tuples: subscriberNotifications.map((n) => [n]),
        extra: [`(subscriber_hash IS NULL OR NOT ${NOTIFICATION_CREATED_SQL})`],
      },
    ];
    driven.add('subscriber');
  } else if (f.campaign !== undefined) {
    const rareOutcome = f.outcome !== undefined && !COMMON_OUTCOMES.has(f.outcome);
    const person = f.actor !== undefined && !f.actor.startsWith('worker:');
    if (rareType) {
      sources = [one(['campaign_id', 'type'], [f.campaign, rareType], [RARE_TYPES_SQL])];
      driven.add('type');
    } else if (rareOutcome || person) {
      // A failure code or a person within a campaign: walk that (small) index, but only across the
      // campaign's stretch of the log; the campaign stays a condition.
      // Row comparisons again, so the (campaign_id, seq) index answers both ends (see walkSql).
      const span = await db.query<{ lo: number | null; hi: number | null }>(
        `SELECT (SELECT seq FROM audit_log WHERE campaign_id IS NOT NULL AND (campaign_id, seq) > ($1::bigint, 0)
                  ORDER BY campaign_id, seq LIMIT 1) AS lo,
                (SELECT seq FROM audit_log WHERE campaign_id IS NOT NULL
                    AND (campaign_id, seq) <= ($1::bigint, ${Number.MAX_SAFE_INTEGER})
                  ORDER BY campaign_id DESC, seq DESC LIMIT 1) AS hi,
                (SELECT 1 FROM audit_log WHERE campaign_id IS NOT NULL AND (campaign_id, seq) > ($1::bigint, 0)
                    AND (campaign_id, seq) <= ($1::bigint, ${Number.MAX_SAFE_INTEGER}) LIMIT 1) AS any`,
        [f.campaign],
      );
      const { lo, hi, any } = (span.rows[0] ?? { lo: null, hi: null, any: null }) as {
        lo: number | null;
        hi: number | null;
        any: number | null;
      };
      if (lo === null || hi === null || any === null) empty = true;
      else {
        afterFloor = Math.max(afterFloor, Number(lo) - 1);
        through = Math.min(through ?? Number.MAX_SAFE_INTEGER, Number(hi));
      }
      sources = rareOutcome
        ? [one(['outcome'], [f.outcome!], [COMMON_OUTCOMES_SQL])]
        : [one(['actor'], [f.actor!], [PERSON_ACTOR_SQL])];
      driven.add(rareOutcome ? 'outcome' : 'actor');
    } else {
      sources = [one(['campaign_id'], [f.campaign])];
    }
    if (!driven.has('outcome') && !driven.has('actor')) driven.add('campaign');
    if (f.incident !== undefined) {
      if (!incidentCampaigns.includes(f.campaign)) empty = true;
      driven.add('incident');
    }
  } else if (f.incident !== undefined) {
    sources = [
      {
        keys: rareType ? ['campaign_id', 'type'] : ['campaign_id'],
        tuples: incidentCampaigns.map((c) => (rareType ? [c, rareType] : [c])),
        extra: rareType ? [RARE_TYPES_SQL] : [],
      },
      one(['incident_id'], [f.incident], ['campaign_id IS NULL']),
    ];
    driven.add('incident');
  } else if (rareType) {
    sources = [one(['type'], [rareType], [RARE_TYPES_SQL])];
    driven.add('type');
  } else if (f.outcome && !COMMON_OUTCOMES.has(f.outcome)) {
    sources = [one(['outcome'], [f.outcome], [COMMON_OUTCOMES_SQL])];
    driven.add('outcome');
  } else if (f.actor && !f.actor.startsWith('worker:')) {
    sources = [one(['actor'], [f.actor], [PERSON_ACTOR_SQL])];
    driven.add('actor');
  } else if (f.carrier) {
    sources = [one(['carrier'], [f.carrier])];
    driven.add('carrier');
  }

  if (f.notification !== undefined && !driven.has('notification'))
    conds.push(`notification_id = ${p(f.notification)}`);
  if (f.subscriber && !driven.has('subscriber'))
    conds.push(
      `(subscriber_hash = ${p(f.subscriber)} OR (subscriber_hash IS NULL AND notification_id = ANY(${p(subscriberNotifications)}::bigint[])))`,
    );
  if (f.campaign !== undefined && !driven.has('campaign')) conds.push(`campaign_id = ${p(f.campaign)}`);
  if (f.incident !== undefined && !driven.has('incident'))
    conds.push(
      `(campaign_id = ANY(${p(incidentCampaigns)}::bigint[]) OR (campaign_id IS NULL AND incident_id = ${p(f.incident)}))`,
    );
  if (f.type && !driven.has('type')) conds.push(`type = ${p(f.type)}`);
  if (f.outcome && !driven.has('outcome')) conds.push(`outcome = ${p(f.outcome)}`);
  if (f.carrier && !driven.has('carrier')) conds.push(`carrier = ${p(f.carrier)}`);
  if (f.channel) conds.push(`channel = ${p(f.channel)}`);
  if (f.actor && !driven.has('actor')) conds.push(`actor = ${p(f.actor)}`);
  return { afterFloor, through, conds, params, sources: sources.filter((s) => s.tuples.length > 0), empty };
}

/**
 * The SQL of a walk: rows matching the plan within the seq window, `limit` of them, in `dir` order.
 * `columns` is what the index walks carry; `projection` what the query returns from them. Exported
 * for tests/integration/audit-indexes.test.ts, which reads its plans.
 */
export function walkSql(
  plan: AuditPlan,
  after: number,
  limit: number,
  dir: 'ASC' | 'DESC',
  columns: string,
  projection = columns,
): { sql: string; params: unknown[] } {
  const params = [...plan.params];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const lo = p(Math.max(after, plan.afterFloor));
  const hi = p(plan.through ?? Number.MAX_SAFE_INTEGER);
  const lim = p(limit);
  if (plan.sources.length === 0) {
    const where = [...plan.conds, `seq > ${lo}`, `seq <= ${hi}`];
    return {
      sql: `SELECT ${projection} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq ${dir} LIMIT ${lim}`,
      params,
    };
  }
  // Row comparisons, not `key = k.v1`: the key then is not a known constant, so only its index yields
  // the order asked for, and the planner cannot fall back on the primary key.
  const branches = plan.sources.map((s) => {
    const vars = s.keys.map((_, i) => `k.v${i + 1}`);
    const arrays = s.keys.map(
      (key, i) => `${p(s.tuples.map((t) => t[i]))}::${TEXT_KEYS.has(key) ? 'text' : 'bigint'}[]`,
    );
    const key = s.keys.join(', ');
    const where = [
      ...s.keys.map((k) => `${k} IS NOT NULL`),
      `(${key}, seq) > (${vars.join(', ')}, ${lo})`,
      `(${key}, seq) <= (${vars.join(', ')}, ${hi})`,
      ...s.extra,
      ...plan.conds,
    ];
    return `(SELECT x.* FROM unnest(${arrays.join(', ')}) AS k(${vars.map((_, i) => `v${i + 1}`).join(', ')})
      CROSS JOIN LATERAL (SELECT ${columns} FROM audit_log WHERE ${where.join(' AND ')}
        ORDER BY ${s.keys.map((k) => `${k} ${dir}`).join(', ')}, seq ${dir} LIMIT ${lim}) x)`;
  });
  return {
    sql: `SELECT ${projection} FROM (${branches.join(' UNION ALL ')}) u ORDER BY seq ${dir} LIMIT ${lim}`,
    params,
  };
}

/**
 * The planner held to ordered index scans. Statistics lag a log that grows by millions between
 * ANALYZE runs: for the newest rows (the ones asked for most) PostgreSQL then expects a handful of
 * matches and may pick a bitmap scan that sorts them all, a million rows for a big campaign. No
 * bitmap, no sort: every branch walks its index in order and stops at the limit. An incremental
 * sort counts too: walking the campaign index and sorting each campaign's rows by type would sort
 * a million rows for a big campaign (tests/integration/audit-indexes.test.ts saw one chosen).
 */
// jit off: the penalty on the one unavoidable sort (merging sources by seq) would otherwise look
// costly enough to compile the query, 200 ms for a page that takes one.
export const WALK_SETTINGS =
  'SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off; SET LOCAL enable_incremental_sort = off; SET LOCAL jit = off';

async function runWalk<R>(db: Db, q: { sql: string; params: unknown[] }): Promise<R[]> {
  return (await queryWithSettings<R>(db, WALK_SETTINGS, q.sql, q.params)).rows;
}

/** One page of rows in seq order after `after` (exclusive), at most `limit`. */
export async function fetchAuditRows(
  db: Db,
  plan: AuditPlan,
  after: number,
  limit: number,
): Promise<AuditRow[]> {
  if (plan.empty) return [];
  return runWalk<AuditRow>(db, walkSql(plan, after, limit, 'ASC', AUDIT_COLUMNS));
}

/**
 * Like fetchAuditRows, with each row rendered by PostgreSQL as `line` (SQL over the audit_log columns
 * and `details_text`, the details as text), joined into one text in seq order: the exports' hot path.
 * Two columns a row instead of sixteen for this process to parse, and the formatting done in C while
 * this process relays the previous page. OFFSET 0 keeps `details_text` a column computed once per
 * row: a subquery PostgreSQL flattens would repeat the cast wherever `line` names it. (One
 * string_agg per page would save parsing rows here, but measured twice the database's CPU per row.)
 */
export async function fetchAuditText(
  db: Db,
  plan: AuditPlan,
  after: number,
  limit: number,
  line: string,
): Promise<{ rows: number; firstSeq: number; lastSeq: number; text: string }> {
  if (plan.empty) return { rows: 0, firstSeq: 0, lastSeq: 0, text: '' };
  const q = walkSql(plan, after, limit, 'ASC', AUDIT_COLUMNS);
  const rows = await runWalk<{ seq: number; line: string }>(db, {
    // No ORDER BY: the walk's order passes through the subquery scans, and another ORDER BY here
    // would add a sort (OFFSET 0 hides the order from the planner). The loop below checks it.
    sql: `SELECT seq, ${line} AS line
            FROM (SELECT p.*, p.details::text AS details_text FROM (${q.sql}) p OFFSET 0) w`,
    params: q.params,
  });
  let text = '';
  let last = after;
  for (const r of rows) {
    const seq = Number(r.seq);
    if (seq <= last) throw new Error(`audit export: seq ${seq} after ${last}, out of order`);
    last = seq;
    text += r.line;
  }
  return {
    rows: rows.length,
    firstSeq: rows.length > 0 ? Number(rows[0]!.seq) : 0,
    lastSeq: rows.length > 0 ? last : 0,
    text,
  };
}

/** The first and last seq the plan matches (within its window), or null when it matches nothing. */
export async function matchingSeqBounds(
  db: Db,
  plan: AuditPlan,
): Promise<{ first: number; last: number } | null> {
  if (plan.empty) return null;
  const [first] = await runWalk<{ seq: number }>(db, walkSql(plan, 0, 1, 'ASC', 'seq'));
  if (!first) return null;
  const [last] = await runWalk<{ seq: number }>(db, walkSql(plan, 0, 1, 'DESC', 'seq'));
  return { first: Number(first.seq), last: Number(last?.seq ?? first.seq) };
}
