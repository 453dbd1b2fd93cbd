import type { Channel } from '../domain';
import { maskEmail, maskMsisdn, subscriberHash } from '../audit/audit-event';

/** The audit's view of a recipient: a hashed id and a masked contact, never the contact itself. */
export function auditRecipient(
  subscriberId: number,
  channel: Channel,
  msisdn: string | null,
  email: string | null,
) {
  const contact = channel === 'sms' ? msisdn : email;
  return {
    subscriberHash: subscriberHash(subscriberId),
    contactMasked: contact ? (channel === 'sms' ? maskMsisdn(contact) : maskEmail(contact)) : null,
  };
}
