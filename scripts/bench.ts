/**
 * `npm run bench`: the delivery engine's benchmark, everything on this machine in one run so the
 * figures are ratios that hold (issue 4, item 8). JSON on stdout and in .data/bench/, the figures in
 * the "## engine" section of BENCHMARKS.md.
 *
 *   1. raw channel limits: the engine's rendered notices straight to a carrier-sim (nodemailer pool to
 *      the SMTP sink; HTTP batches of 100 to the gateways), no queue, no database;
 *   2. the engine end to end (trigger → arrival, ledger and audit included): email, SMS through
 *      receipts, and a 50/50 mix; rate = delivered ÷ (last delivered_at − triggered_at);
 *   3. the database-only ceiling: the same ledger and audit statements in the same batches;
 *   4. the naive baseline: one BullMQ job per notification, one transaction per event.
 *
 * PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test) in a schema of its own
 * and Redis (REDIS_URL, default redis://127.0.0.1:6379) under a queue prefix of its own, both removed
 * afterwards. SMS submission limits are lifted for every phase: PUT /faults {"all":{"sms":{"submitLimit":"off"}}}.
 *
 *   --subscribers N   population (SMS phases, DB ceiling)          [100000]
 *   --small N         first N subscribers: email, mix, raw SMTP     [50000]
 *                     (not fewer: a campaign spends its first seconds on fan-out, which at
 *                     12,000 is a fifth of the email phase and hides the rate it keeps)
 *   --naive N         first N subscribers for the naive baseline    [3000]
 *   --workers N       worker processes                              [2]
 *   --quiet-load X    before each phase wait for a 1-minute load average below X ...
 *   --quiet-wait S    ... but at most S seconds per phase, then measure anyway   [180]
 *   --env KEY=VALUE   extra configuration for the stack's processes (repeatable)
 *   --no-write        do not touch BENCHMARKS.md
 *   --render FILE     measure nothing: write BENCHMARKS.md "## engine" from a saved run's JSON
 *                     (.data/bench/bench-*.json), e.g. after the section's text changed
 *   --only P,P        run only these phases (raw, email, sms, mix, db, naive): their figures are
 *                     printed as JSON, and neither targets nor BENCHMARKS.md are touched
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FaultsInput } from '../services/carrier-sim/faults.schema';
import type { Channel } from '../shared/domain';
import { createCampaignContextCache } from '../workers/deliver/notice-context';
import { freePort } from './lib/private-redis';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from './loadtest/parse-options';
import { startLocalStack, type LocalStack } from './loadtest/start-local-stack';
import {
  createOperators,
  prepareCampaign,
  triggerCampaigns,
  type Operators,
} from './loadtest/prepare-campaign';
import { putFaults } from './loadtest/run-fault-schedule';
import { seedPopulation } from './loadtest/seed-population';
import { followProgress } from './loadtest/follow-progress';
import { collectLedgerStats, type LedgerStats } from './loadtest/collect-ledger-stats';
import { verifyGroundTruth } from './loadtest/verify-ground-truth';
import { startResourceSampler, type ResourceSummary, type WatchedProcess } from './loadtest/sample-resources';
import { spawnScript, stopProcess, waitUntilReady } from './loadtest/spawn-script';
import {
  loadRecipients,
  renderEmails,
  renderSmsBatches,
  sendRawEmails,
  sendRawSms,
  startReceiptCounter,
  type RawResult,
} from './bench/raw-channels';
import { runDbCeiling, type DbCeilingResult } from './bench/run-db-ceiling';
import { runNaive } from './bench/run-naive';
import { writeBenchmarksSection } from './bench/write-benchmarks-section';
import {
  formatEngineSection,
  evaluateTargets,
  type BenchResult,
  type EngineRun,
} from './bench/format-engine-section';
import type { GroundTruthVerdict } from '../shared/checker/check-ground-truth';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100000' },
    small: { type: 'string', default: '50000' },
    naive: { type: 'string', default: '3000' },
    workers: { type: 'string', default: '2' },
    'quiet-load': { type: 'string' },
    'quiet-wait': { type: 'string', default: '180' },
    env: { type: 'string', multiple: true },
    'no-write': { type: 'boolean', default: false },
    only: { type: 'string' },
    render: { type: 'string' },
  },
});
if (values.render) {
  const saved = JSON.parse(readFileSync(values.render, 'utf8')) as BenchResult;
  writeBenchmarksSection('BENCHMARKS.md', 'engine', formatEngineSection(saved));
  console.error(
    `BENCHMARKS.md "## engine" written from ${values.render} (${saved.command}, ${saved.startedAt})`,
  );
  process.exit(0);
}
const PHASES = ['raw', 'email', 'sms', 'mix', 'db', 'naive'] as const;
type Phase = (typeof PHASES)[number];
const only = values.only ? new Set(values.only.split(',').map((p) => p.trim())) : null;
for (const p of only ?? []) {
  if (!(PHASES as readonly string[]).includes(p)) {
    console.error(`--only: unknown phase "${p}"; the phases are ${PHASES.join(', ')}`);
    process.exit(2);
  }
}
const wants = (p: Phase) => only === null || only.has(p);
const N = Number(values.subscribers);
const SMALL = Number(values.small);
const NAIVE = Number(values.naive);
const WORKERS = Number(values.workers);
const QUIET_LOAD = values['quiet-load'] ? Number(values['quiet-load']) : null;
const QUIET_WAIT_MS = Number(values['quiet-wait']) * 1000;
const extraEnv = Object.fromEntries(
  (values.env ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
const SMALL_REGION = 'BENCH-SMALL';
const LIFTED: FaultsInput = { all: { sms: { submitLimit: 'off' } } };
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const log = (line: string) => console.error(line); // stdout carries the JSON

const loads: Record<string, number[]> = {};
async function quietMoment(phase: string): Promise<void> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  while (QUIET_LOAD !== null && os.loadavg()[0]! > QUIET_LOAD && Date.now() < deadline) {
    log(`  waiting for a quiet machine before ${phase}: load ${os.loadavg()[0]!.toFixed(2)} > ${QUIET_LOAD}`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
  loads[phase] = os.loadavg().map((x) => Math.round(x * 100) / 100);
  log(`${phase}: load average ${loads[phase]!.join(' ')}`);
}

async function runEngine(
  local: LocalStack,
  ops: Operators,
  sampler: ReturnType<typeof startResourceSampler>,
  plan: { label: string; channels: Channel[]; regions: string[] | null },
): Promise<EngineRun> {
  await quietMoment(`engine ${plan.label}`);
  const id = await prepareCampaign(ops, {
    kind: 'carrier-notice',
    channels: plan.channels,
    label: `BENCH-${plan.label}`,
    ...(plan.regions ? { audience: { regions: plan.regions } } : {}),
  });
  sampler.mark();
  const startedAt = Date.now();
  await triggerCampaigns(ops, [id]);
  const follow = await followProgress({
    db: local.db,
    campaignIds: [id],
    expected: {},
    startedAt,
    timeoutMs: 900_000,
    progressBars: false,
    log,
  });
  const resources = sampler.mark();
  const stats = await collectLedgerStats(local.db, [id]);
  const groundTruth = await verifyGroundTruth(local.db, local.stack.simUrl, [id]);
  return summarizeEngine(plan.label, id, stats, groundTruth, resources, follow.finished);
}

function summarizeEngine(
  label: string,
  campaignId: number,
  stats: LedgerStats,
  groundTruth: GroundTruthVerdict,
  resources: ResourceSummary,
  finished: boolean,
): EngineRun {
  const o = stats.throughput.overall;
  return {
    label,
    campaignId,
    finished,
    notifications: o.notifications,
    delivered: o.delivered,
    perSec: o.perSec,
    seconds: o.seconds,
    firstDeliveryMs: o.firstDeliveryMs,
    completionSeconds: stats.completionSeconds,
    completionPerSec: stats.completionSeconds ? Math.round(o.notifications / stats.completionSeconds) : null,
    byChannel: Object.fromEntries(
      Object.entries(stats.throughput.byChannel).map(([c, f]) => [
        c,
        { delivered: f.delivered, perSec: f.perSec, seconds: f.seconds, firstDeliveryMs: f.firstDeliveryMs },
      ]),
    ),
    latencyP95Ms: Object.fromEntries(
      Object.entries(stats.latency).map(([c, st]) => [c, st['trigger→delivered']?.p95 ?? null]),
    ),
    groundTruth: {
      ok: groundTruth.ok,
      lost: groundTruth.lost,
      duplicated: groundTruth.duplicated,
      unexpected: groundTruth.unexpected,
    },
    peakRssMb: resources.peakRssMb,
    redisPeakMb: resources.redis.peakUsedMb,
  };
}

async function rawPhases(
  local: LocalStack,
  ops: Operators,
  watch: WatchedProcess[],
): Promise<{ smtp: RawResult; sms: RawResult }> {
  // A carrier-sim of its own (its receipts go to a counter, not to the api), fed the engine's own
  // rendering of the benchmark's notices for one prepared (never triggered) campaign.
  const receiver = await startReceiptCounter();
  const [httpPort, smtpPort] = [await freePort(), await freePort()];
  const sim = spawnScript('services/carrier-sim/main.ts', {
    ...local.env,
    CARRIER_SIM_PORT: String(httpPort),
    CARRIER_SIM_SMTP_PORT: String(smtpPort),
    API_URL: receiver.url,
  });
  watch.push({ name: 'raw carrier-sim', pid: sim.pid! });
  const simUrl = `http://127.0.0.1:${httpPort}`;
  try {
    await waitUntilReady(`${simUrl}/stats`, sim, 'raw carrier-sim');
    await putFaults(simUrl, LIFTED);
    const id = await prepareCampaign(ops, {
      kind: 'carrier-notice',
      channels: ['email', 'sms'],
      label: 'BENCH-RAW',
    });
    const ctx = await createCampaignContextCache(local.db).get(id);
    const marker = local.env.EXERCISE_MARKER || 'EXERCISE EXERCISE EXERCISE';
    const emails = renderEmails(ctx, await loadRecipients(local.db, { regions: [SMALL_REGION] }), marker);
    const batches = renderSmsBatches(ctx, await loadRecipients(local.db, { regions: null }), marker);
    const connections = WORKERS * Number(local.env.SMTP_POOL_SIZE || 5);
    await quietMoment('raw SMTP');
    const smtp = await sendRawEmails(emails, {
      host: '127.0.0.1',
      port: smtpPort,
      connections,
      inFlight: connections * 4,
    });
    log(
      `  raw SMTP: ${smtp.perSec}/s (${smtp.messages} in ${smtp.seconds.toFixed(1)} s, ${connections} connections)`,
    );
    await quietMoment('raw SMS');
    const sms = await sendRawSms(simUrl, batches, { connections: 16, inFlight: 32, receipts: receiver });
    log(`  raw SMS: ${sms.perSec}/s accepted, ${sms.receiptsPerSec}/s through receipts (${sms.messages})`);
    return { smtp: { ...smtp, connections } as RawResult, sms };
  } finally {
    await stopProcess(sim);
    await receiver.close();
  }
}

/** The database-only ceiling, with the worker processes paused so they do not deliver alongside. */
async function dbCeilingPhase(
  local: LocalStack,
  ops: Operators,
  sampler: ReturnType<typeof startResourceSampler>,
): Promise<DbCeilingResult> {
  await quietMoment('db ceiling');
  const ceilingCampaign = await prepareCampaign(ops, {
    kind: 'carrier-notice',
    channels: ['sms'],
    label: 'BENCH-DB',
  });
  const incident = await local.db.query<{ incident_id: number }>(
    'SELECT incident_id FROM campaigns WHERE id = $1',
    [ceilingCampaign],
  );
  sampler.mark();
  // No queue, no HTTP, and no engine: the worker processes are paused (SIGSTOP) so their reconciler
  // does not see a running campaign with pending rows and start delivering it alongside.
  const workerPids = local.processes.filter((p) => p.name.startsWith('worker')).map((p) => p.pid);
  for (const pid of workerPids) process.kill(pid, 'SIGSTOP');
  const ceiling: DbCeilingResult = await runDbCeiling(local.db, {
    campaignId: ceilingCampaign,
    incidentId: incident.rows[0]!.incident_id,
    pageSize: Number(local.env.FANOUT_PAGE_SIZE || 1000),
    chunkSize: Number(local.env.CHUNK_SIZE || 100),
    lanes: 8 * WORKERS,
    receiptBatch: 500,
    workers: WORKERS,
  }).finally(() => {
    for (const pid of workerPids) process.kill(pid, 'SIGCONT');
  });
  log(`  DB ceiling: ${ceiling.perSec}/s (${JSON.stringify(ceiling.stageSeconds)})`);
  return ceiling;
}

async function main(): Promise<void> {
  const started = new Date();
  log(
    `breach-drill bench: ${N} subscribers (small ${SMALL}, naive ${NAIVE}), ${WORKERS} workers, load ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const local = await startLocalStack({
    label: 'bench',
    databaseUrl,
    redisUrl,
    workers: WORKERS,
    baseEnv: process.env,
    extraEnv,
  });
  // Ctrl-C or a timeout: stop what was started and remove the schema and the queue keys.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      log(`${signal}: stopping the stack and removing the benchmark's schema and keys…`);
      void local.close().finally(() => process.exit(130));
    });
  const watch: WatchedProcess[] = [...local.processes];
  const sampler = startResourceSampler({ processes: watch, redisUrl, intervalMs: 500 });
  let result: BenchResult | null = null;
  try {
    await putFaults(local.stack.simUrl, LIFTED);
    const ops = await createOperators(local.stack.apiUrl, local.stack.adminKey, 'bench');
    const seeded = await seedPopulation(local.db, { count: N, seed: 7 });
    await local.db.query(
      `UPDATE subscribers SET region = $2 WHERE id IN (SELECT id FROM subscribers ORDER BY id LIMIT $1)`,
      [SMALL, SMALL_REGION],
    );
    log(`seeded ${seeded.inserted} subscribers in ${seeded.seconds.toFixed(1)} s`);

    const raw = wants('raw') ? await rawPhases(local, ops, watch) : null;
    const email = wants('email')
      ? await runEngine(local, ops, sampler, { label: 'email', channels: ['email'], regions: [SMALL_REGION] })
      : null;
    if (email) log(`  engine email: ${email.perSec}/s`);
    const sms = wants('sms')
      ? await runEngine(local, ops, sampler, { label: 'sms', channels: ['sms'], regions: null })
      : null;
    if (sms) log(`  engine SMS: ${sms.perSec}/s (completion ${sms.completionPerSec}/s)`);
    const mix = wants('mix')
      ? await runEngine(local, ops, sampler, {
          label: 'mix',
          channels: ['email', 'sms'],
          regions: [SMALL_REGION],
        })
      : null;
    if (mix) log(`  engine mix: ${mix.perSec}/s`);

    const ceiling = wants('db') ? await dbCeilingPhase(local, ops, sampler) : null;

    const naive: Record<
      string,
      { perSec: number; notifications: number; seconds: number; groundTruthOk: boolean }
    > = {};
    for (const channel of wants('naive') ? (['email', 'sms'] as const) : []) {
      await quietMoment(`naive ${channel}`);
      const n = await runNaive({
        db: local.db,
        env: local.env,
        redisUrl,
        operators: ops,
        channels: [channel],
        regions: null,
        limit: NAIVE,
        workers: WORKERS,
        faults: LIFTED,
        timeoutMs: 900_000,
        watch,
        log,
      });
      const f = n.stats.throughput.byChannel[channel]!;
      naive[channel] = {
        perSec: f.perSec,
        notifications: f.notifications,
        seconds: f.seconds,
        groundTruthOk: n.groundTruth.ok,
      };
      log(`  naive ${channel}: ${f.perSec}/s`);
    }
    const resources = await sampler.stop();
    if (only || !raw || !email || !sms || !mix || !ceiling) {
      const phases = { raw, engine: { email, sms, mix }, dbCeiling: ceiling, naive };
      process.stdout.write(
        `${JSON.stringify({ command, phases, peakRssMb: resources.peakRssMb }, null, 2)}\n`,
      );
      return;
    }
    result = {
      kind: 'breach-drill-bench',
      command,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        memoryGb: Math.round(os.totalmem() / 1024 ** 3),
        node: process.version,
        loadAverageByPhase: loads,
      },
      config: {
        subscribers: N,
        small: SMALL,
        naive: NAIVE,
        workers: WORKERS,
        submitLimits: 'off (PUT /faults {"all":{"sms":{"submitLimit":"off"}}})',
        env: extraEnv,
      },
      raw,
      engine: { email, sms, mix },
      dbCeiling: ceiling,
      naive,
      resources: { peakRssMb: resources.peakRssMb, redis: resources.redis },
      targets: [],
    };
    result.targets = evaluateTargets(result);
  } finally {
    await sampler.stop().catch(() => undefined);
    await local.close();
  }
  if (!result) return;
  const json = JSON.stringify(result, null, 2);
  process.stdout.write(`${json}\n`);
  mkdirSync('.data/bench', { recursive: true });
  const file = path.join('.data/bench', `bench-${result.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  log(`\nJSON: ${file}`);
  for (const t of result.targets)
    log(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.actual} (target ${t.target})`);
  if (!values['no-write']) {
    writeBenchmarksSection('BENCHMARKS.md', 'engine', formatEngineSection(result));
    log('BENCHMARKS.md "## engine" updated');
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
