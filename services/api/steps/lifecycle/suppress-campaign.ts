import type { Db } from '../../../../shared/store/db';
import type { CampaignState, Channel } from '../../../../shared/domain';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { audienceFilter, audienceWhere } from '../../../../shared/ledger/audience';
import { auditRecipient } from '../../../../shared/ledger/contact';

interface SuppressTarget {
  id: number;
  incident_id: number;
  channels: Channel[];
  audience: unknown;
  fanout_cursor: number;
}

/**
 * Amended regime with a recorded no-harm determination (DOMAIN.md §5): the campaign's audience is
 * walked like a fan-out, but each (subscriber, channel) ledger row is written `suppressed` with the
 * reason and its own `notification.suppressed` audit event, page by page, and nothing is enqueued.
 * The campaign stays `approved` while this runs (no worker touches it) and ends `completed`.
 * Idempotent: a crash leaves the saved cursor; triggering again resumes, inserting nothing twice.
 */
export async function suppressCampaign(
  deps: { db: Db; pageSize: number },
  c: SuppressTarget,
  reason: string,
  actor: string,
): Promise<{ state: CampaignState; suppressed: number }> {
  const audience = audienceFilter.parse(c.audience ?? {});
  let cursor = c.fanout_cursor;
  for (;;) {
    const last = await deps.db.transaction(async (tx) => {
      const pageFilter = audienceWhere(audience, 3);
      const page = await tx.query<{ id: number }>(
        `SELECT s.id FROM subscribers s WHERE s.id > $1 AND s.erased_at IS NULL ${pageFilter.sql}
          ORDER BY s.id LIMIT $2`,
        [cursor, deps.pageSize, ...pageFilter.params],
      );
      if (page.rows.length === 0) return null;
      const firstId = page.rows[0]!.id;
      const lastId = page.rows[page.rows.length - 1]!.id;
      const insertFilter = audienceWhere(audience, 6);
      const inserted = await tx.query<{
        id: number;
        subscriber_id: number;
        channel: Channel;
        carrier: string;
        msisdn: string | null;
        email: string | null;
      }>(
        `WITH ins AS (
           INSERT INTO notification (campaign_id, subscriber_id, channel, carrier, state, reason)
           SELECT $1, s.id, ch, s.carrier, 'suppressed', $5
             FROM subscribers s CROSS JOIN unnest($2::text[]) AS ch
            WHERE s.id BETWEEN $3 AND $4 AND s.erased_at IS NULL ${insertFilter.sql}
              AND ch = ANY(s.channels)
              AND ((ch = 'sms' AND s.msisdn IS NOT NULL) OR (ch = 'email' AND s.email IS NOT NULL))
           ON CONFLICT (campaign_id, subscriber_id, channel) DO NOTHING
           RETURNING id, subscriber_id, channel, carrier)
         SELECT ins.*, s.msisdn, s.email FROM ins JOIN subscribers s ON s.id = ins.subscriber_id ORDER BY ins.id`,
        [c.id, c.channels, firstId, lastId, reason, ...insertFilter.params],
      );
      await tx.query('UPDATE campaigns SET fanout_cursor = $2, updated_at = now() WHERE id = $1', [
        c.id,
        lastId,
      ]);
      await appendAudit(
        tx,
        inserted.rows.map((r) => ({
          type: 'notification.suppressed' as const,
          actor,
          incidentId: c.incident_id,
          campaignId: c.id,
          notificationId: r.id,
          carrier: r.carrier,
          channel: r.channel,
          outcome: 'suppressed',
          details: { reason: 'no-harm-determination', basis: reason },
          ...auditRecipient(r.subscriber_id, r.channel, r.msisdn, r.email),
        })),
      );
      return lastId;
    });
    if (last === null) break;
    cursor = last;
  }
  return deps.db.transaction(async (tx) => {
    const totals = await tx.query<{ state: string; channel: string; n: number }>(
      'SELECT state, channel, count(*)::int AS n FROM notification WHERE campaign_id = $1 GROUP BY state, channel',
      [c.id],
    );
    const byState: Record<string, number> = {};
    const byChannel: Record<string, Record<string, number>> = {};
    for (const t of totals.rows) {
      byState[t.state] = (byState[t.state] ?? 0) + t.n;
      (byChannel[t.channel] ??= {})[t.state] = t.n;
    }
    const suppressed = byState.suppressed ?? 0;
    const done = await tx.query<{ state: CampaignState }>(
      `UPDATE campaigns SET state = 'completed', triggered_at = now(), completed_at = now(), fanout_done = true,
              totals = $2::jsonb, updated_at = now()
        WHERE id = $1 AND state = 'approved' AND suppressed_reason IS NOT NULL RETURNING state`,
      [c.id, JSON.stringify({ byState, byChannel })],
    );
    if (!done.rows[0]) {
      // Ended meanwhile (ENDEX) or completed by a concurrent trigger: report what it is.
      const cur = await tx.query<{ state: CampaignState }>('SELECT state FROM campaigns WHERE id = $1', [
        c.id,
      ]);
      return { state: cur.rows[0]!.state, suppressed };
    }
    await appendAudit(tx, [
      {
        type: 'campaign.triggered',
        actor,
        incidentId: c.incident_id,
        campaignId: c.id,
        outcome: 'suppressed',
        details: { reason, suppressed },
      },
      {
        type: 'campaign.completed',
        actor,
        incidentId: c.incident_id,
        campaignId: c.id,
        outcome: 'completed',
        details: { byState, byChannel, suppressedBy: 'no-harm-determination' },
      },
    ]);
    return { state: 'completed' as const, suppressed };
  });
}
