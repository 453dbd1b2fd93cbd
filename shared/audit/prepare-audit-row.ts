import { createHash } from 'node:crypto';
import type { AuditEventInput } from './audit-event';
import { canonicalJson } from './canonical-json';

/**
 * An event with everything that does not depend on its place in the chain already serialised, so
 * the work done under the chain-head lock is a string concatenation and one SHA-256 per row.
 *
 * The canonical JSON of a row (audit-event.ts `hashRow`) has its keys sorted:
 * actor, at, attempt, campaign_id, carrier, channel, contact_masked, details, incident_id,
 * notification_id, outcome, seq, subscriber_hash, type. Only `at` and `seq` are unknown before the
 * lock, so the canonical text is `head + JSON(at) + mid + seq + tail`.
 */
export interface PreparedAuditRow {
  head: string;
  mid: string;
  tail: string;
  /** The row as a JSON object for the INSERT, without seq, prev_hash, hash and the closing brace. */
  insert: string;
}

export function prepareAuditRow(e: AuditEventInput): PreparedAuditRow {
  const actor = canonicalJson(e.actor);
  const attempt = canonicalJson(e.attempt ?? null);
  const campaign = canonicalJson(e.campaignId ?? null);
  const carrier = canonicalJson(e.carrier ?? null);
  const channel = canonicalJson(e.channel ?? null);
  const contact = canonicalJson(e.contactMasked ?? null);
  const details = canonicalJson(e.details ?? {});
  const incident = canonicalJson(e.incidentId ?? null);
  const notification = canonicalJson(e.notificationId ?? null);
  const outcome = canonicalJson(e.outcome ?? null);
  const subscriber = canonicalJson(e.subscriberHash ?? null);
  const type = canonicalJson(e.type);
  return {
    head: `{"actor":${actor},"at":`,
    mid:
      `,"attempt":${attempt},"campaign_id":${campaign},"carrier":${carrier},"channel":${channel}` +
      `,"contact_masked":${contact},"details":${details},"incident_id":${incident}` +
      `,"notification_id":${notification},"outcome":${outcome},"seq":`,
    tail: `,"subscriber_hash":${subscriber},"type":${type}}`,
    insert:
      `{"type":${type},"actor":${actor},"incident_id":${incident},"campaign_id":${campaign}` +
      `,"notification_id":${notification},"subscriber_hash":${subscriber},"contact_masked":${contact}` +
      `,"carrier":${carrier},"channel":${channel},"attempt":${attempt},"outcome":${outcome}` +
      `,"details":${details}`,
  };
}

/** The row's hash once its place is known; equal to `hashRow` of the same row (a test keeps it so). */
export function hashPreparedRow(p: PreparedAuditRow, atJson: string, seq: number, prevHash: string): string {
  return createHash('sha256')
    .update(p.head + atJson + p.mid + String(seq) + p.tail)
    .update(prevHash)
    .digest('hex');
}
