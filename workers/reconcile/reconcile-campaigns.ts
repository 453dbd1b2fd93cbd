import type { Logger } from '../../shared/logger';
import type { Db } from '../../shared/store/db';
import type { Channel } from '../../shared/domain';
import type { QueueClient } from '../../shared/queue-client';
import { deliverQueueName, jobIds } from '../../shared/queues';
import { completeCampaignIfDone } from '../../shared/ledger/complete-campaign';
import { toChunks } from '../fan-out/fan-out-campaign';
import type { ChannelAdapter } from '../deliver/channels/channel-adapter';
import { resolveExpiredClaims, type Retry } from './resolve-expired-claims';
import { resolveMissingReceipts } from './resolve-missing-receipts';
import { cancelLeftovers } from '../../shared/ledger/cancel-leftovers';
import { campaignChunkSize, startDelayMs } from '../../shared/campaign-schedule';

export interface ReconcileDeps {
  db: Db;
  queues: QueueClient;
  adapters: Record<Channel, ChannelAdapter>;
  logger: Logger;
  chunkSize: number;
  leaseMs: number;
  /** Rows waiting longer than this are re-driven even when their queue still holds jobs. */
  staleMs: number;
  /** SMS still `sent` after this long without a receipt are resolved by a status query. */
  receiptTimeoutMs: number;
}

export interface ReconcileReport {
  campaigns: number;
  fanOutRestarted: number;
  expiredResolved: number;
  redriven: number;
  receiptsResolved: number;
  completed: number;
}

const RETRY_BATCH = 100; // the chunk size's ceiling (CHUNK_SIZE ≤ 100)

/**
 * Puts retries back on their carrier's queue, batched: up to `batchSize` notifications of one
 * campaign per job, in order of due time, each job delayed until its last member is due (a batch spans at most a doubling of delay). A job per
 * notification would make a carrier's limiter (chunk jobs per second) pace retries a hundred times
 * slower than first sends.
 */
export async function enqueueRetries(
  queues: QueueClient,
  retries: readonly Retry[],
  batchSize = RETRY_BATCH,
): Promise<void> {
  const groups = new Map<string, { queue: string; rs: Retry[] }>();
  for (const r of retries) {
    const queue = deliverQueueName(r.channel, r.carrier);
    const key = `${queue}/${r.campaignId}`;
    const g = groups.get(key) ?? { queue, rs: [] };
    g.rs.push(r);
    groups.set(key, g);
  }
  await Promise.all(
    [...groups.values()].map(({ queue, rs }) => {
      const sorted = [...rs].sort((a, b) => a.delayMs - b.delayMs || a.id - b.id);
      // A batch waits for its last member: close it when full or when the next is due much later.
      const batches: Retry[][] = [];
      for (const r of sorted) {
        const open = batches[batches.length - 1];
        const head = open?.[0];
        if (
          open &&
          head &&
          open.length < batchSize &&
          r.delayMs - head.delayMs <= Math.max(1_000, head.delayMs)
        )
          open.push(r);
        else batches.push([r]);
      }
      const jobs = batches.map((batch) => {
        const first = batch[0]!;
        return {
          name: 'retry',
          data: {
            campaignId: first.campaignId,
            channel: first.channel,
            carrier: first.carrier,
            ids: batch.map((r) => r.id).sort((a, b) => a - b),
          },
          opts: {
            jobId: batch.length === 1 ? jobIds.retry(first.id, first.attempt) : jobIds.retryBatch(batch),
            delay: batch[batch.length - 1]!.delayMs,
          },
        };
      });
      return queues.deliver(queue).addBulk(jobs);
    }),
  );
}

/**
 * Makes sure a fan-out job exists for a campaign whose fan-out has not finished (the trigger's
 * outbox). A start time still ahead delays the job until then, so neither the trigger nor a
 * re-enqueue by the reconciler starts a campaign early (fan-out itself checks again).
 */
export async function ensureFanOutJob(
  queues: QueueClient,
  campaignId: number,
  startAt: Date | null = null,
): Promise<boolean> {
  const id = jobIds.fanOut(campaignId);
  const job = await queues.fanOut.getJob(id);
  if (!job) {
    const delay = startDelayMs(startAt, Date.now());
    await queues.fanOut.add('fan-out', { campaignId }, { jobId: id, ...(delay > 0 ? { delay } : {}) });
    return true;
  }
  if (await job.isFailed()) {
    await job.retry();
    return true;
  }
  return false;
}

async function pendingJobs(queues: QueueClient, queue: string): Promise<number> {
  const counts = await queues.deliver(queue).getJobCounts('wait', 'active', 'delayed', 'prioritized');
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/**
 * How long a throttled campaign's queued rows may legitimately wait: its open backlog at the
 * throttle. Without it, rows waiting their turn look stranded and the reconciler would re-drive them
 * every pass, each redundant job spending the campaign's throttle on rows another job owns.
 */
async function throttleBacklogMs(db: Db, campaignId: number, throttlePerSec: number | null): Promise<number> {
  if (!throttlePerSec) return 0;
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM notification WHERE campaign_id = $1 AND state IN ('pending', 'retrying')`,
    [campaignId],
  );
  return Math.ceil(((r.rows[0]?.n ?? 0) * 1000) / throttlePerSec);
}

/**
 * The reconciler: finds ledger rows that are not terminal and have no live job (lost Redis state,
 * expired claims, a fan-out that never started) and re-drives them. Safe to run at any time and
 * from any process: claims make a redundant job harmless.
 */
export async function reconcileCampaigns(deps: ReconcileDeps, only?: number): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    campaigns: 0,
    fanOutRestarted: 0,
    expiredResolved: 0,
    redriven: 0,
    receiptsResolved: 0,
    completed: 0,
  };
  // Cancelled campaigns too: rows an in-flight attempt put back after ENDEX must still end.
  const campaigns = await deps.db.query<{
    id: number;
    fanout_done: boolean;
    state: string;
    start_at: Date | null;
    throttle_per_sec: number | null;
  }>(
    `SELECT c.id, c.fanout_done, c.state, c.start_at, c.throttle_per_sec FROM campaigns c
      WHERE (c.state IN ('triggered', 'running')
         OR (c.state = 'cancelled' AND EXISTS (SELECT 1 FROM notification n WHERE n.campaign_id = c.id
               AND n.state IN ('pending', 'sending', 'sent', 'retrying'))))
        ${only ? 'AND c.id = $1' : ''}`,
    only ? [only] : [],
  );
  for (const c of campaigns.rows) {
    report.campaigns += 1;
    if (c.state === 'cancelled') await cancelLeftovers(deps.db, c.id, 'worker:reconcile');
    if (
      c.state !== 'cancelled' &&
      !c.fanout_done &&
      (await ensureFanOutJob(deps.queues, c.id, c.start_at && new Date(c.start_at)))
    )
      report.fanOutRestarted += 1;

    const expired = await deps.db.query<{ id: number }>(
      `SELECT id FROM notification WHERE campaign_id = $1 AND state = 'sending' AND lease_until < now() ORDER BY id LIMIT 500`,
      [c.id],
    );
    if (expired.rows.length > 0) {
      const retries = await resolveExpiredClaims(
        expired.rows.map((r) => r.id),
        {
          db: deps.db,
          adapters: deps.adapters,
          actor: 'worker:reconcile',
          logger: deps.logger,
          leaseMs: deps.leaseMs,
          campaignId: c.id,
        },
      );
      await enqueueRetries(deps.queues, retries);
      report.expiredResolved += expired.rows.length;
    }

    if (c.fanout_done && c.state !== 'cancelled') {
      const staleMs = deps.staleMs + (await throttleBacklogMs(deps.db, c.id, c.throttle_per_sec));
      const groups = await deps.db.query<{ channel: Channel; carrier: string; stale: boolean }>(
        `SELECT channel, carrier, bool_or(updated_at < now() - ($2 || ' milliseconds')::interval) AS stale
           FROM notification
          WHERE campaign_id = $1 AND (state = 'pending' OR (state = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= now())))
          GROUP BY channel, carrier`,
        [c.id, String(staleMs)],
      );
      for (const g of groups.rows) {
        const queue = deliverQueueName(g.channel, g.carrier);
        if (!g.stale && (await pendingJobs(deps.queues, queue)) > 0) continue;
        const rows = await deps.db.query<{ id: number; channel: Channel; carrier: string }>(
          `SELECT id, channel, carrier FROM notification
            WHERE campaign_id = $1 AND channel = $2 AND carrier = $3
              AND (state = 'pending' OR (state = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= now())))
            ORDER BY id`,
          [c.id, g.channel, g.carrier],
        );
        const stamp = Date.now().toString(36);
        const chunks = toChunks(c.id, rows.rows, campaignChunkSize(c.throttle_per_sec, deps.chunkSize));
        await deps.queues.deliver(queue).addBulk(
          chunks.map((ch) => ({
            name: 'redrive',
            data: ch.data,
            opts: { jobId: `rd${stamp}-${ch.jobId}` },
          })),
        );
        report.redriven += rows.rows.length;
      }
    }
    report.receiptsResolved += await resolveMissingReceipts(
      { db: deps.db, adapters: deps.adapters, actor: 'worker:reconcile' },
      c.id,
      deps.receiptTimeoutMs,
    );
    if (await completeCampaignIfDone(deps.db, c.id, 'worker:reconcile')) report.completed += 1;
  }
  if (report.fanOutRestarted + report.expiredResolved + report.redriven + report.receiptsResolved > 0)
    deps.logger.info(report, 'reconciled');
  return report;
}
