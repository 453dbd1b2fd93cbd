import { describe, expect, it } from 'vitest';
import {
  arrivalKeyOf,
  checkGroundTruth,
  createGroundTruthChecker,
  type ArrivalFact,
  type LedgerFact,
} from '../../shared/checker/check-ground-truth';

/** A synthetic run: `n` notifications of campaign 7, alternating channels, all delivered. */
function world(n: number, campaignId = 7): { rows: LedgerFact[]; arrivals: ArrivalFact[] } {
  const rows: LedgerFact[] = Array.from({ length: n }, (_, i) => ({
    id: 1000 + i,
    campaignId,
    channel: i % 2 === 0 ? 'sms' : 'email',
    state: 'delivered',
  }));
  const arrivals = rows.map((r) => ({ channel: r.channel, key: arrivalKeyOf(r), campaignId }));
  return { rows, arrivals };
}

describe('ground-truth checker', () => {
  it('a clean run → ok, every expected row matched, nothing lost, duplicated or unexpected', () => {
    const { rows, arrivals } = world(500);
    const v = checkGroundTruth(rows, arrivals);
    expect(v).toMatchObject({ ok: true, rows: 500, arrivals: 500, expected: 500, matched: 500 });
    expect([v.lost, v.duplicated, v.unexpected, v.unresolved]).toEqual([0, 0, 0, 0]);
    expect(v.byChannel.sms).toEqual({ rows: 250, arrivals: 250, lost: 0, duplicated: 0, unexpected: 0 });
  });

  it('planted losses → counted as lost with samples, by channel', () => {
    const { rows, arrivals } = world(100);
    const dropped = new Set([arrivals[3]!.key, arrivals[10]!.key, arrivals[11]!.key]);
    const v = checkGroundTruth(
      rows,
      arrivals.filter((a) => !dropped.has(a.key)),
    );
    expect(v.ok).toBe(false);
    expect(v.lost).toBe(3);
    expect(v.byChannel.sms!.lost + v.byChannel.email!.lost).toBe(3);
    expect(new Set(v.samples.lost.map((s) => s.key))).toEqual(dropped);
    expect(v.duplicated + v.unexpected).toBe(0);
  });

  it('planted duplicates → each extra copy counted once, the original still matched', () => {
    const { rows, arrivals } = world(50);
    const copies = [arrivals[0]!, arrivals[0]!, arrivals[7]!];
    const v = checkGroundTruth(rows, [...arrivals, ...copies]);
    expect(v).toMatchObject({ ok: false, duplicated: 3, lost: 0, unexpected: 0, matched: 50 });
    expect(v.samples.duplicated.map((s) => s.notificationId)).toEqual([1000, 1000, 1007]);
  });

  it('planted strays → unknown keys, foreign ids and sends the ledger calls failed are unexpected', () => {
    const { rows, arrivals } = world(20);
    rows[5] = { ...rows[5]!, state: 'failed' };
    const strays: ArrivalFact[] = [
      { channel: 'sms', key: 'bd-7-999999', campaignId: 7 }, // no such notification
      { channel: 'sms', key: 'not-ours-at-all', campaignId: 7 },
      { channel: 'email', key: arrivalKeyOf({ ...rows[0]!, channel: 'email' }), campaignId: 7 }, // wrong channel
    ];
    const v = checkGroundTruth(rows, [...arrivals, ...strays]);
    // rows[5] arrived although the ledger says failed: unexpected; it is not "lost" either.
    expect(v).toMatchObject({ ok: false, unexpected: 4, lost: 0, duplicated: 0, notSent: 1 });
    expect(v.samples.unexpected.map((s) => s.state)).toContain('failed');
  });

  it('rows left non-terminal → unresolved and lost, even when a copy arrived', () => {
    const { rows, arrivals } = world(10);
    rows[0] = { ...rows[0]!, state: 'sent' }; // arrived, receipt never applied
    rows[1] = { ...rows[1]!, state: 'pending' };
    const v = checkGroundTruth(rows, arrivals.slice(0, 1));
    expect(v.unresolved).toBe(2);
    // the open `sent` row (arrived, never resolved), the pending one, and 8 delivered rows that never arrived
    expect(v.lost).toBe(10);
    expect(v.matched).toBe(1);
    expect(v.ok).toBe(false);
  });

  it('failed, suppressed and cancelled rows that never arrived → accounted for, verdict ok', () => {
    const { rows, arrivals } = world(6);
    rows[0] = { ...rows[0]!, state: 'failed' };
    rows[1] = { ...rows[1]!, state: 'suppressed' };
    rows[2] = { ...rows[2]!, state: 'cancelled' };
    const v = checkGroundTruth(rows, arrivals.slice(3));
    expect(v).toMatchObject({ ok: true, notSent: 3, expected: 3, matched: 3, lost: 0 });
  });

  it('arrivals of other campaigns are ignored; the incremental checker equals the one-shot one', () => {
    const a = world(30, 7);
    const b = world(30, 8);
    const checker = createGroundTruthChecker(a.rows, { sampleSize: 2 });
    for (const x of [...b.arrivals, ...a.arrivals, { channel: 'sms' as const, key: 'x', campaignId: null }])
      checker.addArrival(x);
    const v = checker.verdict();
    expect(v).toEqual(checkGroundTruth(a.rows, a.arrivals, { sampleSize: 2 }));
    expect(v.arrivals).toBe(30);
  });
});
