import type { Channel } from '../../shared/domain';
import type { Db } from '../../shared/store/db';
import {
  createGroundTruthChecker,
  type GroundTruthVerdict,
  type LedgerFact,
} from '../../shared/checker/check-ground-truth';

const PAGE = 50_000;

/** The campaigns' ledger rows, read in keyset pages (a million rows never sit in one result). */
export async function loadLedgerFacts(db: Db, campaignIds: readonly number[]): Promise<LedgerFact[]> {
  const out: LedgerFact[] = [];
  let after = 0;
  for (;;) {
    const r = await db.query<{ id: number; campaign_id: number; channel: Channel; state: string }>(
      `SELECT id, campaign_id, channel, state FROM notification
        WHERE campaign_id = ANY($1::bigint[]) AND id > $2 ORDER BY id LIMIT $3`,
      [[...campaignIds], after, PAGE],
    );
    for (const row of r.rows)
      out.push({ id: row.id, campaignId: row.campaign_id, channel: row.channel, state: row.state });
    if (r.rows.length < PAGE) return out;
    after = r.rows[r.rows.length - 1]!.id;
  }
}

/** Streams `GET /arrivals?campaign=N` (NDJSON) line by line into `onLine`. */
export async function streamArrivals(
  simUrl: string,
  campaignId: number,
  onArrival: (a: { channel: Channel; key: string; campaignId: number | null }) => void,
): Promise<void> {
  const res = await fetch(`${simUrl}/arrivals?campaign=${campaignId}`);
  if (!res.ok || !res.body) throw new Error(`GET /arrivals answered ${res.status}`);
  const decoder = new TextDecoder();
  let rest = '';
  for await (const chunk of res.body) {
    rest += decoder.decode(chunk as Uint8Array, { stream: true });
    let nl = rest.indexOf('\n');
    let start = 0;
    while (nl >= 0) {
      const line = rest.slice(start, nl);
      if (line) onArrival(JSON.parse(line) as { channel: Channel; key: string; campaignId: number | null });
      start = nl + 1;
      nl = rest.indexOf('\n', start);
    }
    rest = rest.slice(start);
  }
  rest += decoder.decode();
  if (rest.trim())
    onArrival(JSON.parse(rest) as { channel: Channel; key: string; campaignId: number | null });
}

/**
 * The checker's verdict for a run: our ledger against the carrier-sim's record of what arrived
 * (shared/checker/check-ground-truth.ts for the definitions of lost, duplicated, unexpected).
 */
export async function verifyGroundTruth(
  db: Db,
  simUrl: string,
  campaignIds: readonly number[],
): Promise<GroundTruthVerdict> {
  const checker = createGroundTruthChecker(await loadLedgerFacts(db, campaignIds));
  for (const id of campaignIds) await streamArrivals(simUrl, id, (a) => checker.addArrival(a));
  return checker.verdict();
}
