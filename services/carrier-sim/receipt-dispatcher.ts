import type { Carrier } from '../../shared/carriers';
import type { ArrivalStore } from './arrival-store';
import type { FaultBook } from './fault-book';
import { isoTime } from './iso-time';
import type { SimStats } from './sim-stats';
import type { WebhookClient } from './webhook-client';

/**
 * Delivery receipts for accepted SMS: each gets a delivery time drawn from its carrier's profile, sits
 * in a time wheel (one slot per flush interval), and goes out with the other receipts due in the same
 * flush, in batches of at most `maxBatch`, to `POST /v1/webhooks/receipts`, retried until a 2xx.
 * The profile can drop, duplicate, delay and reorder receipts, and make some undeliverable or expired.
 * A waiting receipt is three numbers (arrival index, status, due time), not an object.
 */

export const RECEIPTS_PATH = '/v1/webhooks/receipts';

export const RECEIPT_STATUSES = ['delivered', 'undeliverable', 'expired'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

/** Carrier error codes carried by receipts that are not "delivered". */
export const RECEIPT_ERROR_CODES: Record<ReceiptStatus, string | null> = {
  delivered: null,
  undeliverable: 'UNKNOWN_SUBSCRIBER',
  expired: 'VALIDITY_EXPIRED',
};

/** The wire form, as the api receives it (one element of `receipts`). */
export interface Receipt {
  idempotencyKey: string;
  messageId: string;
  carrier: string;
  status: ReceiptStatus;
  errorCode: string | null;
  at: string;
}

const DELIVERED = 0;
const UNDELIVERABLE = 1;
const EXPIRED = 2;
const STRIDE = 3; // arrival index, status, due ms

export interface ReceiptDispatcherOptions {
  store: ArrivalStore;
  webhook: WebhookClient;
  faults: FaultBook;
  stats: SimStats;
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
  private wheel = new Map<number, number[]>();
  private nextSlot: number;
  private outbox: { body: string; count: number }[] = [];
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

  /** Forgets every receipt not yet posted (the store was reset, or the sim is closing). */
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

  /** Draws the receipt for an accepted SMS (arrival `index`) from the carrier's profile. */
  schedule(carrier: Carrier, index: number, acceptedMs: number): void {
    const { faults, stats } = this.o;
    const p = faults.sms(carrier).receipts;
    const rng = faults.random(carrier.id, 'receipts');
    if (p.dropRate > 0 && rng.chance(p.dropRate)) {
      stats.receipts.dropped++;
      return;
    }
    const r = p.undeliverableRate + p.expiredRate > 0 ? rng.next() : 1;
    const status =
      r < p.undeliverableRate ? UNDELIVERABLE : r < p.undeliverableRate + p.expiredRate ? EXPIRED : DELIVERED;
    const dueMs = acceptedMs + rng.latency(p.latencyMs.p50, p.latencyMs.p99) + p.delayMs;
    this.enqueue(index, status, dueMs);
    if (p.duplicateRate > 0 && rng.chance(p.duplicateRate)) {
      stats.receipts.duplicated++;
      this.enqueue(index, status, dueMs + rng.latency(p.latencyMs.p50, p.latencyMs.p99) + p.delayMs);
    }
  }

  /** Posts every receipt due by now, in batches. */
  flush(): void {
    const current = Math.floor(this.o.now() / this.o.flushMs);
    let due: number[] = [];
    for (let slot = this.nextSlot; slot <= current; slot++) {
      const list = this.wheel.get(slot);
      if (!list) continue;
      this.wheel.delete(slot);
      due = due.length === 0 ? list : due.concat(list);
    }
    this.nextSlot = current + 1;
    if (due.length === 0) return;
    this.reorder(due);
    const perBatch = this.o.maxBatch * STRIDE;
    for (let start = 0; start < due.length; start += perBatch) {
      const end = Math.min(due.length, start + perBatch);
      const parts: string[] = [];
      for (let k = start; k < end; k += STRIDE) {
        parts.push(this.receiptJson(due[k] as number, due[k + 1] as number, due[k + 2] as number));
      }
      this.outbox.push({ body: `{"receipts":[${parts.join(',')}]}`, count: parts.length });
    }
    this.pump();
  }

  private receiptJson(index: number, status: number, dueMs: number): string {
    const { store } = this.o;
    const name = RECEIPT_STATUSES[status] as ReceiptStatus;
    const code = RECEIPT_ERROR_CODES[name];
    return (
      `{"idempotencyKey":${JSON.stringify(store.keyOf(index))},"messageId":"${store.messageId(index)}",` +
      `"carrier":"${store.carrierIdOf(index)}","status":"${name}","errorCode":${code ? `"${code}"` : 'null'},` +
      `"at":"${isoTime(dueMs)}"}`
    );
  }

  private enqueue(index: number, status: number, dueMs: number): void {
    if (this.pending >= this.o.maxPending) {
      this.o.stats.receipts.shed++;
      return;
    }
    const slot = Math.max(this.nextSlot, Math.floor(dueMs / this.o.flushMs));
    let list = this.wheel.get(slot);
    if (!list) {
      list = [];
      this.wheel.set(slot, list);
    }
    list.push(index, status, dueMs);
    this.pending++;
    this.o.stats.receipts.scheduled++;
  }

  /** Shuffles the receipts of carriers whose profile says "reorder", among their own positions. */
  private reorder(due: number[]): void {
    const { store, faults } = this.o;
    const positions = new Map<string, number[]>();
    for (let k = 0; k < due.length; k += STRIDE) {
      const carrierId = store.carrierIdOf(due[k] as number);
      if (carrierId === null || !faults.smsById(carrierId)?.receipts.reorder) continue;
      const list = positions.get(carrierId) ?? [];
      list.push(k);
      positions.set(carrierId, list);
    }
    for (const [carrierId, list] of positions) {
      const triplets = list.map((k) => due.slice(k, k + STRIDE));
      faults.random(carrierId, 'receipts').shuffle(triplets);
      list.forEach((k, n) => due.splice(k, STRIDE, ...(triplets[n] as number[])));
    }
  }

  private pump(): void {
    while (this.inFlight < this.o.maxInFlight && this.outbox.length > 0) {
      const batch = this.outbox.shift() as { body: string; count: number };
      this.inFlight++;
      this.inFlightReceipts += batch.count;
      void this.post(batch);
    }
  }

  private async post(batch: { body: string; count: number }): Promise<void> {
    const ok = await this.o.webhook.deliver(RECEIPTS_PATH, batch.body, 'receipts');
    this.inFlight--;
    this.inFlightReceipts -= batch.count;
    if (!ok) return;
    this.pending = Math.max(0, this.pending - batch.count);
    this.o.stats.receipts.posted += batch.count;
    this.o.stats.receipts.batches++;
    this.pump();
  }
}
