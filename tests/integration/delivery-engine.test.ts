import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import {
  arrivalsOf,
  expectExactlyOnce,
  launchCampaign,
  ledgerOf,
  seedSubscribers,
  waitForState,
} from '../helpers/campaign-kit';
import { authHeaders, http } from '../helpers/api-harness';
import { checkCheckpoint } from '../../shared/audit/checkpoint';
import { latestCheckpoint } from '../../shared/audit/write-checkpoint';

// The engine on real Redis, the test database, SMTP and HTTP; the oracle is the carrier-sim.
let stack: InProcessStack;
const carriers = ['northwind-mobile', 'bluecrest-wireless', 'prairie-link'];

async function putFaults(body: unknown) {
  const res = await fetch(`${stack.simUrl}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

async function auditTypes(campaignId: number): Promise<Map<string, number>> {
  const r = await stack.testDb.db.query<{ type: string; n: number }>(
    'SELECT type, count(*)::int AS n FROM audit_log WHERE campaign_id = $1 GROUP BY type',
    [campaignId],
  );
  return new Map(r.rows.map((x) => [x.type, x.n]));
}

beforeAll(async () => {
  // Small chunks: a carrier's limit and a pause then bite within a small campaign.
  stack = await startInProcessStack('engine', {
    RETRY_MAX_ATTEMPTS: '20',
    RECEIPT_TIMEOUT_MS: '3000',
    CHUNK_SIZE: '10',
    AUDIT_CHECKPOINT_EVERY: '200',
    AUDIT_CHECKPOINT_SECONDS: '1',
  });
  await seedSubscribers(stack.testDb.db, { count: 90, seed: 11, carriers });
});
afterEach(async () => {
  await putFaults({});
});
afterAll(async () => {
  await stack?.close();
});

describe('delivery engine', () => {
  it('transient failures (gateway 5xx, SMTP 451, receipt-less timeouts) → retried → each notice arrives exactly once', async () => {
    await putFaults({
      seed: 3,
      all: {
        sms: { errorRates: { '500': 0.3, '503': 0.1 } },
        email: { errorRates: { '451': 0.3 } },
      },
    });
    const id = await launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers });
    const c = await waitForState(stack.apiUrl, id, ['completed'], 90_000);
    expect(c.state).toBe('completed');
    const rows = await ledgerOf(stack.testDb.db, id);
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    expectExactlyOnce(id, rows, await arrivalsOf(stack.simUrl, id));
    expect((await auditTypes(id)).get('notification.retry_scheduled') ?? 0).toBeGreaterThan(0);
    expect(Math.max(...rows.map((r) => r.attempts))).toBeGreaterThan(1);
  });

  it('permanent failures (SMTP 550, blocked numbers) → failed with the reason, never sent', async () => {
    await putFaults({
      seed: 4,
      carriers: { 'prairie-link': { email: { errorRates: { '550': 1 } }, sms: { rejectRate: 1 } } },
    });
    const id = await launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers });
    const c = await waitForState(stack.apiUrl, id, ['completed'], 60_000);
    expect(c.state).toBe('completed');
    const rows = await ledgerOf(stack.testDb.db, id);
    // The sink applies email faults by the recipient's domain: prairie-link's own domain only.
    const onOtherDomains = new Set(
      (
        await stack.testDb.db.query<{ id: number }>(
          `SELECT n.id FROM notification n JOIN subscribers s ON s.id = n.subscriber_id
            WHERE n.campaign_id = $1 AND n.channel = 'email' AND s.email NOT LIKE '%@prairie-link.test'`,
          [id],
        )
      ).rows.map((r) => r.id),
    );
    const prairie = rows.filter((r) => r.carrier === 'prairie-link' && !onOtherDomains.has(r.id));
    expect(prairie.length).toBeGreaterThan(0);
    expect(prairie.filter((r) => !(r.state === 'failed' && r.attempts === 1))).toEqual([]);
    expect(prairie.find((r) => r.channel === 'email')?.reason).toMatch(/550/);
    expect(
      rows
        .filter((r) => r.carrier !== 'prairie-link' || onOtherDomains.has(r.id))
        .every((r) => r.state === 'delivered'),
    ).toBe(true);
    expectExactlyOnce(id, rows, await arrivalsOf(stack.simUrl, id));
  });

  it('429 from a carrier → waits Retry-After without spending an attempt; other carriers are not held back', async () => {
    await putFaults({
      carriers: { 'northwind-mobile': { sms: { submitLimit: { ratePerSec: 20, burst: 20 } } } },
    });
    const id = await launchCampaign(stack.apiUrl, { channels: ['sms'], carriers });
    const c = await waitForState(stack.apiUrl, id, ['completed'], 90_000);
    expect(c.state).toBe('completed');
    const rows = await ledgerOf(stack.testDb.db, id);
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    // Released claims give the attempt back: nobody needed more than one real attempt.
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    const released = await stack.testDb.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE campaign_id = $1 AND outcome = 'released'`,
      [id],
    );
    expect(released.rows[0]!.n).toBeGreaterThan(0);
    expectExactlyOnce(id, rows, await arrivalsOf(stack.simUrl, id));
  });

  it('receipts duplicated, reordered, delayed and undeliverable → forward-only, each applied once', async () => {
    await putFaults({
      seed: 9,
      all: { sms: { receipts: { duplicateRate: 0.5, reorder: true, delayMs: 100, undeliverableRate: 0.2 } } },
    });
    const id = await launchCampaign(stack.apiUrl, { channels: ['sms'], carriers });
    const c = await waitForState(stack.apiUrl, id, ['completed'], 60_000);
    expect(c.state).toBe('completed');
    const rows = await ledgerOf(stack.testDb.db, id);
    expect(rows.some((r) => r.state === 'undelivered')).toBe(true);
    expect(rows.every((r) => r.state === 'delivered' || r.state === 'undelivered')).toBe(true);
    const types = await auditTypes(id);
    expect(types.get('receipt.duplicate') ?? 0).toBeGreaterThan(0);
    expect((types.get('notification.delivered') ?? 0) + (types.get('notification.undelivered') ?? 0)).toBe(
      rows.length,
    );
    expectExactlyOnce(id, rows, await arrivalsOf(stack.simUrl, id));
  });

  it('receipts dropped → after the receipt timeout the carrier is asked → every row ends', async () => {
    await putFaults({ seed: 5, all: { sms: { receipts: { dropRate: 0.5 } } } });
    const id = await launchCampaign(stack.apiUrl, { channels: ['sms'], carriers });
    const c = await waitForState(stack.apiUrl, id, ['completed'], 60_000);
    expect(c.state).toBe('completed');
    const via = await stack.testDb.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_log WHERE campaign_id = $1 AND details->>'via' = 'status-query'`,
      [id],
    );
    expect(via.rows[0]!.n).toBeGreaterThan(0);
    const rows = await ledgerOf(stack.testDb.db, id);
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    expectExactlyOnce(id, rows, await arrivalsOf(stack.simUrl, id));
  });

  it('pause → no new sends; resume → completes; ENDEX → the rest cancelled, nothing more arrives', async () => {
    await putFaults({ all: { sms: { submitLimit: { ratePerSec: 15, burst: 15 } } } });
    const op = authHeaders('operator');
    const id = await launchCampaign(stack.apiUrl, { channels: ['sms'], carriers });
    await new Promise((r) => setTimeout(r, 800));
    expect((await http(stack.apiUrl, 'POST', `/v1/campaigns/${id}/pause`, {}, op)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500)); // in-flight chunks finish
    const atPause = (await arrivalsOf(stack.simUrl, id)).length;
    await new Promise((r) => setTimeout(r, 2000));
    expect((await arrivalsOf(stack.simUrl, id)).length).toBe(atPause);
    expect((await http(stack.apiUrl, 'POST', `/v1/campaigns/${id}/resume`, {}, op)).status).toBe(200);
    expect((await waitForState(stack.apiUrl, id, ['completed'], 60_000)).state).toBe('completed');

    const id2 = await launchCampaign(stack.apiUrl, { channels: ['sms'], carriers });
    await new Promise((r) => setTimeout(r, 800));
    const endex = await http(stack.apiUrl, 'POST', `/v1/campaigns/${id2}/endex`, {}, op);
    expect(endex.status).toBe(200);
    expect(endex.body.cancelled).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 2500));
    const rows = await ledgerOf(stack.testDb.db, id2);
    expect(rows.some((r) => r.state === 'cancelled')).toBe(true);
    expectExactlyOnce(id2, rows, await arrivalsOf(stack.simUrl, id2));
    expect((await waitForState(stack.apiUrl, id2, ['cancelled'])).state).toBe('cancelled');
  });

  it('the workers sign audit checkpoints as the log grows, each over a real row of the chain', async () => {
    const before = (await latestCheckpoint(stack.testDb.db))?.seq ?? 0;
    const id = await launchCampaign(stack.apiUrl, { channels: ['sms'], carriers });
    expect((await waitForState(stack.apiUrl, id, ['completed'], 60_000)).state).toBe('completed');
    // Within AUDIT_CHECKPOINT_SECONDS (1 s) of the last event, plus the poll.
    const deadline = Date.now() + 10_000;
    let cp = await latestCheckpoint(stack.testDb.db);
    const head = async () =>
      Number(
        (await stack.testDb.db.query<{ seq: number }>('SELECT max(seq) AS seq FROM audit_log')).rows[0]!.seq,
      );
    while ((cp?.seq ?? 0) < (await head()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      cp = await latestCheckpoint(stack.testDb.db);
    }
    expect(cp).not.toBeNull();
    expect(cp!.seq).toBeGreaterThan(before);
    const row = await stack.testDb.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [
      cp!.seq,
    ]);
    expect(row.rows[0]?.hash).toBe(cp!.hash);
    expect(checkCheckpoint(cp!, new Set([cp!.keyId])).ok).toBe(true);
  });

  // Last in the file: it erases subscribers of the shared population.
  it('a subscriber erased after the campaign was built → suppressed, never sent; the others arrive once', async () => {
    const op = authHeaders('operator');
    const id = await launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers });
    expect((await http(stack.apiUrl, 'POST', `/v1/campaigns/${id}/pause`, {}, op)).status).toBe(200);
    // Paused: fan-out still builds the ledger (one row per subscriber and channel), nothing is sent.
    const deadline = Date.now() + 20_000;
    let rows = await ledgerOf(stack.testDb.db, id);
    for (let last = -1; (rows.length === 0 || rows.length !== last) && Date.now() < deadline;) {
      last = rows.length;
      await new Promise((r) => setTimeout(r, 1000));
      rows = await ledgerOf(stack.testDb.db, id);
    }
    const total = rows.length;
    expect(total).toBeGreaterThan(100);
    const waiting = await stack.testDb.db.query<{ subscriber_id: number }>(
      `SELECT DISTINCT subscriber_id FROM notification
        WHERE campaign_id = $1 AND state = 'pending' ORDER BY subscriber_id LIMIT 4`,
      [id],
    );
    const erased = waiting.rows.map((r) => Number(r.subscriber_id));
    expect(erased.length).toBe(4);
    for (const s of erased) {
      expect((await http(stack.apiUrl, 'DELETE', `/v1/subscribers/${s}`, undefined, op)).status).toBe(204);
    }
    expect((await http(stack.apiUrl, 'POST', `/v1/campaigns/${id}/resume`, {}, op)).status).toBe(200);
    expect((await waitForState(stack.apiUrl, id, ['completed'], 60_000)).state).toBe('completed');

    const bySubscriber = await stack.testDb.db.query<{
      subscriber_id: number;
      state: string;
      reason: string;
    }>(
      'SELECT subscriber_id, state, reason FROM notification WHERE campaign_id = $1 AND subscriber_id = ANY($2)',
      [id, erased],
    );
    expect(bySubscriber.rows.length).toBe(8); // email and SMS for each
    for (const r of bySubscriber.rows)
      expect([r.state, r.reason]).toEqual(['suppressed', 'subscriber erased']);
    rows = await ledgerOf(stack.testDb.db, id);
    expect(rows.filter((r) => r.state === 'delivered').length).toBe(total - bySubscriber.rows.length);
    expectExactlyOnce(id, rows, await arrivalsOf(stack.simUrl, id));
  });
});
