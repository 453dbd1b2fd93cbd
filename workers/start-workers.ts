import { DelayedError, Worker, type Job } from 'bullmq';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';
import type { Db } from '../shared/store/db';
import type { Channel } from '../shared/domain';
import { getCarrier } from '../shared/carriers';
import {
  DELIVER_QUEUES,
  FANOUT_QUEUE,
  RECEIPTS_QUEUE,
  deliverJob,
  fanOutJob,
  receiptsJob,
} from '../shared/queues';
import { queuePrefix, type QueueClient } from '../shared/queue-client';
import type { RedisClient } from '../shared/redis';
import { applyReceipts } from '../shared/ledger/apply-receipts';
import { completeCampaignIfDone } from '../shared/ledger/complete-campaign';
import { assertGatewayHost } from '../shared/safety';
import { createEmailChannel } from './deliver/channels/email-channel';
import { createSmsChannel } from './deliver/channels/sms-channel';
import { createArrivalLookup } from './deliver/channels/arrival-lookup';
import type { ChannelAdapter } from './deliver/channels/channel-adapter';
import { createCampaignContextCache } from './deliver/notice-context';
import { deliverChunk } from './deliver/deliver-chunk';
import { fanOutCampaign } from './fan-out/fan-out-campaign';
import { createCampaignThrottle } from './deliver/campaign-throttle';
import { enqueueRetries, reconcileCampaigns } from './reconcile/reconcile-campaigns';
import { startStoreMaintenance } from './reconcile/start-store-maintenance';
import { loadSigningKey } from '../shared/audit/signing-key';
import { startAuditCheckpointer } from './audit/start-audit-checkpointer';

export interface WorkerDeps {
  config: Config;
  db: Db;
  /** A connection made with role 'worker' (maxRetriesPerRequest: null); Workers duplicate it. */
  connection: RedisClient;
  queues: QueueClient;
  logger: Logger;
  /** Test-only crash hook, see DeliverDeps.afterSendHook. */
  afterSendHook?: () => void;
  /** false: build everything but consume no jobs and run no periodic reconcile (tests drive it). */
  autorun?: boolean;
}

export interface RunningWorkers {
  adapters: Record<Channel, ChannelAdapter>;
  reconcile(campaignId?: number): ReturnType<typeof reconcileCampaigns>;
  close(): Promise<void>;
}

/** Times a job may be handed on after its worker died before BullMQ fails it. */
const MAX_STALLS = 20;

/** A worker's `error` fires in a hot loop while Redis is away: log once per outage (DESIGN.md). */
function oncePerOutage(logger: Logger, name: string) {
  let down = false;
  return {
    error(err: Error) {
      if (down) return;
      down = true;
      logger.error({ queue: name, err: err.message }, 'queue connection lost; will keep retrying');
    },
    ok() {
      if (down) logger.info({ queue: name }, 'queue connection back');
      down = false;
    },
  };
}

export function createAdapters(config: Config): Record<Channel, ChannelAdapter> {
  const simUrl = new URL(config.CARRIER_SIM_URL);
  assertGatewayHost('SMTP', config.SMTP_HOST, config.LAB_HOSTS);
  assertGatewayHost('SMS gateway', simUrl.hostname, config.LAB_HOSTS);
  const lookup = createArrivalLookup(config.CARRIER_SIM_URL, config.SEND_TIMEOUT_MS);
  return {
    email: createEmailChannel({
      host: config.SMTP_HOST,
      port: config.SMTP_PORT,
      poolSize: config.SMTP_POOL_SIZE,
      concurrency: config.SEND_CONCURRENCY,
      timeoutMs: config.SEND_TIMEOUT_MS,
      lookup,
    }),
    sms: createSmsChannel({
      baseUrl: config.CARRIER_SIM_URL,
      timeoutMs: config.SEND_TIMEOUT_MS,
      connections: 16,
      lookup,
    }),
  };
}

/** Starts every pipeline worker of this process: fan-out, deliver (one per queue), receipts, reconcile. */
export function startWorkers(deps: WorkerDeps): RunningWorkers {
  const { config, db, connection, queues, logger } = deps;
  const adapters = createAdapters(config);
  const contexts = createCampaignContextCache(db);
  const throttle = createCampaignThrottle(connection, config.QUEUE_PREFIX);
  // stalledInterval: how soon a job whose worker died (no lock renewal) is handed to another worker;
  // its lock must lapse as soon, or BullMQ's default 30 s lock holds the job that long anyway. A live
  // worker renews the lock every half of it; one too starved to renew loses the job to another
  // worker, which the ledger's claims make harmless.
  // prefix: per queue on a Redis Cluster (its name is the hash tag), the same as the producers'.
  const common = (queue: string) => ({
    connection,
    prefix: queuePrefix(connection, config.QUEUE_PREFIX, queue),
    stalledInterval: config.STALLED_INTERVAL_MS,
    lockDuration: config.STALLED_INTERVAL_MS,
    // A job is safe to run again however often its workers die (the ledger's claims decide what is
    // sent); BullMQ's default fails it after one stall, leaving its rows to the slower reconciler.
    maxStalledCount: MAX_STALLS,
    autorun: deps.autorun ?? true,
  });
  const workers: Worker[] = [];
  const watch = (w: Worker, name: string) => {
    const o = oncePerOutage(logger, name);
    w.on('error', (err) => o.error(err));
    w.on('ready', () => o.ok());
    w.on('failed', (job, err) =>
      logger.warn({ queue: name, jobId: job?.id, err: err.message }, 'job failed'),
    );
    workers.push(w);
  };

  watch(
    new Worker(
      FANOUT_QUEUE,
      async (job: Job, token?: string) => {
        const { campaignId } = fanOutJob.parse(job.data);
        const result = await fanOutCampaign(campaignId, {
          db,
          pageSize: config.FANOUT_PAGE_SIZE,
          chunkSize: config.CHUNK_SIZE,
          logger: logger.child({ campaignId, jobId: job.id }),
          async enqueueChunks(jobs) {
            const byQueue = new Map<string, typeof jobs>();
            for (const j of jobs) byQueue.set(j.queue, [...(byQueue.get(j.queue) ?? []), j]);
            await Promise.all(
              [...byQueue].map(([q, js]) =>
                queues.deliver(q).addBulk(
                  js.map((j) => ({
                    name: 'chunk',
                    data: j.data,
                    opts: { jobId: j.jobId, ...(j.delay ? { delay: j.delay } : {}) },
                  })),
                ),
              ),
            );
          },
          bookThrottled: (id, perSec, jobs) => throttle.book(id, perSec, jobs),
          onPage: (p) => job.updateProgress({ cursor: p.cursor }),
        });
        if (result.startsInMs) {
          // Ran before the campaign's start time (by the database clock): wait for it.
          await job.moveToDelayed(Date.now() + result.startsInMs, token);
          throw new DelayedError();
        }
        return result;
      },
      { ...common(FANOUT_QUEUE), concurrency: 2 },
    ),
    FANOUT_QUEUE,
  );

  for (const q of DELIVER_QUEUES) {
    const carrier = getCarrier(q.carrier);
    // SMS: the carrier's submission limit, in chunk jobs per second (BullMQ's limiter is per queue).
    const limiter =
      q.channel === 'sms'
        ? { max: Math.max(1, Math.floor(carrier.submitRatePerSec / config.CHUNK_SIZE)), duration: 1_000 }
        : undefined;
    const worker: Worker = new Worker(
      q.name,
      async (job: Job, token?: string) => {
        const data = deliverJob.parse(job.data);
        const result = await deliverChunk(data, {
          db,
          adapters,
          contexts,
          marker: config.EXERCISE_MARKER,
          leaseMs: config.LEASE_MS,
          retry: {
            maxAttempts: config.RETRY_MAX_ATTEMPTS,
            baseDelayMs: config.RETRY_BASE_DELAY_MS,
            maxDelayMs: config.RETRY_MAX_DELAY_MS,
          },
          enqueueRetries: (j, retries) =>
            enqueueRetries(
              queues,
              retries.map((r) => ({
                ...r,
                campaignId: j.campaignId,
                channel: j.channel,
                carrier: j.carrier,
              })),
            ),
          logger: logger.child({ campaignId: data.campaignId, jobId: job.id }),
          actor: 'worker:deliver',
          admitThrottled: (n, perSec) => throttle.admit(data.campaignId, perSec, { jobId: job.id!, n }),
          ...(deps.afterSendHook ? { afterSendHook: deps.afterSendHook } : {}),
        });
        if (result.kind === 'paused') {
          // A paused campaign keeps its jobs: look again in a second.
          await job.moveToDelayed(Date.now() + 1_000, token);
          throw new DelayedError();
        }
        if (result.kind === 'recheck') {
          // Only the rows still claimed elsewhere; the rest of the chunk is done.
          await job.updateData({ ...data, ids: result.ids });
          await job.moveToDelayed(Date.now() + result.waitMs, token);
          throw new DelayedError();
        }
        if (result.kind === 'throttled') {
          // Not this campaign's turn yet: only this job waits, the queue's other campaigns go on.
          await job.moveToDelayed(Date.now() + result.waitMs, token);
          throw new DelayedError();
        }
        if (result.kind === 'rate_limited') {
          await worker.rateLimit(result.retryAfterMs);
          throw Worker.RateLimitError();
        }
        return result;
      },
      { ...common(q.name), concurrency: config.DELIVER_CONCURRENCY, ...(limiter ? { limiter } : {}) },
    );
    watch(worker, q.name);
  }

  watch(
    new Worker(
      RECEIPTS_QUEUE,
      async (job: Job) => {
        const { receipts } = receiptsJob.parse(job.data);
        const res = await applyReceipts(db, receipts, 'worker:receipts');
        for (const campaignId of res.campaigns)
          await completeCampaignIfDone(db, campaignId, 'worker:receipts');
        return res;
      },
      { ...common(RECEIPTS_QUEUE), concurrency: config.RECEIPTS_CONCURRENCY },
    ),
    RECEIPTS_QUEUE,
  );

  const reconcileDeps = {
    db,
    queues,
    adapters,
    logger: logger.child({ stage: 'reconcile' }),
    chunkSize: config.CHUNK_SIZE,
    leaseMs: config.LEASE_MS,
    staleMs: Math.max(config.LEASE_MS * 10, 300_000),
    receiptTimeoutMs: config.RECEIPT_TIMEOUT_MS,
  };
  let reconciling = false;
  const timer = setInterval(() => {
    if (reconciling || deps.autorun === false) return;
    reconciling = true;
    reconcileCampaigns(reconcileDeps)
      .catch((err: Error) => logger.warn({ err: err.message }, 'reconcile pass failed'))
      .finally(() => {
        reconciling = false;
      });
  }, config.RECONCILE_INTERVAL_MS);
  timer.unref();

  // Partitions ahead and retention (issue 12), and signed audit checkpoints every
  // AUDIT_CHECKPOINT_EVERY events or AUDIT_CHECKPOINT_SECONDS: periodic, and off when tests drive
  // the workers. Every worker host signs with the same key (AUDIT_SIGNING_KEY); a checkpoint per seq
  // is kept once, so several hosts signing is harmless.
  // Read once and shared by both (a failed read is tried again on the next call).
  let key: ReturnType<typeof loadSigningKey> | null = null;
  const signingKey = () =>
    (key ??= loadSigningKey({ configured: config.AUDIT_SIGNING_KEY, dataDir: config.DATA_DIR }).catch(
      (err: unknown) => {
        key = null;
        throw err;
      },
    ));
  const maintenance =
    deps.autorun === false
      ? null
      : startStoreMaintenance({
          db,
          retentionDays: config.RETENTION_DAYS,
          intervalMs: config.STORE_MAINTENANCE_MS,
          signingKey,
          logger,
        });
  const checkpointer =
    deps.autorun === false
      ? null
      : startAuditCheckpointer({
          db,
          key: signingKey,
          policy: { every: config.AUDIT_CHECKPOINT_EVERY, seconds: config.AUDIT_CHECKPOINT_SECONDS },
          logger,
        });

  return {
    adapters,
    reconcile: (campaignId) => reconcileCampaigns(reconcileDeps, campaignId),
    async close() {
      clearInterval(timer);
      await maintenance?.close();
      await checkpointer?.close();
      // Worker.close waits for in-flight jobs to finish, so no chunk is left half-recorded.
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all(Object.values(adapters).map((a) => a.close()));
    },
  };
}
