import { createHash } from 'node:crypto';
import type { AuditEventType, Channel } from '../domain';
import { canonicalJson } from './canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

/** What a caller says happened; the chain adds seq, time and hashes. */
export interface AuditEventInput {
  type: AuditEventType;
  actor: string;
  incidentId?: number | null;
  campaignId?: number | null;
  notificationId?: number | null;
  subscriberHash?: string | null;
  contactMasked?: string | null;
  carrier?: string | null;
  channel?: Channel | null;
  attempt?: number | null;
  outcome?: string | null;
  details?: Record<string, unknown>;
}

/** One row of the chain, exactly as stored and exported. */
export interface AuditRow {
  seq: number;
  at: string;
  type: string;
  actor: string;
  incident_id: number | null;
  campaign_id: number | null;
  notification_id: number | null;
  subscriber_hash: string | null;
  contact_masked: string | null;
  carrier: string | null;
  channel: string | null;
  attempt: number | null;
  outcome: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export type UnhashedRow = Omit<AuditRow, 'hash' | 'prev_hash'>;

/** hash = SHA-256(canonical JSON of the row ‖ previous hash), hex. */
export function hashRow(row: UnhashedRow, prevHash: string): string {
  const body: UnhashedRow = {
    seq: row.seq,
    at: new Date(row.at).toISOString(),
    type: row.type,
    actor: row.actor,
    incident_id: row.incident_id,
    campaign_id: row.campaign_id,
    notification_id: row.notification_id,
    subscriber_hash: row.subscriber_hash,
    contact_masked: row.contact_masked,
    carrier: row.carrier,
    channel: row.channel,
    attempt: row.attempt,
    outcome: row.outcome,
    details: row.details,
  };
  return createHash('sha256').update(canonicalJson(body)).update(prevHash).digest('hex');
}

export function toUnhashedRow(seq: number, at: string, e: AuditEventInput): UnhashedRow {
  return {
    seq,
    at,
    type: e.type,
    actor: e.actor,
    incident_id: e.incidentId ?? null,
    campaign_id: e.campaignId ?? null,
    notification_id: e.notificationId ?? null,
    subscriber_hash: e.subscriberHash ?? null,
    contact_masked: e.contactMasked ?? null,
    carrier: e.carrier ?? null,
    channel: e.channel ?? null,
    attempt: e.attempt ?? null,
    outcome: e.outcome ?? null,
    details: e.details ?? {},
  };
}

/** Stable, non-reversible-at-a-glance subscriber reference that survives erasure. */
export function subscriberHash(subscriberId: number): string {
  return createHash('sha256').update(`subscriber:${subscriberId}`).digest('hex').slice(0, 24);
}

/**
 * A number with only its country code and last two digits: `+1********42`. The area code is hidden
 * too, because every subscriber's number is in the reserved range NPA-555-01XX, where the area code
 * and the last two digits are the whole of what tells two numbers apart; kept, they would identify
 * the number. Two digits leave about one subscriber in a hundred per value.
 */
export function maskMsisdn(msisdn: string): string {
  return msisdn.length > 6
    ? `${msisdn.slice(0, 2)}${'*'.repeat(msisdn.length - 4)}${msisdn.slice(-2)}`
    : '***';
}

export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***@${email.slice(at + 1)}`;
}
