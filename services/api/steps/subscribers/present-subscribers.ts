import type { AuditEventInput } from '../../../../shared/audit/audit-event';
import { maskEmail, maskMsisdn, subscriberHash } from '../../../../shared/audit/audit-event';
import type { Subscriber } from '../../../../shared/api/subscribers.schema';
import type { SubscriberRow } from './upsert-subscribers';

/** A stored row with its SMS STOP time, as the read queries select it. */
export type SubscriberReadRow = SubscriberRow & { sms_opted_out_at?: Date | string | null };

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

function earlier(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

function maskName(name: string): string {
  return `${[...name][0] ?? ''}***`;
}

/**
 * The API's view of a subscriber. Phone number, email and name are masked unless `revealPii` (the
 * caller holds the pii:read scope); a read that reveals them must be audited (piiReadEvent).
 */
export function toSubscriber(r: SubscriberReadRow, revealPii: boolean): Subscriber {
  const registeredOptOut = iso(r.opted_out_at);
  const optedOutAt = earlier(registeredOptOut, iso(r.sms_opted_out_at));
  return {
    id: Number(r.id),
    carrier: r.carrier,
    msisdn: r.msisdn === null ? null : revealPii ? r.msisdn : maskMsisdn(r.msisdn),
    email: r.email === null ? null : revealPii ? r.email : maskEmail(r.email),
    displayName: r.display_name === null ? null : revealPii ? r.display_name : maskName(r.display_name),
    locale: r.locale,
    region: r.region,
    accountType: r.account_type,
    dataCategories: r.data_categories,
    channels: r.channels,
    optedOut: optedOutAt !== null,
    optedOutAt,
    externalRef: r.external_ref,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    piiMasked: !revealPii,
  };
}

const MAX_HASHES_IN_EVENT = 1000;

/** The `pii.read` event for subscribers shown in clear: who, why, whose (hashed ids, never contacts). */
export function piiReadEvent(
  actor: string,
  purpose: string,
  subscriberIds: readonly number[],
  query: Record<string, unknown> = {},
): AuditEventInput {
  const hashes = subscriberIds.map(subscriberHash);
  return {
    type: 'pii.read',
    actor,
    subscriberHash: hashes.length === 1 ? hashes[0]! : null,
    outcome: 'revealed',
    details: {
      purpose,
      query,
      subscribers: hashes.length,
      subscriberHashes: hashes.slice(0, MAX_HASHES_IN_EVENT),
      subscriberHashesOmitted: Math.max(0, hashes.length - MAX_HASHES_IN_EVENT),
    },
  };
}
