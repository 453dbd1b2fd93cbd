import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import type { FaultsInput } from '../../services/carrier-sim/faults.schema';
import type { Channel } from '../../shared/domain';
import type { Db } from '../../shared/store/db';
import { createRedis } from '../../shared/redis';
import type { GroundTruthVerdict } from '../../shared/checker/check-ground-truth';
import { freePort } from '../lib/private-redis';
import { prepareCampaign, type Operators } from '../loadtest/prepare-campaign';
import { putFaults } from '../loadtest/run-fault-schedule';
import { collectLedgerStats, type LedgerStats } from '../loadtest/collect-ledger-stats';
import { verifyGroundTruth } from '../loadtest/verify-ground-truth';
import type { WatchedProcess } from '../loadtest/sample-resources';
import { deleteKeysWithPrefix, spawnScript, stopProcess, waitUntilReady } from '../loadtest/spawn-script';
import { NAIVE_FANOUT_QUEUE } from './naive-design';

export interface NaiveRunOptions {
  db: Db;
  /** Environment for the naive processes: DATABASE_URL, DATABASE_SCHEMA, REDIS_URL at least. */
  env: NodeJS.ProcessEnv;
  redisUrl: string;
  operators: Operators;
  channels: Channel[];
  /** Audience narrowing by region label (the benchmark's subsets); everyone when null. */
  regions: string[] | null;
  /** At most this many subscribers (lowest ids first); all when null. */
  limit: number | null;
  workers: number;
  /** Fault profile for the naive run's carrier-sim (e.g. lifted submission limits). */
  faults: FaultsInput;
  timeoutMs: number;
  /** Processes are added here while they run, for the resource sampler. */
  watch?: WatchedProcess[];
  log?: (line: string) => void;
}

export interface NaiveRunResult {
  campaignId: number;
  stats: LedgerStats;
  groundTruth: GroundTruthVerdict;
  finished: boolean;
  wallSeconds: number;
}

/**
 * Runs the naive baseline end to end in its own processes: a carrier-sim of its own (its receipts go
 * to the naive receipt handler, not to the api), `workers` naive worker processes, one campaign
 * prepared through the api like any other but triggered by the naive fan-out, never by the engine.
 */
export async function runNaive(opts: NaiveRunOptions): Promise<NaiveRunResult> {
  const log = opts.log ?? (() => undefined);
  const prefix = `naive-${Date.now().toString(36)}`;
  const [simPort, smtpPort, receiptPort] = [await freePort(), await freePort(), await freePort()];
  const simUrl = `http://127.0.0.1:${simPort}`;
  const secret = opts.env.WEBHOOK_SECRET ?? 'naive-baseline-webhook-secret';
  const common = {
    ...opts.env,
    LOG_LEVEL: 'warn',
    QUEUE_PREFIX: prefix,
    WEBHOOK_SECRET: secret,
    CARRIER_SIM_URL: simUrl,
    SMTP_PORT: String(smtpPort),
  };
  const children = [];
  const redis = createRedis(opts.redisUrl, 'producer');
  // The naive baseline (one job per notification, one prefix) is measured on one Redis server.
  if (redis instanceof Cluster)
    throw new Error('the naive baseline runs against one Redis server, not a cluster');
  redis.on('error', () => undefined);
  const fanOutQueue = new Queue(NAIVE_FANOUT_QUEUE, { connection: redis, prefix });
  try {
    const sim = spawnScript('services/carrier-sim/main.ts', {
      ...common,
      CARRIER_SIM_PORT: String(simPort),
      CARRIER_SIM_SMTP_PORT: String(smtpPort),
      API_URL: `http://127.0.0.1:${receiptPort}`,
    });
    children.push(sim);
    opts.watch?.push({ name: 'naive carrier-sim', pid: sim.pid! });
    await waitUntilReady(`${simUrl}/stats`, sim, 'naive carrier-sim');
    await putFaults(simUrl, opts.faults);
    for (let i = 0; i < opts.workers; i++) {
      const w = spawnScript('scripts/bench/naive-worker.ts', {
        ...common,
        ...(i === 0 ? { NAIVE_RECEIPT_PORT: String(receiptPort) } : {}),
      });
      children.push(w);
      opts.watch?.push({ name: `naive worker ${i + 1}`, pid: w.pid! });
    }
    const campaignId = await prepareCampaign(opts.operators, {
      kind: 'carrier-notice',
      channels: opts.channels,
      label: 'NAIVE',
      ...(opts.regions ? { audience: { regions: opts.regions } } : {}),
    });
    await new Promise((r) => setTimeout(r, 1_500)); // let the workers connect before the clock starts
    await opts.db.query('UPDATE campaigns SET triggered_at = now() WHERE id = $1', [campaignId]);
    const started = Date.now();
    await fanOutQueue.add(
      'fan-out',
      { campaignId, regions: opts.regions, limit: opts.limit },
      { jobId: `naive-${campaignId}` },
    );
    log(
      `naive baseline: campaign ${campaignId} (${opts.channels.join('+')}), ${opts.workers} worker process(es)`,
    );
    let finished = false;
    let lastLine = 0;
    while (Date.now() - started < opts.timeoutMs) {
      await new Promise((r) => setTimeout(r, 1_000));
      const r = await opts.db.query<{ total: number; open: number }>(
        `SELECT count(*)::int AS total,
                count(*) FILTER (WHERE state IN ('pending', 'sending', 'sent', 'retrying'))::int AS open
           FROM notification WHERE campaign_id = $1`,
        [campaignId],
      );
      const { total, open } = r.rows[0]!;
      const jobs = await fanOutQueue.getJobCounts('active', 'waiting', 'delayed', 'failed');
      if (jobs.failed! > 0) throw new Error('naive fan-out failed (see the naive worker log)');
      const fanOutDone = jobs.active! + jobs.waiting! + jobs.delayed! === 0;
      if (Date.now() - lastLine > 5_000) {
        lastLine = Date.now();
        log(`  naive ${((Date.now() - started) / 1000).toFixed(0)} s: ${total - open}/${total} terminal`);
      }
      if (fanOutDone && total > 0 && open === 0) {
        finished = true;
        break;
      }
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const stats = await collectLedgerStats(opts.db, [campaignId]);
    const groundTruth = await verifyGroundTruth(opts.db, simUrl, [campaignId]);
    return { campaignId, stats, groundTruth, finished, wallSeconds };
  } finally {
    await Promise.all(children.map((c) => stopProcess(c)));
    await fanOutQueue.close();
    await deleteKeysWithPrefix(redis, prefix).catch(() => 0);
    redis.disconnect();
  }
}
