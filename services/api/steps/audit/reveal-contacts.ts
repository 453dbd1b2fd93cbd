import type { Db } from '../../../../shared/store/db';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { subscriberHash } from '../../../../shared/audit/audit-event';

const MAX_HASHES_IN_EVENT = 1000; // the pii.read event lists whose contacts were shown, up to this many

/**
 * Clear phone numbers and emails for notifications, for a caller holding the pii:read scope (the
 * route checks it). The read itself is audited as `pii.read` — who, why, which subscribers — in the
 * same transaction that reads the contacts, so no contact leaves without its audit event.
 */
export async function revealContacts(
  db: Db,
  items: readonly { notificationId: number | null; campaignId?: number | null }[],
  ctx: { actor: string; purpose: string; query: Record<string, unknown>; campaignId?: number | null },
): Promise<Map<number, string | null>> {
  const ids = [...new Set(items.map((i) => i.notificationId).filter((id): id is number => id !== null))];
  if (ids.length === 0) return new Map();
  // The ledger is partitioned by campaign: naming the campaigns lets PostgreSQL prune to theirs.
  // (Only when every item names its campaign; otherwise no pruning.)
  const withIds = items.filter((i) => i.notificationId !== null);
  const campaigns = withIds.every((i) => typeof i.campaignId === 'number')
    ? [...new Set(withIds.map((i) => i.campaignId as number))]
    : [];
  return db.transaction(async (tx) => {
    const r = await tx.query<{ id: number; subscriber_id: number; channel: string; contact: string | null }>(
      `SELECT n.id, n.subscriber_id, n.channel,
              CASE WHEN n.channel = 'sms' THEN s.msisdn ELSE s.email END AS contact
         FROM notification n JOIN subscribers s ON s.id = n.subscriber_id
        WHERE n.id = ANY($1::bigint[])
          AND (cardinality($2::bigint[]) = 0 OR n.campaign_id = ANY($2::bigint[]))`,
      [ids, campaigns],
    );
    const hashes = [...new Set(r.rows.map((x) => subscriberHash(Number(x.subscriber_id))))];
    await appendAudit(tx, [
      {
        type: 'pii.read',
        actor: ctx.actor,
        campaignId: ctx.campaignId ?? null,
        outcome: 'revealed',
        details: {
          purpose: ctx.purpose,
          query: ctx.query,
          contacts: r.rows.filter((x) => x.contact !== null).length,
          subscriberHashes: hashes.slice(0, MAX_HASHES_IN_EVENT),
          subscriberHashesOmitted: Math.max(0, hashes.length - MAX_HASHES_IN_EVENT),
        },
      },
    ]);
    return new Map(r.rows.map((x) => [Number(x.id), x.contact]));
  });
}
