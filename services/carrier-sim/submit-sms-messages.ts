import type { Carrier } from '../../shared/carriers';
import { parseIdempotencyKey } from '../../shared/queues';
import { checkMsisdn } from '../../shared/safety';
import type { ArrivalStore } from './arrival-store';
import type { FaultBook } from './fault-book';
import type { ReceiptDispatcher } from './receipt-dispatcher';
import type { SimStats } from './sim-stats';
import type { SmsMessage } from './sms-message.schema';

export type SmsResultStatus = 'accepted' | 'duplicate' | 'rejected';

export interface SmsResult {
  idempotencyKey: string;
  status: SmsResultStatus;
  messageId?: string;
  errorCode?: string;
  error?: string;
}

export interface SubmitSmsDeps {
  store: ArrivalStore;
  faults: FaultBook;
  receipts: ReceiptDispatcher;
  stats: SimStats;
  now: () => number;
}

/** Per-message permanent rejection codes. */
export const SMS_REJECTION_CODES = {
  INVALID_NUMBER: 'the number is not E.164 in the fictional range +1NPA55501XX',
  BLOCKED: 'the handset is blocked by the carrier profile',
} as const;

/**
 * Takes messages the gateway has admitted (auth, validation, limits and whole-request faults are
 * behind us) and decides each one: a known idempotency key is a duplicate answered with the original
 * message id; an invalid or blocked number is rejected; anything else arrives and gets a receipt.
 */
export function submitSmsMessages(
  carrier: Carrier,
  messages: SmsMessage[],
  deps: SubmitSmsDeps,
): SmsResult[] {
  const counters = deps.stats.of(carrier.id, 'sms');
  const at = deps.now();
  return messages.map((m) => {
    const existing = deps.store.find('sms', m.idempotencyKey);
    if (existing >= 0) {
      counters.duplicates++;
      return {
        idempotencyKey: m.idempotencyKey,
        status: 'duplicate',
        messageId: deps.store.messageId(existing),
      };
    }
    const problem = checkMsisdn(m.to);
    if (problem || deps.faults.isBlocked(carrier, m.to)) {
      counters.rejected++;
      const errorCode = problem ? 'INVALID_NUMBER' : 'BLOCKED';
      const error = problem
        ? `${SMS_REJECTION_CODES.INVALID_NUMBER} (${problem.code})`
        : SMS_REJECTION_CODES.BLOCKED;
      return { idempotencyKey: m.idempotencyKey, status: 'rejected', errorCode, error };
    }
    const index = deps.store.add({
      channel: 'sms',
      carrierId: carrier.id,
      recipient: m.to,
      key: m.idempotencyKey,
      campaignId: m.campaignId ?? parseIdempotencyKey(m.idempotencyKey)?.campaignId ?? null,
      at,
    });
    deps.store.keepSmsBody(index, m.text, m.from);
    counters.received++;
    const messageId = deps.store.messageId(index);
    deps.receipts.schedule(carrier, index, at);
    return { idempotencyKey: m.idempotencyKey, status: 'accepted', messageId };
  });
}
