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

export async function enqueueRetries(queues: QueueClient, retries: readonly Retry[]): Promise<void> {
  const byQueue = new Map<string, Retry[]>();
  for (const r of retries) {
    const q = deliverQueueName(r.channel, r.carrier);
    byQueue.set(q, [...(byQueue.get(q) ?? []), r]);
  }
  await Promise.all(
    [...byQueue].map(([q, rs]) =>
      queues.deliver(q).addBulk(
        rs.map((r) => ({
          name: 'retry',
          data: { campaignId: r.campaignId, channel: r.channel, carrier: r.carrier, ids: [r.id] },
          opts: { jobId: jobIds.retry(r.id, r.attempt), delay: r.delayMs },
        })),
      ),
    ),
  );
}

/** Makes sure a fan-out job exists for a campaign whose fan-out has not finished (the trigger's outbox). */
export async function ensureFanOutJob(queues: QueueClient, campaignId: number): Promise<boolean> {
  const id = jobIds.fanOut(campaignId);
  const job = await queues.fanOut.getJob(id);
  if (!job) {
    await queues.fanOut.add('fan-out', { campaignId }, { jobId: id });
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
  const campaigns = await deps.db.query<{ id: number; fanout_done: boolean; state: string }>(
    `SELECT c.id, c.fanout_done, c.state FROM campaigns c
      WHERE (c.state IN ('triggered', 'running')
         OR (c.state = 'cancelled' AND EXISTS (SELECT 1 FROM notification n WHERE n.campaign_id = c.id
               AND n.state IN ('pending', 'sending', 'sent', 'retrying'))))
        ${only ? 'AND c.id = $1' : ''}`,
    only ? [only] : [],
  );
  for (const c of campaigns.rows) {
    report.campaigns += 1;
    if (c.state === 'cancelled') await cancelLeftovers(deps.db, c.id, 'worker:reconcile');
    if (c.state !== 'cancelled' && !c.fanout_done && (await ensureFanOutJob(deps.queues, c.id)))
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
        },
      );
      await enqueueRetries(deps.queues, retries);
      report.expiredResolved += expired.rows.length;
    }

    if (c.fanout_done && c.state !== 'cancelled') {
      const groups = await deps.db.query<{ channel: Channel; carrier: string; stale: boolean }>(
        `SELECT channel, carrier, bool_or(updated_at < now() - ($2 || ' milliseconds')::interval) AS stale
           FROM notification
          WHERE campaign_id = $1 AND (state = 'pending' OR (state = 'retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= now())))
          GROUP BY channel, carrier`,
        [c.id, String(deps.staleMs)],
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
        const chunks = toChunks(c.id, rows.rows, deps.chunkSize);
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
