import type { Db } from '../store/db';
import { appendAudit } from '../audit/append-audit';

export type StateCounts = Record<string, number>;

export async function countByState(db: Db, campaignId: number): Promise<StateCounts> {
  const r = await db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM notification WHERE campaign_id = $1 GROUP BY state',
    [campaignId],
  );
  return Object.fromEntries(r.rows.map((x) => [x.state, x.n]));
}

/**
 * Marks a campaign `completed` once fan-out is done and every ledger row is terminal, with an audit
 * event carrying the totals. Safe to call from any number of workers: one wins the UPDATE.
 */
export async function completeCampaignIfDone(db: Db, campaignId: number, actor: string): Promise<boolean> {
  const open = await db.query<{ x: number }>(
    `SELECT 1 AS x FROM notification WHERE campaign_id = $1 AND state IN ('pending', 'sending', 'sent', 'retrying') LIMIT 1`,
    [campaignId],
  );
  if (open.rows.length > 0) return false;
  return db.transaction(async (tx) => {
    const totals = await tx.query<{ state: string; channel: string; n: number }>(
      'SELECT state, channel, count(*)::int AS n FROM notification WHERE campaign_id = $1 GROUP BY state, channel',
      [campaignId],
    );
    const byState: Record<string, number> = {};
    const byChannel: Record<string, Record<string, number>> = {};
    for (const t of totals.rows) {
      byState[t.state] = (byState[t.state] ?? 0) + t.n;
      (byChannel[t.channel] ??= {})[t.state] = t.n;
    }
    const upd = await tx.query<{ incident_id: number }>(
      `UPDATE campaigns SET state = 'completed', completed_at = now(), totals = $2::jsonb, updated_at = now()
        WHERE id = $1 AND state IN ('triggered', 'running') AND fanout_done
          AND NOT EXISTS (SELECT 1 FROM notification WHERE campaign_id = $1 AND state IN ('pending', 'sending', 'sent', 'retrying'))
       RETURNING incident_id`,
      [campaignId, JSON.stringify({ byState, byChannel })],
    );
    const row = upd.rows[0];
    if (!row) return false;
    await appendAudit(tx, [
      {
        type: 'campaign.completed',
        actor,
        incidentId: row.incident_id,
        campaignId,
        outcome: 'completed',
        details: { byState, byChannel },
      },
    ]);
    return true;
  });
}
