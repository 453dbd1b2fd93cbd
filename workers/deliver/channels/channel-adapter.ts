import type { Channel } from '../../../shared/domain';
import type { SendOutcome } from '../../../shared/ledger/ledger-types';
import type { RenderedEmail } from '../../../shared/notices';

/** One rendered message ready to leave; addressed by ids and the contact, never logged. */
export interface OutboundMessage {
  notificationId: number;
  campaignId: number;
  idempotencyKey: string;
  to: string;
  from: string;
  email?: RenderedEmail & { messageId: string };
  smsText?: string;
}

export type BatchOutcome =
  | { kind: 'results'; outcomes: SendOutcome[] }
  /** The carrier refused the whole submission for now: nothing was sent, wait this long. */
  | { kind: 'rate_limited'; retryAfterMs: number };

/** The contract every channel implements (STYLE.md §9). */
export interface ChannelAdapter {
  readonly channel: Channel;
  send(carrier: string, messages: readonly OutboundMessage[]): Promise<BatchOutcome>;
  /**
   * Waits for room for one more chunk in flight (claim → send → record) and returns its release.
   * A channel whose transport is narrow (a few pooled SMTP connections) admits only what it can send
   * well within a claim's lease; without it, chunks claimed by every concurrent job queue behind the
   * pool until their leases expire and the reconciler takes them over. Absent: no limit.
   */
  admit?(): Promise<() => void>;
  /** Asks the receiving side whether a message with this key arrived (crash recovery). */
  hasArrived(key: string): Promise<boolean>;
  close(): Promise<void>;
}
