import type { Carrier } from '../../shared/carriers';
import type { Logger } from '../../shared/logger';
import type { FaultBook } from './fault-book';
import type { SimStats } from './sim-stats';
import type { WebhookClient } from './webhook-client';

/**
 * Delivery receipts for accepted SMS: each gets a delivery time drawn from its carrier's profile, sits
 * in a time wheel (one slot per flush interval), and goes out with the other receipts due in the same
 * flush, in batches of at most `maxBatch`, to `POST /v1/webhooks/receipts`, retried until a 2xx.
 * The profile can drop, duplicate, delay and reorder receipts, and make some undeliverable or expired.
 */

export const RECEIPTS_PATH = '/v1/webhooks/receipts';

export const RECEIPT_STATUSES = ['delivered', 'undeliverable', 'expired'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/** Carrier error codes carried by non-delivered receipts. */
export const RECEIPT_ERROR_CODES = {
  undeliverable: 'UNKNOWN_SUBSCRIBER',
  expired: 'VALIDITY_EXPIRED',
} as const;

export interface Receipt {
  idempotencyKey: string;
  messageId: string;
  carrier: string;
  status: ReceiptStatus;
  errorCode: string | null;
  at: string;
}

interface PendingReceipt {
  idempotencyKey: string;
  messageId: string;
  carrier: string;
  status: ReceiptStatus;
  dueMs: number;
  reorder: boolean;
}

export interface ReceiptDispatcherOptions {
  webhook: WebhookClient;
  faults: FaultBook;
  stats: SimStats;
  logger: Logger;
  now: () => number;
  /** Flush interval in ms. @defaultValue 100 */
  flushMs: number;
  /** Receipts per POST. @defaultValue 500 */
  maxBatch: number;
  /** POSTs in flight at once. @defaultValue 4 */
  maxInFlight: number;
  /** Receipts waiting (scheduled or unacknowledged) beyond which new ones are shed. @defaultValue 500_000 */
  maxPending: number;
}

export class ReceiptDispatcher {
  private wheel = new Map<number, PendingReceipt[]>();
  private nextSlot: number;
  private outbox: Receipt[][] = [];
  private inFlight = 0;
  private inFlightReceipts = 0;
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: ReceiptDispatcherOptions) {
    this.nextSlot = Math.floor(o.now() / o.flushMs);
  }

  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.o.flushMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  clear(): void {
    this.wheel = new Map();
    this.outbox = [];
    this.pending = this.inFlightReceipts;
    this.nextSlot = Math.floor(this.o.now() / this.o.flushMs);
  }

  /** Receipts scheduled or posted but not yet acknowledged. */
  get waiting(): number {
    return this.pending;
  }

  schedule(carrier: Carrier, idempotencyKey: string, messageId: string, acceptedMs: number): void {
    const { faults, stats } = this.o;
    const p = faults.sms(carrier).receipts;
    const rng = faults.random(carrier.id, 'receipts');
    const dropped = rng.chance(p.dropRate);
    const r = rng.next();
    const delay = rng.latency(p.latencyMs.p50, p.latencyMs.p99) + p.delayMs;
    const duplicate = rng.chance(p.duplicateRate);
    const copyDelay = rng.latency(p.latencyMs.p50, p.latencyMs.p99) + p.delayMs;
    if (dropped) {
      stats.receipts.dropped++;
      return;
    }
    const status: ReceiptStatus =
      r < p.undeliverableRate
        ? 'undeliverable'
        : r < p.undeliverableRate + p.expiredRate
          ? 'expired'
          : 'delivered';
    const base = { idempotencyKey, messageId, carrier: carrier.id, status, reorder: p.reorder };
    this.enqueue({ ...base, dueMs: acceptedMs + delay });
    if (duplicate) {
      stats.receipts.duplicated++;
      this.enqueue({ ...base, dueMs: acceptedMs + delay + copyDelay });
    }
  }

  /** Moves every receipt due by now into batches and posts them. */
  flush(): void {
    const current = Math.floor(this.o.now() / this.o.flushMs);
    const due: PendingReceipt[] = [];
    for (let slot = this.nextSlot; slot <= current; slot++) {
      const list = this.wheel.get(slot);
      if (!list) continue;
      this.wheel.delete(slot);
      for (const item of list) due.push(item);
    }
    this.nextSlot = current + 1;
    if (due.length === 0) return;
    this.reorder(due);
    for (let i = 0; i < due.length; i += this.o.maxBatch) {
      this.outbox.push(due.slice(i, i + this.o.maxBatch).map(toWire));
    }
    this.pump();
  }

  private enqueue(item: PendingReceipt): void {
    if (this.pending >= this.o.maxPending) {
      this.o.stats.receipts.shed++;
      return;
    }
    const slot = Math.max(this.nextSlot, Math.floor(item.dueMs / this.o.flushMs));
    let list = this.wheel.get(slot);
    if (!list) {
      list = [];
      this.wheel.set(slot, list);
    }
    list.push(item);
    this.pending++;
    this.o.stats.receipts.scheduled++;
  }

  /** Shuffles the receipts of carriers whose profile says "reorder", among their own positions. */
  private reorder(due: PendingReceipt[]): void {
    const byCarrier = new Map<string, number[]>();
    due.forEach((item, i) => {
      if (!item.reorder) return;
      const positions = byCarrier.get(item.carrier) ?? [];
      positions.push(i);
      byCarrier.set(item.carrier, positions);
    });
    for (const [carrierId, positions] of byCarrier) {
      const items = positions.map((i) => due[i] as PendingReceipt);
      this.o.faults.random(carrierId, 'receipts').shuffle(items);
      positions.forEach((pos, k) => (due[pos] = items[k] as PendingReceipt));
    }
  }

  private pump(): void {
    while (this.inFlight < this.o.maxInFlight && this.outbox.length > 0) {
      const batch = this.outbox.shift() as Receipt[];
      this.inFlight++;
      this.inFlightReceipts += batch.length;
      void this.post(batch);
    }
  }

  private async post(batch: Receipt[]): Promise<void> {
    const ok = await this.o.webhook.deliver(RECEIPTS_PATH, { receipts: batch }, 'receipts');
    this.inFlight--;
    this.inFlightReceipts -= batch.length;
    if (!ok) return;
    this.pending = Math.max(0, this.pending - batch.length);
    this.o.stats.receipts.posted += batch.length;
    this.o.stats.receipts.batches++;
    this.pump();
  }
}

function toWire(p: PendingReceipt): Receipt {
  return {
    idempotencyKey: p.idempotencyKey,
    messageId: p.messageId,
    carrier: p.carrier,
    status: p.status,
    errorCode: p.status === 'delivered' ? null : RECEIPT_ERROR_CODES[p.status],
    at: new Date(p.dueMs).toISOString(),
  };
}
