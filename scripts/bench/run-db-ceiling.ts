/**
 * The database-only ceiling: the statements the engine runs for an SMS campaign, in the same batches,
 * with no queue and no HTTP: fan-out pages (materializePage, FANOUT_PAGE_SIZE subscribers), chunks of
 * CHUNK_SIZE claimed (claimChunk), their outcomes recorded as accepted (recordOutcomes), and delivery
 * receipts applied in the carrier-sim's batches (applyReceipts, up to 500 per POST). Every ledger
 * transition and its audit events are written exactly as the engine writes them.
 */
import type { Db } from '../../shared/store/db';
import type { ReceiptsJob } from '../../shared/queues';
import { idempotencyKey } from '../../shared/queues';
import { materializePage } from '../../shared/ledger/materialize-page';
import { claimChunkUnit } from '../../shared/ledger/claim-chunk';
import { recordOutcomesUnit } from '../../shared/ledger/record-outcomes';
import { createLedgerBatcher, ledgerBatcherFor } from '../../shared/ledger/ledger-batcher';
import { applyReceipts } from '../../shared/ledger/apply-receipts';
import { toChunks } from '../../workers/fan-out/fan-out-campaign';
import { partitionAnalyzer } from '../../shared/ledger/analyze-partition';

const RECEIPT_APPLIERS = 4;

export interface DbCeilingResult {
  notifications: number;
  seconds: number;
  perSec: number;
  /** seconds spent in each statement family, summed over lanes */
  stageSeconds: Record<'materialize' | 'claim' | 'record' | 'receipts', number>;
  lanes: number;
  receiptBatch: number;
}

export async function runDbCeiling(
  db: Db,
  opts: {
    campaignId: number;
    incidentId: number;
    pageSize: number;
    chunkSize: number;
    lanes: number;
    receiptBatch: number;
    /** Worker processes mirrored: one group-commit batcher each, lanes shared out among them. */
    workers: number;
  },
): Promise<DbCeilingResult> {
  // The campaign runs, as after a trigger (claimChunk only claims rows of a live campaign).
  await db.query(`UPDATE campaigns SET state = 'running', triggered_at = now() WHERE id = $1`, [
    opts.campaignId,
  ]);
  const stage = { materialize: 0, claim: 0, record: 0, receipts: 0 };
  const timed = async <T>(k: keyof typeof stage, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      stage[k] += (performance.now() - t) / 1000;
    }
  };
  const chunks: { ids: number[] }[] = [];
  let fanOutDone = false;
  const waiting: (() => void)[] = [];
  const wakeAll = () => waiting.splice(0).forEach((w) => w());
  const pendingReceipts: ReceiptsJob['receipts'] = [];
  let notifications = 0;
  // Receipt batches are applied by RECEIPT_APPLIERS at a time, as the receipts workers do (2 per process).
  const receiptAppliers: Promise<unknown>[] = [];
  const slots = Array.from({ length: RECEIPT_APPLIERS }, () => Promise.resolve());
  let slot = 0;
  const flushReceipts = (all: boolean) => {
    while (pendingReceipts.length >= opts.receiptBatch || (all && pendingReceipts.length > 0)) {
      const batch = pendingReceipts.splice(0, opts.receiptBatch);
      const i = slot++ % slots.length;
      const p = slots[i]!.then(() =>
        timed('receipts', () => applyReceipts(db, batch, 'bench:db-ceiling')).then(() => undefined),
      );
      slots[i] = p;
      receiptAppliers.push(p);
    }
  };

  const started = performance.now();
  // The partition is analysed as it fills, as fan-out does: without it every claim is planned for
  // an empty partition and walks the campaign's pending rows (this ceiling read 1,924/s that way).
  const analyzer = partitionAnalyzer(db, opts.campaignId, { debug: () => undefined, warn: () => undefined });
  const fanOut = (async () => {
    let cursor = 0;
    let inserted = 0;
    for (;;) {
      const page = await timed('materialize', () =>
        materializePage(db, {
          campaignId: opts.campaignId,
          incidentId: opts.incidentId,
          channels: ['sms'],
          audience: {},
          afterSubscriberId: cursor,
          pageSize: opts.pageSize,
        }),
      );
      if (page.lastSubscriberId === null) break;
      cursor = page.lastSubscriberId;
      inserted += page.inserted;
      await timed('materialize', () => analyzer.grew(inserted));
      for (const c of toChunks(opts.campaignId, page.rows, opts.chunkSize)) chunks.push({ ids: c.data.ids });
      wakeAll();
    }
    await timed('materialize', () => analyzer.filled());
    fanOutDone = true;
    wakeAll();
  })();

  // Claims and records go through the same group commit as the deliver stage, one batcher per worker.
  // (applyReceipts uses this process's batcher for `db`, so receipts share the first one, as they share
  // a worker's batcher in the engine.)
  const batchers = Array.from({ length: opts.workers }, (_, i) =>
    i === 0 ? ledgerBatcherFor(db) : createLedgerBatcher(db),
  );
  const lane = async (n: number) => {
    const batcher = batchers[n % batchers.length]!;
    for (;;) {
      const chunk = chunks.shift();
      if (!chunk) {
        if (fanOutDone) return;
        await new Promise<void>((r) => waiting.push(r));
        continue;
      }
      const claim = await timed('claim', () =>
        batcher.run(
          claimChunkUnit({
            campaignId: opts.campaignId,
            ids: chunk.ids,
            leaseMs: 30_000,
            actor: 'bench:db-ceiling',
          }),
        ),
      );
      const at = new Date().toISOString();
      await timed('record', () =>
        batcher.run(
          recordOutcomesUnit({
            campaignId: opts.campaignId,
            incidentId: opts.incidentId,
            token: claim.token,
            claimed: claim.claimed,
            outcomes: claim.claimed.map((c) => ({
              id: c.id,
              result: 'sent' as const,
              providerId: `sms-bench-${c.id}`,
              latencyMs: 1,
              finalDelivery: false,
            })),
            policy: { maxAttempts: 8, baseDelayMs: 15_000 },
            actor: 'bench:db-ceiling',
          }),
        ),
      );
      notifications += claim.claimed.length;
      for (const c of claim.claimed)
        pendingReceipts.push({
          idempotencyKey: idempotencyKey(opts.campaignId, c.id),
          messageId: `sms-bench-${c.id}`,
          carrier: c.carrier,
          status: 'delivered',
          at,
        });
      flushReceipts(false);
    }
  };
  const lanes = Array.from({ length: opts.lanes }, (_, n) => lane(n));
  await fanOut;
  await Promise.all(lanes);
  flushReceipts(true);
  await Promise.all(receiptAppliers);
  const seconds = (performance.now() - started) / 1000;
  await db.query(`UPDATE campaigns SET state = 'completed', completed_at = now() WHERE id = $1`, [
    opts.campaignId,
  ]);
  return {
    notifications,
    seconds,
    perSec: Math.round(notifications / seconds),
    stageSeconds: {
      materialize: Math.round(stage.materialize * 10) / 10,
      claim: Math.round(stage.claim * 10) / 10,
      record: Math.round(stage.record * 10) / 10,
      receipts: Math.round(stage.receipts * 10) / 10,
    },
    lanes: opts.lanes,
    receiptBatch: opts.receiptBatch,
  };
}
