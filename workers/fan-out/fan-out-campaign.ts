import type { Logger } from '../../shared/logger';
import type { Db } from '../../shared/store/db';
import type { Channel } from '../../shared/domain';
import type { DeliverJob } from '../../shared/queues';
import { deliverQueueName, jobIds } from '../../shared/queues';
import { materializePage } from '../../shared/ledger/materialize-page';
import { completeCampaignIfDone } from '../../shared/ledger/complete-campaign';
import { audienceFilter } from '../../shared/ledger/audience';
import { partitionAnalyzer } from '../../shared/ledger/analyze-partition';
import { appendAudit } from '../../shared/audit/append-audit';
import { campaignChunkSize } from '../../shared/campaign-schedule';

export interface FanOutDeps {
  db: Db;
  pageSize: number;
  chunkSize: number;
  /** Adds chunk jobs to their deliver queues (addBulk per queue, deterministic ids, optional delay in ms). */
  enqueueChunks(jobs: ChunkJob[]): Promise<void>;
  /**
   * Books a throttled campaign's chunks on its schedule (workers/deliver/campaign-throttle.ts) and
   * returns each one's delay in ms. Absent: chunks are added undelayed and deliver books them.
   */
  bookThrottled?: (
    campaignId: number,
    perSec: number,
    jobs: readonly { jobId: string; n: number }[],
  ) => Promise<number[]>;
  logger: Logger;
  onPage?: (page: { inserted: number; cursor: number }) => Promise<void> | void;
}

export interface ChunkJob {
  queue: string;
  jobId: string;
  data: DeliverJob;
  /** ms before the job may run: a throttled campaign's booked slot. */
  delay?: number;
}

/** Groups a page's ledger rows into chunk jobs of one carrier and one channel, at most chunkSize ids. */
export function toChunks(
  campaignId: number,
  rows: readonly { id: number; channel: Channel; carrier: string }[],
  chunkSize: number,
): ChunkJob[] {
  const groups = new Map<string, { channel: Channel; carrier: string; ids: number[] }>();
  for (const r of rows) {
    const k = `${r.channel}|${r.carrier}`;
    const g = groups.get(k) ?? { channel: r.channel, carrier: r.carrier, ids: [] };
    g.ids.push(r.id);
    groups.set(k, g);
  }
  const jobs: ChunkJob[] = [];
  for (const g of groups.values()) {
    for (let i = 0; i < g.ids.length; i += chunkSize) {
      const ids = g.ids.slice(i, i + chunkSize);
      jobs.push({
        queue: deliverQueueName(g.channel, g.carrier),
        jobId: jobIds.chunk(campaignId, g.channel, g.carrier, ids[0]!),
        data: { campaignId, channel: g.channel, carrier: g.carrier, ids },
      });
    }
  }
  return jobs;
}

export interface FanOutResult {
  pages: number;
  inserted: number;
  /** Set when the campaign's start time is still ahead: nothing was done; run again this much later. */
  startsInMs?: number;
}

/**
 * A throttled campaign's chunks are booked on its schedule in ledger order (carriers and channels
 * interleaved, as the audience was read) and delayed to their slots: they wait in BullMQ's delayed
 * set, not in a loop of refusals. Deliver still asks the throttle before each claim.
 */
async function withThrottleDelays(
  campaignId: number,
  perSec: number | null,
  chunks: ChunkJob[],
  deps: FanOutDeps,
): Promise<ChunkJob[]> {
  if (!perSec || !deps.bookThrottled) return chunks;
  const ordered = [...chunks].sort((a, b) => a.data.ids[0]! - b.data.ids[0]!);
  const delays = await deps.bookThrottled(
    campaignId,
    perSec,
    ordered.map((c) => ({ jobId: c.jobId, n: c.data.ids.length })),
  );
  return ordered.map((c, i) => (delays[i]! > 0 ? { ...c, delay: delays[i]! } : c));
}

/**
 * Fan-out: walks the audience page by page from the saved keyset cursor, materialising ledger rows
 * and enqueueing chunk jobs as it goes, so the first notices leave while later pages are still read.
 * The cursor is saved after a page's jobs are enqueued: a crash re-runs at most one page, and that
 * re-run inserts nothing twice and re-adds jobs under the same ids.
 * Nothing starts before the campaign's start time, read against the database clock: the job is
 * delayed to it, and this check stops a job that runs early (a worker's clock ahead, a re-enqueue).
 * A throttled campaign is cut into small chunks (campaignChunkSize), each admitted by its throttle.
 */
export async function fanOutCampaign(campaignId: number, deps: FanOutDeps): Promise<FanOutResult> {
  const c = await deps.db.query<{
    incident_id: number;
    state: string;
    channels: Channel[];
    audience: unknown;
    fanout_cursor: number;
    fanout_done: boolean;
    throttle_per_sec: number | null;
    starts_in_ms: number | null;
  }>(
    `SELECT incident_id, state, channels, audience, fanout_cursor, fanout_done, throttle_per_sec,
            CEIL(EXTRACT(EPOCH FROM (start_at - now())) * 1000)::float8 AS starts_in_ms
       FROM campaigns WHERE id = $1`,
    [campaignId],
  );
  const campaign = c.rows[0];
  if (!campaign || campaign.fanout_done || !['triggered', 'running', 'paused'].includes(campaign.state)) {
    return { pages: 0, inserted: 0 };
  }
  if (campaign.starts_in_ms !== null && campaign.starts_in_ms > 0) {
    deps.logger.info({ campaignId, startsInMs: campaign.starts_in_ms }, 'fan-out waits for the start time');
    return { pages: 0, inserted: 0, startsInMs: campaign.starts_in_ms };
  }
  const chunkSize = campaignChunkSize(campaign.throttle_per_sec, deps.chunkSize);
  await deps.db.query(
    `UPDATE campaigns SET state = 'running', updated_at = now() WHERE id = $1 AND state = 'triggered'`,
    [campaignId],
  );
  const audience = audienceFilter.parse(campaign.audience ?? {});
  let cursor = campaign.fanout_cursor;
  let pages = 0;
  let inserted = 0;
  const analyzer = partitionAnalyzer(deps.db, campaignId, deps.logger);
  for (;;) {
    const page = await materializePage(deps.db, {
      campaignId,
      incidentId: campaign.incident_id,
      channels: campaign.channels,
      audience,
      afterSubscriberId: cursor,
      pageSize: deps.pageSize,
    });
    if (page.lastSubscriberId === null) break;
    const chunks = toChunks(campaignId, page.rows, chunkSize);
    await deps.enqueueChunks(await withThrottleDelays(campaignId, campaign.throttle_per_sec, chunks, deps));
    cursor = page.lastSubscriberId;
    pages += 1;
    inserted += page.inserted;
    await analyzer.grew(inserted);
    await deps.db.query('UPDATE campaigns SET fanout_cursor = $2, updated_at = now() WHERE id = $1', [
      campaignId,
      cursor,
    ]);
    await deps.onPage?.({ inserted: page.inserted, cursor });
  }
  await deps.db.transaction(async (tx) => {
    const done = await tx.query(
      'UPDATE campaigns SET fanout_done = true, updated_at = now() WHERE id = $1 AND NOT fanout_done RETURNING id',
      [campaignId],
    );
    if (done.rowCount > 0) {
      await appendAudit(tx, [
        {
          type: 'campaign.fanout_page',
          actor: 'worker:fan-out',
          incidentId: campaign.incident_id,
          campaignId,
          outcome: 'fan-out complete',
          details: { pages, notificationsQueued: inserted, cursor },
        },
      ]);
    }
  });
  deps.logger.info({ campaignId, pages, inserted }, 'fan-out complete');
  await analyzer.filled();
  await completeCampaignIfDone(deps.db, campaignId, 'worker:fan-out');
  return { pages, inserted };
}
