import { CARRIERS } from '../../shared/carriers';
import type { Channel } from '../../shared/domain';
import { NO_CARRIER_KEY } from './fault-book';

/** Counters per carrier and channel; `faults` counts injected failures by code ("500", "451", "drop"...). */
export interface ChannelCounters {
  received: number;
  duplicates: number;
  rejected: number;
  throttled: number;
  faults: Record<string, number>;
}

export interface ReceiptCounters {
  scheduled: number;
  posted: number;
  batches: number;
  dropped: number;
  duplicated: number;
  /** Receipts discarded because too many were waiting for an unreachable api (memory guard). */
  shed: number;
  postFailures: number;
}

const newChannel = (): ChannelCounters => ({
  received: 0,
  duplicates: 0,
  rejected: 0,
  throttled: 0,
  faults: {},
});
const newReceipts = (): ReceiptCounters => ({
  scheduled: 0,
  posted: 0,
  batches: 0,
  dropped: 0,
  duplicated: 0,
  shed: 0,
  postFailures: 0,
});

export class SimStats {
  private byCarrier = new Map<string, Record<Channel, ChannelCounters>>();
  /** RCPT refusals for domains that are neither a carrier's nor reserved: no carrier to book them on. */
  unroutedRejected = 0;
  receipts = newReceipts();
  inbound = { accepted: 0, forwarded: 0, postFailures: 0 };

  constructor() {
    this.reset();
  }

  of(carrierKey: string, channel: Channel): ChannelCounters {
    let entry = this.byCarrier.get(carrierKey);
    if (!entry) {
      entry = { sms: newChannel(), email: newChannel() };
      this.byCarrier.set(carrierKey, entry);
    }
    return entry[channel];
  }

  fault(carrierKey: string, channel: Channel, code: string | number): void {
    const faults = this.of(carrierKey, channel).faults;
    faults[code] = (faults[code] ?? 0) + 1;
  }

  snapshot() {
    let received = 0;
    let duplicates = 0;
    let rejected = this.unroutedRejected;
    const byCarrier: Record<string, Record<Channel, ChannelCounters>> = {};
    for (const [key, entry] of this.byCarrier) {
      byCarrier[key] = entry;
      for (const c of [entry.sms, entry.email]) {
        received += c.received;
        duplicates += c.duplicates;
        rejected += c.rejected;
      }
    }
    return {
      received,
      duplicates,
      rejected,
      byCarrier,
      unroutedRejected: this.unroutedRejected,
      receipts: this.receipts,
      inbound: this.inbound,
    };
  }

  reset(): void {
    this.byCarrier = new Map();
    for (const c of CARRIERS) this.of(c.id, 'sms');
    this.of(NO_CARRIER_KEY, 'email');
    this.unroutedRejected = 0;
    this.receipts = newReceipts();
    this.inbound = { accepted: 0, forwarded: 0, postFailures: 0 };
  }
}
