import type { Channel, NotificationState } from '../domain';

export interface NotificationRow {
  id: number;
  campaign_id: number;
  subscriber_id: number;
  channel: Channel;
  carrier: string;
  state: NotificationState;
  attempts: number;
}

/** A claimed notification with what the send path needs to render and address it. */
export interface ClaimedNotification {
  id: number;
  subscriberId: number;
  channel: Channel;
  carrier: string;
  attempts: number;
  msisdn: string | null;
  email: string | null;
  displayName: string | null;
  locale: string;
  optedOut: boolean;
  /** The subscriber was erased after the campaign was built (their contact fields are gone). */
  erased: boolean;
}

/** The result of one send attempt, as the record step writes it. */
export type SendOutcome =
  | { id: number; result: 'sent'; providerId: string; latencyMs: number; finalDelivery: boolean }
  | { id: number; result: 'transient'; code: string; reason: string; latencyMs: number }
  | { id: number; result: 'permanent'; code: string; reason: string; latencyMs: number }
  | { id: number; result: 'suppressed'; reason: string }
  | { id: number; result: 'refused'; reason: string };
