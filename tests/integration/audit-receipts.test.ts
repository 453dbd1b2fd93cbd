import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, type TestDb } from '../helpers/world';
import type { AuditRow } from '../../shared/audit/audit-event';
import { verifyChain } from '../../shared/audit/verify-chain';
import { applyReceipts } from '../../shared/ledger/apply-receipts';
import { idempotencyKey, messageIdFor, type ReceiptsJob } from '../../shared/queues';

/**
 * Receipts in the audit log (issue 7, Deliver 2): every receipt the carrier sends gets exactly one
 * `receipt.*` event — applied, duplicate, late or unknown — and an applied one is followed by the
 * notification's transition, so an auditor can account for each receipt and each state change.
 */

type Receipt = ReceiptsJob['receipts'][number];

const byNumber = (a: number, b: number) => a - b;

let t: TestDb;
let campaignId: number;
/** Notification ids by the state they are in before the receipts arrive. */
const ids: Record<'sent' | 'sending' | 'delivered' | 'failed' | 'sentTwice', number> = {
  sent: 0,
  sending: 0,
  delivered: 0,
  failed: 0,
  sentTwice: 0,
};

function receipt(notificationId: number, status: Receipt['status'], extra: Partial<Receipt> = {}): Receipt {
  return {
    idempotencyKey: idempotencyKey(campaignId, notificationId),
    messageId: messageIdFor(campaignId, notificationId),
    carrier: 'prairie-link',
    status,
    errorCode: status === 'delivered' ? null : 'UNKNOWN_SUBSCRIBER',
    at: new Date().toISOString(),
    ...extra,
  };
}

async function auditOf(type: string): Promise<AuditRow[]> {
  return (await t.db.query<AuditRow>('SELECT * FROM audit_log WHERE type = $1 ORDER BY seq', [type])).rows;
}

beforeAll(async () => {
  t = await createTestDb('auditreceipts');
  const inc = await t.db.query<{ id: number }>(
    `INSERT INTO incidents (exercise_id, title, threat_actor, carriers, data_categories, window_start, window_end,
       determined_at, regime, tlp, advisory_id)
     VALUES ('EX-RCPT', 'Simulated exposure', 'SIMULATED-APT', '{prairie-link}', '{call_records}', now(), now(),
       now(), 'amended', 'TLP:CLEAR', 'SIM-AA26-001A') RETURNING id`,
  );
  const camp = await t.db.query<{ id: number }>(
    `INSERT INTO campaigns (incident_id, kind, channels) VALUES ($1, 'carrier-notice', '{sms}') RETURNING id`,
    [inc.rows[0]!.id],
  );
  campaignId = Number(camp.rows[0]!.id);
  for (const [k, state] of [
    ['sent', 'sent'],
    ['sending', 'sending'],
    ['delivered', 'delivered'],
    ['failed', 'failed'],
    ['sentTwice', 'sent'],
  ] as const) {
    const s = await t.db.query<{ id: number }>(
      `INSERT INTO subscribers (carrier, msisdn) VALUES ('prairie-link', '+12025550' || (110 + $1::int)) RETURNING id`,
      [Object.keys(ids).indexOf(k)],
    );
    const n = await t.db.query<{ id: number }>(
      `INSERT INTO notification (campaign_id, subscriber_id, channel, carrier, state, attempts)
       VALUES ($1, $2, 'sms', 'prairie-link', $3, 1) RETURNING id`,
      [campaignId, s.rows[0]!.id, state],
    );
    ids[k] = Number(n.rows[0]!.id);
  }
}, 120_000);

afterAll(async () => {
  await t?.drop();
});

describe('receipts in the audit log', () => {
  it('one batch of every kind of receipt → one receipt.* event each, and the transitions they caused', async () => {
    const batch: Receipt[] = [
      receipt(ids.sent, 'delivered'),
      receipt(ids.sending, 'undeliverable'),
      receipt(ids.delivered, 'delivered'),
      receipt(ids.failed, 'delivered'),
      receipt(ids.sentTwice, 'delivered'),
      receipt(ids.sentTwice, 'delivered'),
      receipt(9_999_999, 'delivered'),
      { ...receipt(ids.sent, 'delivered'), idempotencyKey: 'not-one-of-ours' },
    ];
    const result = await applyReceipts(t.db, batch, 'worker:receipts');
    expect(result).toMatchObject({ applied: 3, duplicate: 2, late: 1, unknown: 2 });

    const applied = await auditOf('receipt.applied');
    expect(applied.map((r) => Number(r.notification_id)).sort(byNumber)).toEqual(
      [ids.sent, ids.sending, ids.sentTwice].sort(byNumber),
    );
    for (const r of applied) {
      expect(r).toMatchObject({
        actor: 'worker:receipts',
        carrier: 'prairie-link',
        channel: 'sms',
        attempt: 1,
      });
      expect(Number(r.campaign_id)).toBe(campaignId);
    }
    const undeliverable = applied.find((r) => Number(r.notification_id) === ids.sending)!;
    expect(undeliverable.outcome).toBe('undeliverable');
    expect(undeliverable.details).toMatchObject({
      idempotencyKey: idempotencyKey(campaignId, ids.sending),
      movedTo: 'undelivered',
    });

    // Every receipt is accounted for once.
    const receiptEvents = (
      await t.db.query<{ type: string }>(`SELECT type FROM audit_log WHERE type LIKE 'receipt.%'`)
    ).rows;
    expect(receiptEvents).toHaveLength(batch.length);
    expect((await auditOf('receipt.duplicate')).map((r) => Number(r.notification_id)).sort(byNumber)).toEqual(
      [ids.delivered, ids.sentTwice].sort(byNumber),
    );
    expect((await auditOf('receipt.late')).map((r) => Number(r.notification_id))).toEqual([ids.failed]);
    expect(await auditOf('receipt.unknown')).toHaveLength(2);

    // Each applied receipt is followed by the transition it caused (and, for a row still `sending`,
    // the `sent` the receipt overtook comes before both).
    const all = (await t.db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
    const trail = (id: number) => all.filter((r) => Number(r.notification_id) === id).map((r) => r.type);
    expect(trail(ids.sent)).toEqual(['receipt.applied', 'notification.delivered']);
    expect(trail(ids.sending)).toEqual(['notification.sent', 'receipt.applied', 'notification.undelivered']);
    expect(trail(ids.sentTwice)).toEqual(['receipt.applied', 'notification.delivered', 'receipt.duplicate']);
    expect(verifyChain(all)).toMatchObject({ ok: true, rows: all.length });
  });

  it('the same receipt delivered again later → receipt.duplicate, no second receipt.applied', async () => {
    const before = (await auditOf('receipt.applied')).length;
    const r = await applyReceipts(t.db, [receipt(ids.sent, 'delivered')], 'worker:receipts');
    expect(r).toMatchObject({ applied: 0, duplicate: 1, late: 0, unknown: 0 });
    expect(await auditOf('receipt.applied')).toHaveLength(before);
    const dup = (await auditOf('receipt.duplicate')).pop()!;
    expect(Number(dup.notification_id)).toBe(ids.sent);
    expect(dup.details).toMatchObject({ stateAtReceipt: 'delivered' });
  });
});
