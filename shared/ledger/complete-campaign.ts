import type { Db } from '../store/db';
import { appendAudit } from '../audit/append-audit';
import { queryWithSettings } from '../store/query-with-settings';

/** A ledger row not yet terminal: the campaign cannot complete while one is left. */
const OPEN_ROW_SQL = `state IN ('pending', 'sending', 'sent', 'retrying')`;

export type StateCounts = Record<string, number>;

export async function countByState(db: Db, campaignId: number): Promise<StateCounts> {
  const r = await db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM notification WHERE campaign_id = $1 GROUP BY state',
    [campaignId],
  );
  return Object.fromEntries(r.rows.map((x) => [x.state, x.n]));
}

interface Gate {
  running: Promise<boolean>;
  again: boolean;
}
const gates = new WeakMap<Db, Map<number, Gate>>();

/**
 * Marks a campaign `completed` once fan-out is done and every ledger row is terminal, with an audit
 * event carrying the totals. Safe to call from any number of workers: one wins the UPDATE.
 *
 * Every chunk and receipt batch asks, so the asks of one process are coalesced: while a check of a
 * campaign runs, further asks share it and one more check runs after it (it sees every write its
 * askers committed before asking). Without this, a large campaign spends its database on the
 * "any row still open?" probe, which walks far into the index while most rows are open.
 */
export function completeCampaignIfDone(db: Db, campaignId: number, actor: string): Promise<boolean> {
  let byCampaign = gates.get(db);
  if (!byCampaign) gates.set(db, (byCampaign = new Map()));
  const gate = byCampaign.get(campaignId);
  if (gate) {
    gate.again = true;
    return gate.running;
  }
  const g: Gate = { running: Promise.resolve(false), again: false };
  const loop = async (): Promise<boolean> => {
    try {
      let done = false;
      do {
        g.again = false;
        done = await checkAndComplete(db, campaignId, actor);
      } while (g.again && !done);
      return done;
    } finally {
      byCampaign.delete(campaignId);
    }
  };
  byCampaign.set(campaignId, g);
  g.running = loop();
  return g.running;
}

async function checkAndComplete(db: Db, campaignId: number, actor: string): Promise<boolean> {
  // Cheap first: a campaign still fanning out (or no longer live) cannot complete here.
  const c = await db.query<{ fanout_done: boolean; state: string }>(
    'SELECT fanout_done, state FROM campaigns WHERE id = $1',
    [campaignId],
  );
  const cs = c.rows[0];
  if (!cs || !cs.fanout_done || (cs.state !== 'triggered' && cs.state !== 'running')) return false;
  // Through the (campaign_id, state) index, never a scan of the partition: its statistics are those
  // of fan-out (every row pending), so PostgreSQL expects an open row at once and scans, in parallel,
  // past every row already delivered. In the second half of a 1,000,000-SMS run each probe read the
  // whole partition, several a second per worker, and the load average went from 3 to 12.
  const open = await queryWithSettings<{ x: number }>(
    db,
    'SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off',
    `SELECT 1 AS x FROM notification WHERE campaign_id = $1 AND ${OPEN_ROW_SQL} LIMIT 1`,
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
          AND NOT EXISTS (SELECT 1 FROM notification WHERE campaign_id = $1 AND ${OPEN_ROW_SQL})
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
