import type { Channel } from '../domain';
import type { Db } from '../store/db';
import { appendAudit } from '../audit/append-audit';
import { auditRecipient } from './contact';
import type { AudienceFilter } from './audience';
import { audienceWhere } from './audience';

export interface PageResult {
  /** Ledger rows of this page (new and already present), grouped later into chunk jobs. */
  rows: { id: number; channel: Channel; carrier: string }[];
  /** Last subscriber id of the page; the next page starts after it. null = audience exhausted. */
  lastSubscriberId: number | null;
  inserted: number;
}

/**
 * Fan-out, one page: inserts the page's ledger rows (subscriber × channel) with their `queued` audit
 * events in one transaction. Idempotent: re-running a page after a crash inserts nothing new and
 * returns the same rows, so the chunk jobs built from them get the same ids.
 */
export async function materializePage(
  db: Db,
  input: {
    campaignId: number;
    incidentId: number;
    channels: readonly Channel[];
    audience: AudienceFilter;
    afterSubscriberId: number;
    pageSize: number;
  },
): Promise<PageResult> {
  return db.transaction(async (tx) => {
    const pageFilter = audienceWhere(input.audience, 3);
    const page = await tx.query<{ id: number }>(
      `SELECT s.id FROM subscribers s
        WHERE s.id > $1 AND s.erased_at IS NULL ${pageFilter.sql}
        ORDER BY s.id LIMIT $2`,
      [input.afterSubscriberId, input.pageSize, ...pageFilter.params],
    );
    if (page.rows.length === 0) return { rows: [], lastSubscriberId: null, inserted: 0 };
    const firstId = page.rows[0]!.id;
    const lastId = page.rows[page.rows.length - 1]!.id;
    const insertFilter = audienceWhere(input.audience, 5);
    const inserted = await tx.query<{
      id: number;
      subscriber_id: number;
      channel: Channel;
      carrier: string;
      msisdn: string | null;
      email: string | null;
    }>(
      `WITH ins AS (
         INSERT INTO notification (campaign_id, subscriber_id, channel, carrier)
         SELECT $1, s.id, ch, s.carrier
           FROM subscribers s CROSS JOIN unnest($2::text[]) AS ch
          WHERE s.id BETWEEN $3 AND $4 AND s.erased_at IS NULL ${insertFilter.sql}
            AND ch = ANY(s.channels)
            AND ((ch = 'sms' AND s.msisdn IS NOT NULL) OR (ch = 'email' AND s.email IS NOT NULL))
         ON CONFLICT (campaign_id, subscriber_id, channel) DO NOTHING
         RETURNING id, subscriber_id, channel, carrier)
       SELECT ins.*, s.msisdn, s.email FROM ins JOIN subscribers s ON s.id = ins.subscriber_id`,
      [input.campaignId, input.channels, firstId, lastId, ...insertFilter.params],
    );
    const rows = await tx.query<{ id: number; channel: Channel; carrier: string }>(
      `SELECT n.id, n.channel, n.carrier FROM notification n
        WHERE n.campaign_id = $1 AND n.subscriber_id BETWEEN $2 AND $3 AND n.state IN ('pending', 'retrying')
        ORDER BY n.id`,
      [input.campaignId, firstId, lastId],
    );
    await appendAudit(
      tx,
      inserted.rows.map((r) => ({
        type: 'notification.queued' as const,
        actor: 'worker:fan-out',
        incidentId: input.incidentId,
        campaignId: input.campaignId,
        notificationId: r.id,
        carrier: r.carrier,
        channel: r.channel,
        ...auditRecipient(r.subscriber_id, r.channel, r.msisdn, r.email),
      })),
    );
    return { rows: rows.rows, lastSubscriberId: lastId, inserted: inserted.rowCount };
  });
}
