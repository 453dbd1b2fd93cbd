import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import { authHeaders } from '../helpers/api-harness';
import {
  arrivalKeyOf,
  arrivalsOf,
  launchCampaign,
  seedSubscribers,
  waitForState,
} from '../helpers/campaign-kit';
import type { Arrival } from '../../scripts/lib/drill';
import type { CampaignReport, LatencyRow, NotDeliveredItem } from '../../shared/api/report.schema';

// The campaign report against the carrier-sim's record of what arrived (GET /arrivals) and of the
// faults it injected (GET /stats), for a campaign run under injected faults. The oracle is the
// carrier-sim, never our own ledger or audit log.
let stack: InProcessStack;
const carriers = ['northwind-mobile', 'bluecrest-wireless', 'prairie-link'];
// Email faults on the carriers' own domains only: the law-enforcement report (another domain) and
// subscribers at reserved example domains get through untouched.
const emailFaults = { errorRates: { '550': 0.08, '451': 0.15 } };
const FAULTS = {
  seed: 4242,
  all: { sms: { receipts: { undeliverableRate: 0.12 } } },
  carriers: {
    'northwind-mobile': { sms: { rejectRate: 0.25 }, email: emailFaults },
    'bluecrest-wireless': { sms: { errorRates: { '503': 0.3 } }, email: emailFaults },
    'prairie-link': { email: emailFaults },
  },
};

beforeAll(async () => {
  // A long lease: a claim taken over after a slow chunk would send a message twice to the sim's
  // fault dice (a second 550 or BLOCKED for one notification), and the counts below compare one to one.
  stack = await startInProcessStack(
    'reporte2e',
    { RETRY_MAX_ATTEMPTS: '5', CHUNK_SIZE: '20', LEASE_MS: '60000' },
    11,
  );
  await seedSubscribers(stack.testDb.db, { count: 150, seed: 21, carriers });
  const res = await fetch(`${stack.simUrl}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(FAULTS),
  });
  expect(res.status, await res.clone().text()).toBe(200);
});
afterAll(async () => {
  await stack?.close();
});

const auditor = authHeaders('auditor');

async function getReport(id: number, query = ''): Promise<CampaignReport> {
  const res = await fetch(`${stack.apiUrl}/v1/campaigns/${id}/report?${query}`, { headers: auditor });
  expect(res.status).toBe(200);
  return (await res.json()) as CampaignReport;
}

async function allNotDelivered(id: number): Promise<NotDeliveredItem[]> {
  const out: NotDeliveredItem[] = [];
  let after = 0;
  for (;;) {
    const r = await getReport(id, `limit=7&after=${after}`);
    out.push(...r.notDelivered.items);
    if (r.notDelivered.nextCursor === null) return out;
    after = r.notDelivered.nextCursor;
  }
}

/** Nearest-rank percentile, as the report computes it (percentile_disc). */
function nearestRank(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

describe('campaign report vs the carrier-sim, under injected faults', () => {
  let campaignId: number;
  let arrivals: Arrival[];
  let report: CampaignReport;
  const keyOf = (id: number, channel: 'sms' | 'email') => arrivalKeyOf({ id, channel }, campaignId);

  beforeAll(async () => {
    campaignId = await launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers });
    const done = await waitForState(stack.apiUrl, campaignId, ['completed'], 150_000);
    expect(done.state, JSON.stringify(done.counts)).toBe('completed');
    arrivals = await arrivalsOf(stack.simUrl, campaignId);
    report = await getReport(campaignId, 'limit=1000');
  }, 180_000);

  it('counts by channel × carrier → what reached the carrier equals what arrived there', async () => {
    expect(report.campaign).toMatchObject({ id: campaignId, state: 'completed' });
    const reached = new Map<string, number>();
    for (const c of report.counts)
      if (['sent', 'delivered', 'undelivered'].includes(c.state))
        reached.set(`${c.channel}/${c.carrier}`, (reached.get(`${c.channel}/${c.carrier}`) ?? 0) + c.n);
    // The sim files an email under its domain's carrier (some subscribers use example.com); the report
    // under the subscriber's carrier. The arrival's key names the notification, whose carrier we take.
    const carrierOf = new Map(
      (
        await stack.testDb.db.query<{ id: number; carrier: string }>(
          'SELECT id, carrier FROM notification WHERE campaign_id = $1',
          [campaignId],
        )
      ).rows.map((r) => [Number(r.id), r.carrier]),
    );
    const arrived = new Map<string, number>();
    for (const a of arrivals) {
      const id = Number(/bd-\d+-(\d+)/.exec(a.key)?.[1]);
      const carrier = a.channel === 'sms' ? a.carrier : carrierOf.get(id);
      arrived.set(`${a.channel}/${carrier}`, (arrived.get(`${a.channel}/${carrier}`) ?? 0) + 1);
    }
    expect(Object.fromEntries(reached)).toEqual(Object.fromEntries(arrived));
    expect(report.totals.reachedCarrier).toBe(arrivals.length);
    expect(new Set(arrivals.map((a) => a.key)).size).toBe(arrivals.length);
    const states = report.totals.byState;
    expect(report.totals.open).toBe(0);
    expect(report.totals.notifications).toBe(
      arrivals.length + (states.failed ?? 0) + (states.suppressed ?? 0) + (states.cancelled ?? 0),
    );
  });

  it('the faults show: BLOCKED, smtp-550 and undeliverable among the failures, 503s and 451s among the retries', () => {
    const states = report.totals.byState;
    expect(states.failed ?? 0).toBeGreaterThan(0);
    expect(states.undelivered ?? 0).toBeGreaterThan(0);
    const codes = new Set(report.failureReasons.map((r) => r.carrierCode));
    expect([...codes]).toEqual(expect.arrayContaining(['smtp-550']));
    expect(report.failureReasons.some((r) => r.state === 'failed' && r.channel === 'sms')).toBe(true);
    const retryCodes = report.retries.map((r) => r.code ?? '');
    expect(retryCodes.some((c) => c.includes('503'))).toBe(true);
    expect(retryCodes.some((c) => c.includes('451'))).toBe(true);
  });

  it('per-carrier permanent failures → equal the faults the carrier-sim counts injecting', async () => {
    const stats = (await (await fetch(`${stack.simUrl}/stats`)).json()) as {
      byCarrier: Record<
        string,
        Record<'sms' | 'email', { rejected: number; faults: Record<string, number> }>
      >;
    };
    const items = await allNotDelivered(campaignId);
    for (const carrier of carriers) {
      const smsRejected = items.filter(
        (i) => i.carrier === carrier && i.channel === 'sms' && i.state === 'failed' && !/gave up/.test(i.why),
      ).length;
      expect(smsRejected, `${carrier} sms rejected`).toBe(stats.byCarrier[carrier]?.sms.rejected ?? 0);
      // Email faults follow the recipient's domain, which the masked contact keeps.
      const email550 = items.filter(
        (i) =>
          i.channel === 'email' &&
          i.carrierCode === 'smtp-550' &&
          i.contactMasked?.endsWith(`@${carrier}.test`),
      ).length;
      expect(email550, `${carrier} email 550`).toBe(stats.byCarrier[carrier]?.email.faults['550'] ?? 0);
    }
  });

  it('why not delivered → every recipient listed, failed ones never arrived, undeliverable ones did', async () => {
    const items = await allNotDelivered(campaignId);
    expect(items).toHaveLength(report.totals.notDelivered);
    const arrived = new Set(arrivals.map((a) => a.key));
    for (const i of items) {
      const key = keyOf(i.notificationId, i.channel as 'sms' | 'email');
      if (i.state === 'failed') expect(arrived.has(key), `failed ${key} arrived`).toBe(false);
      if (i.state === 'undelivered') expect(arrived.has(key), `undelivered ${key} never arrived`).toBe(true);
      expect(i.why.length).toBeGreaterThan(10);
      expect(i.subscriberHash).toMatch(/^[0-9a-f]{24}$/);
      expect(i.contact).toBeUndefined();
      // The trail is the audit log's story of the notification, ending in its outcome.
      expect(i.trail[0]?.type).toBe('notification.queued');
      expect(i.trail[i.trail.length - 1]?.type).toBe(
        i.state === 'failed' ? 'notification.failed' : 'notification.undelivered',
      );
    }
    // Everything else arrived and was delivered.
    const notDelivered = new Set(items.map((i) => keyOf(i.notificationId, i.channel as 'sms' | 'email')));
    const deliveredArrivals = arrivals.filter((a) => !notDelivered.has(a.key));
    expect(deliveredArrivals).toHaveLength(report.totals.delivered);
  });

  it('latency trigger → sent and throughput → agree with the arrival times', () => {
    const t0 = Date.parse(report.campaign.triggeredAt!);
    const truth = arrivals.map((a) => Date.parse(a.at) - t0).sort((a, b) => a - b);
    const all = report.latencyMs.triggerToSent.find(
      (l) => l.channel === null && l.carrier === null,
    ) as LatencyRow;
    expect(all.n).toBe(arrivals.length);
    // Each notification is recorded sent just after the carrier-sim took it: never earlier, soon after.
    for (const [p, key] of [
      [0.5, 'p50'],
      [0.9, 'p90'],
      [0.99, 'p99'],
    ] as const) {
      const t = nearestRank(truth, p);
      expect(all[key]!, key).toBeGreaterThanOrEqual(t - 2);
      expect(all[key]!, key).toBeLessThanOrEqual(t + 5_000);
    }
    const perChannel = report.latencyMs.triggerToSent.filter((l) => l.channel !== null && l.carrier === null);
    expect(perChannel.reduce((s, l) => s + l.n, 0)).toBe(arrivals.length);
    const delivered = report.latencyMs.sentToDelivered.find((l) => l.channel === null && l.carrier === null);
    expect(delivered?.n).toBe(report.totals.delivered);
    expect(delivered!.p50!).toBeGreaterThanOrEqual(0);
    const b = report.throughput.buckets;
    expect(b.reduce((s, x) => s + x.sent, 0)).toBe(arrivals.length);
    expect(b.reduce((s, x) => s + x.delivered, 0)).toBe(report.totals.delivered);
    expect(b.reduce((s, x) => s + x.failed, 0)).toBe(
      (report.totals.byState.failed ?? 0) + (report.totals.byState.undelivered ?? 0),
    );
  });

  it('CSV and HTML → the same figures, formula-safe, marked as an exercise, contacts masked', async () => {
    const csv = await fetch(`${stack.apiUrl}/v1/campaigns/${campaignId}/report?format=csv&table=counts`, {
      headers: auditor,
    });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const rows = parse(await csv.text(), { columns: true }) as {
      state: string;
      channel: string;
      carrier: string;
      n: string;
    }[];
    expect(rows.map((r) => ({ ...r, n: Number(r.n) }))).toEqual(report.counts);
    const nd = await fetch(
      `${stack.apiUrl}/v1/campaigns/${campaignId}/report?format=csv&table=not-delivered`,
      {
        headers: auditor,
      },
    );
    const ndRows = parse(await nd.text(), { columns: true }) as { notificationId: string }[];
    expect(ndRows).toHaveLength(report.totals.notDelivered);
    for (const table of ['latency', 'throughput', 'reasons', 'retries']) {
      const r = await fetch(`${stack.apiUrl}/v1/campaigns/${campaignId}/report?format=csv&table=${table}`, {
        headers: auditor,
      });
      expect(r.status, table).toBe(200);
      for (const row of parse(await r.text()) as string[][])
        for (const cell of row) if (!/^-?\d+(\.\d+)?$/.test(cell)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
    const html = await fetch(`${stack.apiUrl}/v1/campaigns/${campaignId}/report?format=html`, {
      headers: auditor,
    });
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    const page = await html.text();
    expect(page).toMatch(/EXERCISE EXERCISE EXERCISE/);
    expect(page).toContain(`Campaign ${campaignId} report`);
    expect(page).not.toMatch(/\+1\d{3}55501\d{2}/); // no clear phone number
    expect(page).not.toMatch(/<script/i);
  });

  it('reveal=contact → only with the pii:read scope, and audited', async () => {
    const denied = await fetch(`${stack.apiUrl}/v1/campaigns/${campaignId}/report?reveal=contact&limit=5`, {
      headers: auditor,
    });
    expect(denied.status).toBe(403);
    const ok = await fetch(`${stack.apiUrl}/v1/campaigns/${campaignId}/report?reveal=contact&limit=5`, {
      headers: authHeaders('auditor-pii'),
    });
    const r = (await ok.json()) as CampaignReport;
    expect(r.notDelivered.items.every((i) => typeof i.contact === 'string')).toBe(true);
    const audit = await fetch(`${stack.apiUrl}/v1/audit?type=pii.read&campaign=${campaignId}`, {
      headers: auditor,
    });
    const ev = ((await audit.json()) as { items: { details: { contacts: number } }[] }).items;
    expect(ev).toHaveLength(1);
    expect(ev[0]!.details.contacts).toBe(r.notDelivered.items.length);
  });
});
