import type { Db } from '../../shared/store/db';
import type { AuditRow } from '../../shared/audit/audit-event';
import { verifyChain } from '../../shared/audit/verify-chain';
import { fetchArrivals } from '../../scripts/lib/drill';
import { arrivalKeyOf } from '../helpers/campaign-kit';

const TERMINAL = new Set(['delivered', 'undelivered', 'failed', 'suppressed', 'cancelled']);

export interface ChaosVerdict {
  ok: boolean;
  targets: number;
  arrivals: number;
  lost: number[];
  duplicated: string[];
  unexpected: string[];
  auditMissing: number[];
  auditPhantom: number[];
  chain: { ok: boolean; rows: number; firstBadSeq?: number; reason?: string };
  byState: Record<string, number>;
}

/**
 * Compares the targets with the carrier-sim's arrivals (the oracle) and with the audit log:
 * lost (not delivered and not terminal with a reason), duplicated, unexpected, audit-missing (an
 * arrival without its `notification.sent` event), audit-phantom (an audited send that never
 * arrived), and the hash chain (gap-free, unbroken).
 */
export async function checkChaos(db: Db, simUrl: string, campaignId: number): Promise<ChaosVerdict> {
  const rows = (
    await db.query<{ id: number; channel: 'email' | 'sms'; state: string; reason: string | null }>(
      'SELECT id, channel, state, reason FROM notification WHERE campaign_id = $1',
      [campaignId],
    )
  ).rows;
  const arrivals = (await fetchArrivals(simUrl)).filter((a) => Number(a.campaignId) === campaignId);
  const byKey = new Map(rows.map((r) => [arrivalKeyOf(r, campaignId), r]));
  const counts = new Map<string, number>();
  for (const a of arrivals) counts.set(a.key, (counts.get(a.key) ?? 0) + 1);

  const sentEvents = new Set(
    (
      await db.query<{ notification_id: number }>(
        `SELECT DISTINCT notification_id FROM audit_log WHERE campaign_id = $1 AND type = 'notification.sent'`,
        [campaignId],
      )
    ).rows.map((r) => Number(r.notification_id)),
  );
  const lost = rows
    .filter((r) => !TERMINAL.has(r.state) || (r.state !== 'delivered' && !r.reason))
    .map((r) => r.id);
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
  const unexpected = [...counts.keys()].filter((k) => !byKey.has(k));
  const auditMissing = [...counts.keys()]
    .map((k) => byKey.get(k))
    .filter((r): r is (typeof rows)[number] => Boolean(r))
    .filter((r) => !sentEvents.has(r.id))
    .map((r) => r.id);
  const arrivedIds = new Set(
    [...counts.keys()].map((k) => byKey.get(k)?.id).filter((x): x is number => x !== undefined),
  );
  const auditPhantom = [...sentEvents].filter((id) => !arrivedIds.has(id));
  const chain = await verifyWholeChain(db);
  const byState: Record<string, number> = {};
  for (const r of rows) byState[r.state] = (byState[r.state] ?? 0) + 1;
  return {
    ok:
      lost.length + duplicated.length + unexpected.length + auditMissing.length + auditPhantom.length === 0 &&
      chain.ok,
    targets: rows.length,
    arrivals: arrivals.length,
    lost,
    duplicated,
    unexpected,
    auditMissing,
    auditPhantom,
    chain,
    byState,
  };
}

async function verifyWholeChain(db: Db): Promise<ChaosVerdict['chain']> {
  let after = 0;
  let start = { seq: 0, hash: '0'.repeat(64) };
  let total = 0;
  for (;;) {
    const page = (
      await db.query<AuditRow>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 20000', [after])
    ).rows;
    if (page.length === 0) return { ok: true, rows: total };
    const v = verifyChain(page, start);
    total += v.rows;
    if (!v.ok) return { ok: false, rows: total, firstBadSeq: v.firstBadSeq, reason: v.reason };
    start = { seq: v.headSeq, hash: v.headHash };
    after = v.headSeq;
  }
}
