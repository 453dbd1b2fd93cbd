import os from 'node:os';
import type { FaultsInput } from '../../services/carrier-sim/faults.schema';
import type { Channel } from '../../shared/domain';
import type { Db } from '../../shared/store/db';
import type { GroundTruthVerdict } from '../../shared/checker/check-ground-truth';
import { runNaive } from '../bench/run-naive';
import { collectLedgerStats, type LedgerStats, type RateFigure } from './collect-ledger-stats';
import { followProgress, type ProgressSample } from './follow-progress';
import { prepareCampaign, triggerCampaigns, type Operators } from './prepare-campaign';
import { putFaults, runFaultSchedule, type AppliedStep } from './run-fault-schedule';
import { startResourceSampler, type ResourceSummary, type WatchedProcess } from './sample-resources';
import type { Scenario } from './scenarios';
import { audienceSize, seedPopulation } from './seed-population';
import { verifyGroundTruth } from './verify-ground-truth';

/** A running system to load: the api and carrier-sim by URL, the database it writes. */
export interface LoadtestTarget {
  apiUrl: string;
  simUrl: string;
  db: Db;
  operators: Operators;
  /** Processes whose RSS is sampled (those this tool started; none for a stack given by URLs). */
  processes: WatchedProcess[];
  redisUrl?: string | undefined;
  /** Environment for the naive baseline's processes (DATABASE_URL, DATABASE_SCHEMA, REDIS_URL). */
  naiveEnv?: NodeJS.ProcessEnv | undefined;
}

export interface LoadtestOptions {
  subscribers: number;
  channels: Channel[];
  seed: number;
  scenario: Scenario;
  kind: 'carrier-notice' | 'agency-advisory';
  timeoutMs: number;
  progressBars: boolean;
  /** Lift the carriers' SMS submission limits for the whole run (PUT /faults submitLimit "off"). */
  liftLimits: boolean;
  baseline: 'naive' | null;
  /** Subscribers the naive baseline notifies (it is slow; its rate does not depend on size). */
  baselineSubscribers: number;
  /** Worker processes (recorded in the report; the naive baseline runs as many). */
  workers: number;
  /** The command line, recorded in the report. */
  command: string;
  log?: (line: string) => void;
}

export interface BaselineResult {
  design: 'naive';
  subscribers: number;
  campaignId: number;
  finished: boolean;
  throughput: { overall: RateFigure; byChannel: Record<string, RateFigure> };
  latency: LedgerStats['latency'];
  groundTruth: GroundTruthVerdict;
  /** engine rate ÷ naive rate */
  ratio: { overall: number | null; byChannel: Record<string, number | null> };
}

export interface LoadtestReport {
  kind: 'breach-drill-loadtest';
  version: 1;
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGb: number;
    node: string;
    loadAverage: { before: number[]; after: number[] };
  };
  options: Omit<LoadtestOptions, 'scenario' | 'log' | 'progressBars' | 'command'>;
  scenario: Scenario;
  faultsApplied: AppliedStep[];
  seeding: { inserted: number; seconds: number };
  expected: Record<string, number>;
  finished: boolean;
  /** wall clock from trigger until the follower saw every campaign finished, s */
  wallSeconds: number;
  ledger: LedgerStats;
  progress: ProgressSample[];
  resources: ResourceSummary;
  groundTruth: GroundTruthVerdict;
  baseline: BaselineResult | null;
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);

/**
 * One load test against a running system: seed the population, prepare the scenario's campaigns,
 * trigger them together, play the fault schedule while following progress, then read the ledger,
 * the audit log and the carrier-sim's ground truth into a report. `--baseline naive` then runs the
 * naive design on a smaller population and reports the ratio.
 */
export async function runLoadtest(target: LoadtestTarget, opts: LoadtestOptions): Promise<LoadtestReport> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const startedAt = new Date();
  const loadBefore = os.loadavg().map((x) => Math.round(x * 100) / 100);
  log(`seeding ${opts.subscribers} subscribers (seed ${opts.seed}) with bulk INSERTs…`);
  const seeding = await seedPopulation(target.db, { count: opts.subscribers, seed: opts.seed });
  log(`  ${seeding.inserted} new rows in ${seeding.seconds.toFixed(1)} s`);
  const base: FaultsInput = opts.liftLimits ? { all: { sms: { submitLimit: 'off' } } } : {};
  await putFaults(target.simUrl, base);

  const kinds =
    opts.kind === 'carrier-notice'
      ? ['carrier-notice', 'agency-advisory']
      : ['agency-advisory', 'carrier-notice'];
  const campaignIds: number[] = [];
  for (let i = 0; i < opts.scenario.campaigns; i++) {
    campaignIds.push(
      await prepareCampaign(target.operators, {
        kind: kinds[i % 2] as LoadtestOptions['kind'],
        channels: opts.channels,
        label: `LOAD-${opts.scenario.name}`,
      }),
    );
  }
  const perCampaign = await audienceSize(target.db, opts.channels);
  const expected = Object.fromEntries(
    Object.entries(perCampaign).map(([c, n]) => [c, n * campaignIds.length]),
  );
  const total = Object.values(expected).reduce((a, b) => a + b, 0);
  log(
    `scenario ${opts.scenario.name}: ${campaignIds.length} campaign(s) [${campaignIds.join(', ')}], ${total} notifications (${Object.entries(
      expected,
    )
      .map(([c, n]) => `${c} ${n}`)
      .join(', ')})`,
  );

  const watch = [...target.processes];
  const sampler = startResourceSampler({ processes: watch, redisUrl: target.redisUrl });
  const triggeredAt = Date.now();
  await triggerCampaigns(target.operators, campaignIds);
  const schedule = runFaultSchedule({
    simUrl: target.simUrl,
    steps: opts.scenario.steps,
    base,
    startedAt: triggeredAt,
    log,
  });
  let follow;
  try {
    follow = await followProgress({
      db: target.db,
      campaignIds,
      expected,
      startedAt: triggeredAt,
      timeoutMs: opts.timeoutMs,
      progressBars: opts.progressBars,
      onProgress: (share) => schedule.progress(share),
      log,
    });
  } finally {
    await schedule.stop();
  }
  const engineResources = sampler.mark();
  log(
    follow.finished
      ? 'every campaign completed; reading the ledger and the ground truth…'
      : 'TIMEOUT: reporting what finished',
  );
  const ledger = await collectLedgerStats(target.db, campaignIds);
  const groundTruth = await verifyGroundTruth(target.db, target.simUrl, campaignIds);

  let baseline: BaselineResult | null = null;
  if (opts.baseline === 'naive') {
    if (!target.naiveEnv || !target.redisUrl)
      throw new Error('--baseline naive needs the database and Redis URLs');
    log(`naive baseline on ${opts.baselineSubscribers} subscribers…`);
    const naive = await runNaive({
      db: target.db,
      env: target.naiveEnv,
      redisUrl: target.redisUrl,
      operators: target.operators,
      channels: opts.channels,
      regions: null,
      limit: opts.baselineSubscribers,
      workers: opts.workers,
      faults: base,
      timeoutMs: opts.timeoutMs,
      watch,
      log,
    });
    const byChannel: Record<string, number | null> = {};
    for (const [ch, f] of Object.entries(ledger.throughput.byChannel))
      byChannel[ch] = ratio(f.perSec, naive.stats.throughput.byChannel[ch]?.perSec ?? 0);
    baseline = {
      design: 'naive',
      subscribers: opts.baselineSubscribers,
      campaignId: naive.campaignId,
      finished: naive.finished,
      throughput: { overall: naive.stats.throughput.overall, byChannel: naive.stats.throughput.byChannel },
      latency: naive.stats.latency,
      groundTruth: naive.groundTruth,
      ratio: {
        overall: ratio(ledger.throughput.overall.perSec, naive.stats.throughput.overall.perSec),
        byChannel,
      },
    };
  }
  const all = await sampler.stop();
  const { command, ...rest } = opts;
  void command;
  return {
    kind: 'breach-drill-loadtest',
    version: 1,
    command: opts.command,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      loadAverage: { before: loadBefore, after: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    },
    options: {
      subscribers: rest.subscribers,
      channels: rest.channels,
      seed: rest.seed,
      kind: rest.kind,
      timeoutMs: rest.timeoutMs,
      liftLimits: rest.liftLimits,
      baseline: rest.baseline,
      baselineSubscribers: rest.baselineSubscribers,
      workers: rest.workers,
    },
    scenario: opts.scenario,
    faultsApplied: schedule.applied,
    seeding,
    expected,
    finished: follow.finished,
    wallSeconds: follow.wallMs / 1000,
    ledger,
    progress: follow.samples,
    resources: { ...engineResources, samples: all.samples },
    groundTruth,
    baseline,
  };
}
