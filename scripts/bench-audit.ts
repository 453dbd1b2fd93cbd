/**
 * `npm run bench:audit [-- append|query|export|verify|all]`: how the audit log holds up.
 *
 *   append  appendAudit throughput: BENCH_APPEND_PROCS processes × BENCH_APPEND_CONNS connections each
 *           run transactions of BENCH_APPEND_BATCH events for BENCH_APPEND_SECONDS, on one chain. The
 *           chain is verified afterwards (gap-free, every hash recomputed).
 *   query   bulk-generates BENCH_ROWS (10,000,000) events with generate_series in a schema of its own
 *           (BENCH_QUERY_SCHEMA, default bench_audit_10m),
 *           then times filtered first pages and deep cursor pages of `queryAudit` (the GET /v1/audit
 *           step) for the filters an auditor uses.
 *   export  streams the generated log through GET /v1/audit/export (csv and ndjson) over real HTTP and
 *           reports rows/s, the CPU time per row of the api process and of its PostgreSQL backends
 *           (same host), and the api's peak RSS growth. BENCH_EXPORT_FILTERS: query strings separated
 *           by `|` (default: the whole log, and campaign=51).
 *   verify  live verification throughput (GET /v1/audit/verify step) over a real chain.
 *
 *   verify  builds a real chain of BENCH_CHAIN_ROWS (1,000,000) events with appendAudit, re-hashes it
 *           through the GET /v1/audit/verify step, exports it as a bundle over HTTP, and verifies the
 *           file offline with scripts/audit-verify.ts.
 *
 * Needs DATABASE_URL (PostgreSQL); `append` also runs on PGlite when it is unset (one process). The
 * append schemas are dropped at the end unless BENCH_KEEP=1; the 10M-row schema (bench_audit_10m)
 * and the chain (bench_audit_chain) are kept for re-runs: drop them with DROP SCHEMA … CASCADE.
 * Results print as JSON (progress on stderr); BENCHMARKS.md "## audit" records a run.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { AddressInfo } from 'node:net';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { openDb } from '../shared/store/open-db';
import type { Db, Queryable } from '../shared/store/db';
import { appendAudit } from '../shared/audit/append-audit';
import { hashRow, toUnhashedRow, type AuditEventInput } from '../shared/audit/audit-event';
import { verifyChain } from '../shared/audit/verify-chain';
import type { AuditFilters } from '../shared/api/audit.schema';
import { fetchAuditRows, planAuditQuery } from '../services/api/steps/audit/plan-audit-query';
import type { AuditRow } from '../shared/audit/audit-event';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

function envInt(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : fallback;
}

const DATABASE_URL = process.env.DATABASE_URL ?? '';

async function open(schema: string, poolSize: number): Promise<Db> {
  return openDb({ databaseUrl: DATABASE_URL || undefined, schema, poolSize, dataDir: 'memory' });
}

async function dropSchema(schema: string): Promise<void> {
  if (!DATABASE_URL || process.env.BENCH_KEEP === '1') return;
  const db = await openDb({ databaseUrl: DATABASE_URL, schema: 'public', poolSize: 1, dataDir: 'memory' });
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.close();
}

// ---------------------------------------------------------------------------------------------
// append
// ---------------------------------------------------------------------------------------------

const CARRIER_NAMES = [
  'northwind-mobile',
  'bluecrest-wireless',
  'prairie-link',
  'harborline',
  'summit-cellular',
  'tidewater',
  'ironwood',
  'cascade',
  'meridian',
];

/** An event shaped like the deliver path's (record-outcomes.ts): recipient, carrier, latency. */
function sampleEvent(n: number): AuditEventInput {
  return {
    type: n % 3 === 0 ? 'notification.attempt_started' : 'notification.sent',
    actor: 'worker:deliver',
    incidentId: 1,
    campaignId: 1 + (n % 7),
    notificationId: n,
    subscriberHash: (n * 2654435761).toString(16).padStart(24, '0').slice(-24),
    contactMasked: `+1********${String(n % 100).padStart(2, '0')}`,
    carrier: CARRIER_NAMES[n % CARRIER_NAMES.length]!,
    channel: n % 2 === 0 ? 'sms' : 'email',
    attempt: 1,
    outcome: 'accepted',
    details: { providerId: `sms-${n.toString(36)}-1-${n}`, latencyMs: n % 250 },
  };
}

async function appendChild(
  schema: string,
  conns: number,
  batch: number,
  seconds: number,
  impl: string,
): Promise<void> {
  const db = await open(schema, conns);
  await db.query('SELECT 1');
  const append = impl === 'baseline' ? appendAuditBaseline : appendAudit; // current*: appendAudit
  // Start barrier: say ready, then wait for the parent's "go" (every child starts at once).
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.once('line', () => {
      lines.close();
      resolve();
    });
  });
  const until = Date.now() + seconds * 1000;
  let events = 0;
  let txs = 0;
  let n = process.pid * 1_000_000;
  const lat: number[] = [];
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (Date.now() < until) {
        const evs = Array.from({ length: batch }, () => sampleEvent(n++));
        const t0 = performance.now();
        await db.transaction((tx) => append(tx, evs));
        lat.push(performance.now() - t0);
        events += batch;
        txs += 1;
      }
    }),
  );
  await db.close();
  lat.sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({ events, txs, p50: lat[Math.floor(lat.length / 2)] ?? 0, p99: lat[Math.floor(lat.length * 0.99)] ?? 0 })}\n`,
  );
}

/** Starts the appender processes, waits until all are connected, then lets them go together. */
async function runChildren(count: number, args: string[]): Promise<Record<string, number>[]> {
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], {
      cwd: ROOT,
      env: process.env,
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const outputs = children.map((child) => {
    const lines = createInterface({ input: child.stdout! });
    let last = '';
    const ready = new Promise<void>((resolve) => lines.once('line', () => resolve()));
    const done = new Promise<string>((resolve) => {
      lines.on('line', (l) => (last = l));
      child.on('close', () => resolve(last));
    });
    return { ready, done };
  });
  await Promise.all(outputs.map((o) => o.ready));
  for (const child of children) child.stdin!.end('go\n');
  return (await Promise.all(outputs.map((o) => o.done))).map((l) => JSON.parse(l) as Record<string, number>);
}

export interface AppendResult {
  impl: string;
  db: string;
  procs: number;
  conns: number;
  batch: number;
  seconds: number;
  eventsPerSec: number;
  txPerSec: number;
  txP50Ms: number;
  txP99Ms: number;
  chainOk: boolean;
  /** Events/s of every repetition (sorted); the row is the median one. */
  runs?: number[];
}

async function benchAppend(
  impl: string,
  procs: number,
  conns: number,
  batch: number,
  seconds: number,
): Promise<AppendResult> {
  const schema = `bench_audit_append_${process.pid}_${procs}_${conns}_${batch}`;
  const db = await open(schema, 2);
  if (impl === 'current-001-indexes') {
    // What the query indexes cost the append: only 001's (primary key, campaign, type) remain.
    const idx = await db.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'audit_log'
          AND indexname NOT IN ('audit_log_pkey', 'audit_log_campaign', 'audit_log_type')`,
    );
    for (const i of idx.rows) await db.query(`DROP INDEX ${i.indexname}`);
  }
  const args = ['append-child', schema, String(conns), String(batch), String(seconds), impl];
  let results: Record<string, number>[];
  if (!DATABASE_URL) {
    // PGlite serves one process: the appenders run in this one.
    await db.close();
    results = [await appendInProcess(schema, conns, batch, seconds, impl)];
  } else {
    results = await runChildren(procs, args);
  }
  let chainOk = true;
  if (DATABASE_URL) {
    const rows = await db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq');
    chainOk = verifyChain(rows.rows).ok;
    await db.close();
    await dropSchema(schema);
  }
  const events = results.reduce((s, r) => s + (r.events ?? 0), 0);
  const txs = results.reduce((s, r) => s + (r.txs ?? 0), 0);
  return {
    impl,
    db: DATABASE_URL ? 'postgres' : 'pglite',
    procs,
    conns,
    batch,
    seconds,
    eventsPerSec: Math.round(events / seconds),
    txPerSec: Math.round(txs / seconds),
    txP50Ms: Math.round(Math.max(...results.map((r) => r.p50 ?? 0)) * 10) / 10,
    txP99Ms: Math.round(Math.max(...results.map((r) => r.p99 ?? 0)) * 10) / 10,
    chainOk,
  };
}

/** PGlite: one in-memory database, appenders in this process. */
async function appendInProcess(
  schema: string,
  conns: number,
  batch: number,
  seconds: number,
  impl: string,
): Promise<Record<string, number>> {
  const db = await open(schema, 1);
  const append = impl === 'baseline' ? appendAuditBaseline : appendAudit;
  const until = Date.now() + seconds * 1000;
  let events = 0;
  let txs = 0;
  let n = 0;
  const lat: number[] = [];
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (Date.now() < until) {
        const evs = Array.from({ length: batch }, () => sampleEvent(n++));
        const t0 = performance.now();
        await db.transaction((tx) => append(tx, evs));
        lat.push(performance.now() - t0);
        events += batch;
        txs += 1;
      }
    }),
  );
  const ok = verifyChain((await db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows).ok;
  await db.close();
  lat.sort((a, b) => a - b);
  return {
    events,
    txs,
    p50: lat[Math.floor(lat.length / 2)] ?? 0,
    p99: lat[Math.floor(lat.length * 0.99)] ?? 0,
    ok: ok ? 1 : 0,
  };
}

/**
 * appendAudit as it was before issue 7 (commit 298699c), kept here so the before/after comparison can
 * be re-run: canonical JSON and hashing under the lock, jsonb payload, a separate head UPDATE.
 */
async function appendAuditBaseline(tx: Queryable, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const head = await tx.query<{ seq: number; hash: string }>(
    'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE',
  );
  const h = head.rows[0];
  if (!h) throw new Error('audit_head is missing');
  const at = new Date().toISOString();
  let prev = h.hash;
  const rows: AuditRow[] = [];
  let seq = Number(h.seq);
  for (const e of events) {
    seq += 1;
    const row = toUnhashedRow(seq, at, e);
    const hash = hashRow(row, prev);
    rows.push({ ...row, prev_hash: prev, hash });
    prev = hash;
  }
  await tx.query(
    `INSERT INTO audit_log (seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
       contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash)
     SELECT seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
       contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash
     FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, at timestamptz, type text, actor text,
       incident_id bigint, campaign_id bigint, notification_id bigint, subscriber_hash text,
       contact_masked text, carrier text, channel text, attempt integer, outcome text, details jsonb,
       prev_hash text, hash text)`,
    [JSON.stringify(rows)],
  );
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [seq, prev]);
}

// ---------------------------------------------------------------------------------------------
// query: 10M generated events
// ---------------------------------------------------------------------------------------------

const QUERY_SCHEMA = process.env.BENCH_QUERY_SCHEMA ?? 'bench_audit_10m';
const ROWS_PER_CAMPAIGN = 100_000; // two campaigns interleave over each 200,000-row stretch
const GENERATED_FROM = '2026-01-01T00:00:00Z'; // `at` of seq 0; rows follow 10 ms apart

/**
 * Fills `audit_log` with `rows` synthetic events shaped like a long drill: 5 events per notification
 * (queued, attempt started, sent/retry/failed, delivered/undelivered receipt, a fifth that is mostly
 * queued and sometimes a duplicate receipt or an export), 100 campaigns of 100,000 events in 10
 * incidents, 300,000 subscribers, nine carriers, two channels, `at` 10 ms apart. Indexes are dropped
 * for the load and rebuilt after (the definitions come from the migrations).
 */
async function generateEvents(db: Db, rows: number): Promise<number> {
  const t0 = performance.now();
  // audit_log is partitioned by month of `at` (migration 050): partitions for the generated months
  // first, or every row lands in the DEFAULT partition.
  await db.query(`SELECT ensure_audit_partitions(0, timestamptz '${GENERATED_FROM}')`);
  const idx = await db.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = 'audit_log' AND indexname <> 'audit_log_pkey'`,
  );
  const pkey = await db.query<{ def: string }>(
    `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = 'audit_log'::regclass AND conname = 'audit_log_pkey'`,
  );
  for (const i of idx.rows) await db.query(`DROP INDEX ${i.indexname}`);
  await db.query('ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey');
  const campaigns = Math.ceil(rows / ROWS_PER_CAMPAIGN);
  const incidents = Math.ceil(campaigns / 10);
  await db.query(
    `INSERT INTO incidents (id, exercise_id, title, threat_actor, carriers, data_categories, window_start,
       window_end, determined_at, regime, tlp, advisory_id)
     SELECT i, 'EX-BENCH', 'bench', 'SIMULATED-APT', '{}', '{}', now(), now(), now(), 'amended', 'TLP:CLEAR', 'SIM-AA26-001A'
       FROM generate_series(1, $1::int) i`,
    [incidents],
  );
  await db.query(
    `INSERT INTO campaigns (id, incident_id, kind, channels, state)
     SELECT c, 1 + (c - 1) / 10, 'carrier-notice', '{email,sms}', 'completed' FROM generate_series(1, $1::int) c`,
    [campaigns],
  );
  const chunk = 1_000_000;
  for (let lo = 1; lo <= rows; lo += chunk) {
    const hi = Math.min(rows, lo + chunk - 1);
    await db.query(
      `INSERT INTO audit_log (seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
         contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash)
       SELECT g, timestamptz '${GENERATED_FROM}' + g * interval '10 milliseconds', v.type,
              CASE WHEN v.type = 'audit.exported' THEN 'key:auditor-' || (v.n % 3)
                   WHEN v.receipt THEN 'worker:receipts' ELSE 'worker:deliver' END,
              CASE WHEN v.receipt THEN NULL ELSE 1 + (v.c - 1) / 10 END,
              CASE WHEN v.type = 'audit.exported' THEN NULL ELSE v.c END, v.n,
              CASE WHEN v.receipt THEN NULL ELSE substr(md5('s' || (v.n % 300000)), 1, 24) END,
              CASE WHEN v.receipt THEN NULL ELSE '+1********' || lpad((v.n % 100)::text, 2, '0') END,
              (ARRAY['northwind-mobile','bluecrest-wireless','prairie-link','harborline','summit-cellular',
                     'tidewater','ironwood','cascade','meridian'])[1 + (v.n / 4) % 9],
              CASE WHEN (v.n / 2) % 2 = 0 THEN 'sms' ELSE 'email' END, 1, v.outcome,
              jsonb_build_object('latencyMs', g % 250), md5(g::text) || md5((g + 7)::text),
              md5((g + 1)::text) || md5((g + 8)::text)
         FROM generate_series($1::bigint, $2::bigint) g
         CROSS JOIN LATERAL (SELECT g / 5 AS n, (g % 5)::int AS k,
                                    1 + 2 * ((g - 1) / ${2 * ROWS_PER_CAMPAIGN}) + (g / 5) % 2 AS c) b
         CROSS JOIN LATERAL (
           SELECT b.n, b.c,
             CASE b.k WHEN 0 THEN 'notification.queued'
                      WHEN 1 THEN 'notification.attempt_started'
                      WHEN 2 THEN CASE WHEN b.n % 200 = 0 THEN 'notification.failed'
                                       WHEN b.n % 50 = 1 THEN 'notification.retry_scheduled'
                                       ELSE 'notification.sent' END
                      WHEN 3 THEN CASE WHEN b.n % 100 = 3 THEN 'notification.undelivered'
                                       ELSE 'notification.delivered' END
                      ELSE CASE WHEN b.n % 1000 = 4 THEN 'receipt.duplicate'
                                WHEN b.n % 100000 = 5 THEN 'audit.exported'
                                ELSE 'notification.queued' END END AS type,
             CASE b.k WHEN 2 THEN CASE WHEN b.n % 200 = 0 THEN 'BLOCKED' WHEN b.n % 50 = 1 THEN '503'
                                       ELSE 'accepted' END
                      WHEN 3 THEN CASE WHEN b.n % 100 = 3 THEN 'UNKNOWN_SUBSCRIBER' ELSE 'delivered' END
                      ELSE NULL END AS outcome,
             (b.k = 3 OR (b.k = 4 AND b.n % 1000 = 4)) AS receipt) v`,
      [lo, hi],
    );
    console.error(`generated ${hi.toLocaleString('en-US')} rows`);
  }
  const last = await db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [rows]);
  await db.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [rows, last.rows[0]!.hash]);
  await db.query(`ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey ${pkey.rows[0]!.def}`);
  // A partitioned parent's index reads `ON ONLY parent`; without ONLY it is built on every partition.
  for (const i of idx.rows) await db.query(i.indexdef.replace(' ON ONLY ', ' ON '));
  await db.query('VACUUM ANALYZE audit_log');
  await db.query('ANALYZE campaigns');
  return Math.round((performance.now() - t0) / 1000);
}

interface QueryCase {
  name: string;
  filters: AuditFilters;
  /** A cursor deep inside the result (seq), for the "deep page" measure. */
  deepAfter: number;
}

function queryCases(rows: number): QueryCase[] {
  const mid = Math.floor(rows / 2);
  const c = 1 + 2 * Math.floor((mid - 1) / (2 * ROWS_PER_CAMPAIGN)); // a campaign around the middle
  const cStart = (Math.floor((mid - 1) / (2 * ROWS_PER_CAMPAIGN)) * 2 * ROWS_PER_CAMPAIGN) as number;
  const cMid = cStart + ROWS_PER_CAMPAIGN;
  const incident = 1 + Math.floor((c - 1) / 10);
  const atOf = (seq: number) => new Date(Date.parse(GENERATED_FROM) + seq * 10).toISOString();
  const subscriberOf = (n: number) =>
    createHash('md5')
      .update(`s${n % 300000}`)
      .digest('hex')
      .slice(0, 24);
  return [
    { name: 'no filter', filters: {}, deepAfter: mid },
    { name: 'campaign', filters: { campaign: c }, deepAfter: cMid },
    {
      name: 'campaign + type (rare: failed)',
      filters: { campaign: c, type: 'notification.failed' },
      deepAfter: cMid,
    },
    {
      name: 'campaign + carrier + channel',
      filters: { campaign: c, carrier: 'prairie-link', channel: 'sms' },
      deepAfter: cMid,
    },
    {
      name: 'campaign + outcome (rare: BLOCKED)',
      filters: { campaign: c, outcome: 'BLOCKED' },
      deepAfter: cMid,
    },
    {
      // UNKNOWN_SUBSCRIBER falls on odd notifications, which belong to the even campaign beside c: the
      // walk reads every such row in c's stretch of the log and keeps none (the worst case).
      name: 'campaign + outcome (none in it)',
      filters: { campaign: c, outcome: 'UNKNOWN_SUBSCRIBER' },
      deepAfter: cMid,
    },
    { name: 'incident (10 campaigns)', filters: { incident }, deepAfter: mid },
    { name: 'incident + type', filters: { incident, type: 'notification.undelivered' }, deepAfter: mid },
    { name: 'subscriber', filters: { subscriber: subscriberOf(12345) }, deepAfter: mid },
    { name: 'notification', filters: { notification: Math.floor(mid / 5) }, deepAfter: 0 },
    { name: 'type (rare: failed)', filters: { type: 'notification.failed' }, deepAfter: mid },
    // The delivery types have no type index (migration 052): primary-key and campaign walks.
    { name: 'type (delivery: delivered)', filters: { type: 'notification.delivered' }, deepAfter: mid },
    {
      name: 'campaign + type (delivery: sent)',
      filters: { campaign: c, type: 'notification.sent' },
      deepAfter: cMid,
    },
    {
      name: 'incident + type (delivery: queued)',
      filters: { incident, type: 'notification.queued' },
      deepAfter: mid,
    },
    { name: 'type (very rare: audit.exported)', filters: { type: 'audit.exported' }, deepAfter: mid },
    { name: 'carrier + channel', filters: { carrier: 'tidewater', channel: 'email' }, deepAfter: mid },
    { name: 'carrier without events', filters: { carrier: 'no-such-carrier' }, deepAfter: mid },
    { name: 'channel', filters: { channel: 'sms' }, deepAfter: mid },
    { name: 'actor (an API key)', filters: { actor: 'key:auditor-1' }, deepAfter: mid },
    { name: 'outcome (1%)', filters: { outcome: 'UNKNOWN_SUBSCRIBER' }, deepAfter: mid },
    { name: 'outcome (0.2%: BLOCKED)', filters: { outcome: 'BLOCKED' }, deepAfter: mid },
    {
      name: 'time range (1 h)',
      filters: { from: atOf(mid), to: atOf(mid + 360_000) },
      deepAfter: mid + 180_000,
    },
    {
      name: 'time range + carrier + type',
      filters: {
        from: atOf(mid),
        to: atOf(mid + 360_000),
        carrier: 'cascade',
        type: 'notification.delivered',
      },
      deepAfter: mid + 180_000,
    },
    {
      name: 'campaign + time range',
      filters: { campaign: c, from: atOf(cMid), to: atOf(cMid + 50_000) },
      deepAfter: cMid + 20_000,
    },
  ];
}

export interface QueryTiming {
  name: string;
  firstPageMs: { p50: number; max: number };
  deepPageMs: { p50: number; max: number };
  rows: number;
}

async function timeQuery(
  db: Db,
  f: AuditFilters,
  after: number,
  reps: number,
): Promise<{ ms: number[]; rows: number }> {
  const ms: number[] = [];
  let rows = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const plan = await planAuditQuery(db, f);
    const r = await fetchAuditRows(db, plan, after, 101);
    ms.push(performance.now() - t0);
    rows = r.length;
  }
  return { ms: ms.sort((a, b) => a - b), rows };
}

async function benchQuery(): Promise<{ rows: number; generateSeconds: number | null; cases: QueryTiming[] }> {
  const rows = envInt('BENCH_ROWS', 10_000_000);
  const reps = envInt('BENCH_QUERY_REPS', 7);
  const db = await open(QUERY_SCHEMA, 2);
  const have = await db.query<{ seq: number }>('SELECT seq FROM audit_head WHERE id = 1');
  let generateSeconds: number | null = null;
  // Reused when it holds the generated rows (plus the audit.exported events of earlier export runs).
  if (Number(have.rows[0]?.seq ?? 0) < rows) {
    if (Number(have.rows[0]?.seq ?? 0) !== 0) {
      await db.close();
      throw new Error(
        `schema ${QUERY_SCHEMA} holds another size; drop it first (DROP SCHEMA ${QUERY_SCHEMA} CASCADE)`,
      );
    }
    generateSeconds = await generateEvents(db, rows);
  }
  const cases: QueryTiming[] = [];
  const r2 = (x: number) => Math.round(x * 100) / 100;
  for (const c of queryCases(rows)) {
    await timeQuery(db, c.filters, 0, 1); // warm the plan cache and the pages
    const first = await timeQuery(db, c.filters, 0, reps);
    const deep = await timeQuery(db, c.filters, c.deepAfter, reps);
    const t: QueryTiming = {
      name: c.name,
      firstPageMs: { p50: r2(first.ms[Math.floor(reps / 2)]!), max: r2(first.ms[reps - 1]!) },
      deepPageMs: { p50: r2(deep.ms[Math.floor(reps / 2)]!), max: r2(deep.ms[reps - 1]!) },
      rows: first.rows,
    };
    console.error(JSON.stringify(t));
    cases.push(t);
  }
  await db.close();
  return { rows, generateSeconds, cases };
}

// ---------------------------------------------------------------------------------------------
// export: the api in a child process, streamed over HTTP
// ---------------------------------------------------------------------------------------------

const BENCH_KEY = 'bd_bench_auditor_key_0000000000000000';
const API_APPLICATION_NAME = 'bench-audit-api';

/** Child: the api on port 0 against `schema`, printing its URL; no Redis needed for these routes. */
async function apiChild(schema: string): Promise<void> {
  const { createApp } = await import('../services/api/create-app');
  const { loadConfig } = await import('../shared/config');
  const { createLogger } = await import('../shared/logger');
  const { createApiKey } = await import('../shared/auth/api-keys');
  const { Redis } = await import('ioredis');
  const db = await open(schema, 4);
  await createApiKey(db, { name: 'bench auditor', role: 'auditor', key: BENCH_KEY });
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    DATABASE_URL,
    EXPORT_MAX_ROWS: '100000000',
    AUDIT_SIGNING_KEY: process.env.BENCH_SIGNING_KEY,
  });
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
  });
  redis.on('error', () => undefined);
  const logger = createLogger({ level: 'silent', name: 'bench-api' });
  const { app } = createApp({
    config,
    db,
    redis,
    queues: { all: () => [], close: async () => undefined } as never,
    logger,
    version: 'bench',
  });
  process.on('SIGTERM', () => process.exit(0)); // exits cleanly, so --cpu-prof can write its profile
  const server = app.listen(0, '127.0.0.1', () => {
    console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
}

function rssOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

/** CPU seconds a process has used (user + system), from /proc/<pid>/stat. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

export interface ExportTiming {
  format: string;
  filter: string;
  rows: number;
  seconds: number;
  rowsPerSec: number;
  /** Rows per CPU-second of the api process: the rate one free core would give it. */
  rowsPerApiCpuSec: number;
  /** Rows per CPU-second of the api's PostgreSQL backends (they render csv and ndjson). */
  rowsPerDbCpuSec: number;
  /** CPU µs per row, api and its backends together: what the export costs the machine. */
  cpuMicrosPerRow: number;
  megabytes: number;
  apiRssMb: { before: number; peak: number };
  loadAverage: number;
}

/** The api child's PostgreSQL backends, found by their application_name (same host only). */
async function apiBackends(db: Db): Promise<number[]> {
  const r = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
    API_APPLICATION_NAME,
  ]);
  return r.rows.map((x) => Number(x.pid));
}

function backendCpu(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of pids) {
    try {
      out.set(p, cpuSecondsOf(p));
    } catch {
      // gone, or PostgreSQL runs on another host: not counted
    }
  }
  return out;
}

async function timeExport(
  url: string,
  pid: number,
  format: string,
  filter: string,
  saveTo?: string,
): Promise<ExportTiming> {
  const monitor = await open('public', 1);
  const db0 = backendCpu(await apiBackends(monitor));
  const before = rssOf(pid);
  const cpu0 = cpuSecondsOf(pid);
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/audit/export?format=${format}${filter ? `&${filter}` : ''}`, {
    headers: { authorization: `Bearer ${BENCH_KEY}` },
  });
  if (res.status !== 200) throw new Error(`export ${format}: HTTP ${res.status} ${await res.text()}`);
  let newlines = 0;
  let bytes = 0;
  const out = saveTo ? createWriteStream(saveTo) : null;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (out && !out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    bytes += chunk.length;
    // Native search, so the measuring client takes little CPU from the api and the database.
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) newlines++;
  }
  if (out) await new Promise<void>((r) => out.end(() => r()));
  const seconds = (performance.now() - t0) / 1000;
  const rows = format === 'csv' ? newlines - 1 : newlines; // csv: minus the header line
  const after = rssOf(pid);
  const cpu = cpuSecondsOf(pid) - cpu0;
  // Backends opened during the export count from zero; one closed during it is missed.
  let dbCpu = 0;
  for (const [p, s] of backendCpu(await apiBackends(monitor))) dbCpu += s - (db0.get(p) ?? 0);
  await monitor.close();
  return {
    format,
    filter: filter || 'none',
    rows,
    seconds: Math.round(seconds * 10) / 10,
    rowsPerSec: Math.round(rows / seconds),
    rowsPerApiCpuSec: Math.round(rows / Math.max(cpu, 0.01)),
    rowsPerDbCpuSec: Math.round(rows / Math.max(dbCpu, 0.01)),
    cpuMicrosPerRow: Math.round(((cpu + dbCpu) / Math.max(rows, 1)) * 1e7) / 10,
    megabytes: Math.round(bytes / 1e6),
    apiRssMb: { before: before.rssMb, peak: after.peakMb },
    loadAverage: Math.round(os.loadavg()[0]! * 10) / 10,
  };
}

/** The api child's connections name themselves, so the benchmark can read their CPU time. */
function withApplicationName(url: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', API_APPLICATION_NAME);
  return u.toString();
}

async function startApiChild(schema: string): Promise<{ url: string; pid: number; stop(): void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), 'api-child', schema],
    {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: withApplicationName(DATABASE_URL) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`api child exited ${code}`)));
  });
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

async function benchExport(): Promise<ExportTiming[]> {
  const api = await startApiChild(QUERY_SCHEMA);
  const out: ExportTiming[] = [];
  try {
    const filters = (process.env.BENCH_EXPORT_FILTERS ?? '|campaign=51').split('|');
    for (const filter of filters)
      for (const format of ['ndjson', 'csv']) {
        const t = await timeExport(api.url, api.pid, format, filter);
        console.error(JSON.stringify(t));
        out.push(t);
      }
  } finally {
    api.stop();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// verify: a real chain, re-hashed live, exported as a bundle, verified offline
// ---------------------------------------------------------------------------------------------

const CHAIN_SCHEMA = 'bench_audit_chain';

export interface VerifyTiming {
  rows: number;
  buildSeconds: number | null;
  liveVerify: { seconds: number; rowsPerSec: number; ok: boolean };
  bundleExport: ExportTiming;
  offlineVerify: { seconds: number; rowsPerSec: number; ok: boolean; peakRssMb: number };
}

async function benchVerify(): Promise<VerifyTiming> {
  const rows = envInt('BENCH_CHAIN_ROWS', 1_000_000);
  const db = await open(CHAIN_SCHEMA, 2);
  const head = await db.query<{ seq: number }>('SELECT seq FROM audit_head WHERE id = 1');
  let buildSeconds: number | null = null;
  if (Number(head.rows[0]?.seq ?? 0) < rows) {
    const t0 = performance.now();
    let n = Number(head.rows[0]?.seq ?? 0);
    while (n < rows) {
      const size = Math.min(1000, rows - n);
      const evs = Array.from({ length: size }, (_, i) => sampleEvent(n + i));
      await db.transaction((tx) => appendAudit(tx, evs));
      n += size;
      if (n % 100_000 === 0) console.error(`chain: ${n.toLocaleString('en-US')} rows`);
    }
    buildSeconds = Math.round((performance.now() - t0) / 1000);
  }
  const { verifyLiveChain } = await import('../services/api/steps/audit/verify-live-chain');
  const { parseSigningKey } = await import('../shared/audit/signing-key');
  const key = parseSigningKey(process.env.BENCH_SIGNING_KEY!);
  let t0 = performance.now();
  const live = await verifyLiveChain({ db, key }, { from: 'genesis' }, 'bench');
  const liveSeconds = (performance.now() - t0) / 1000;
  await db.close();

  const api = await startApiChild(CHAIN_SCHEMA);
  const file = path.join(os.tmpdir(), `bench-audit-bundle-${process.pid}.ndjson`);
  let bundleExport: ExportTiming;
  try {
    bundleExport = await timeExport(api.url, api.pid, 'bundle', '', file);
  } finally {
    api.stop();
  }
  t0 = performance.now();
  const offline = await new Promise<{ code: number; peakRssMb: number }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', file], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    let peak = 0;
    const timer = setInterval(() => {
      try {
        peak = Math.max(peak, rssOf(child.pid!).peakMb);
      } catch {
        // exited
      }
    }, 200);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, peakRssMb: peak });
    });
  });
  const offlineSeconds = (performance.now() - t0) / 1000;
  await unlink(file).catch(() => undefined);
  return {
    rows: live.rowsChecked,
    buildSeconds,
    liveVerify: {
      seconds: Math.round(liveSeconds * 10) / 10,
      rowsPerSec: Math.round(live.rowsChecked / liveSeconds),
      ok: live.ok,
    },
    bundleExport,
    offlineVerify: {
      seconds: Math.round(offlineSeconds * 10) / 10,
      rowsPerSec: Math.round(live.rowsChecked / offlineSeconds),
      ok: offline.code === 0,
      peakRssMb: offline.peakRssMb,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const [mode = 'all', ...rest] = process.argv.slice(2);
  if (mode === 'api-child') {
    await apiChild(rest[0]!);
    return;
  }
  if (mode === 'append-child') {
    await appendChild(rest[0]!, Number(rest[1]), Number(rest[2]), Number(rest[3]), rest[4]!);
    return;
  }
  // One signing key for this run, shared with the api child processes through the environment.
  process.env.BENCH_SIGNING_KEY ??= generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const out: Record<string, unknown> = {
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GB`,
    node: process.version,
  };
  if (mode === 'append' || mode === 'all') {
    const seconds = envInt('BENCH_APPEND_SECONDS', 10);
    const batch = envInt('BENCH_APPEND_BATCH', 100);
    const configs: [number, number][] = DATABASE_URL
      ? [
          [1, 1],
          [4, 1],
          [8, 1],
        ]
      : [[1, 1]];
    const reps = envInt('BENCH_APPEND_REPS', 3);
    const rows: AppendResult[] = [];
    // Interleaved and repeated, so every variant sees the same background load; the median run of
    // each is kept. `current-001-indexes`: appendAudit with migration 020's query indexes dropped.
    const impls = ['baseline', 'current', 'current-001-indexes'];
    for (const [procs, conns] of configs) {
      const runs: Record<string, AppendResult[]> = Object.fromEntries(impls.map((i) => [i, []]));
      for (let rep = 0; rep < reps; rep++)
        for (const impl of impls) {
          const r = await benchAppend(impl, procs, conns, batch, seconds);
          console.error(JSON.stringify(r));
          runs[impl]!.push(r);
        }
      for (const impl of impls) {
        const sorted = runs[impl]!.sort((a, b) => a.eventsPerSec - b.eventsPerSec);
        rows.push({ ...sorted[Math.floor(sorted.length / 2)]!, runs: sorted.map((r) => r.eventsPerSec) });
      }
    }
    out.append = rows;
  }
  if (mode === 'query' || mode === 'all') {
    if (!DATABASE_URL) throw new Error('the 10M-row query benchmark needs DATABASE_URL (PostgreSQL)');
    out.query = await benchQuery();
  }
  if (mode === 'export' || mode === 'all') {
    if (!DATABASE_URL) throw new Error('the export benchmark reads the 10M-row schema: set DATABASE_URL');
    out.export = await benchExport();
  }
  if (mode === 'verify' || mode === 'all') {
    if (!DATABASE_URL) throw new Error('the verify benchmark needs DATABASE_URL');
    out.verify = await benchVerify();
  }
  console.log(JSON.stringify(out, null, 2));
}

await main();
