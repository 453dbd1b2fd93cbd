import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import {
  arrivalsOf,
  expectExactlyOnce,
  getCampaign,
  launchCampaign,
  ledgerOf,
  seedSubscribers,
  waitForState,
} from '../helpers/campaign-kit';
import { authHeaders, http } from '../helpers/api-harness';
import { testLogger } from '../helpers/world';
import { createRedis } from '../../shared/redis';
import { jobIds } from '../../shared/queues';
import { checkGroundTruth } from '../../shared/checker/check-ground-truth';
import { startWorkers } from '../../workers/start-workers';
import { reconcileCampaigns } from '../../workers/reconcile/reconcile-campaigns';
import type { Arrival } from '../../scripts/lib/drill';

// Campaign start time and throttle (issue 6), end to end: api, workers, real Redis, the test
// database, SMTP and HTTP to the carrier-sim, whose arrival times are the oracle. The workers run
// in "generations" started here, so a test can restart them half way.
let stack: InProcessStack;
let generation: { close(): Promise<void> } | null = null;
const carriers = ['northwind-mobile', 'bluecrest-wireless'];
const op = (method: string, path: string, body?: unknown) =>
  http(stack.apiUrl, method, path, body, authHeaders('operator'));

function startWorkerGeneration(): { close(): Promise<void> } {
  const connection = createRedis(stack.deps.config.REDIS_URL!, 'worker');
  connection.on('error', () => undefined);
  const workers = startWorkers({
    config: stack.deps.config,
    db: stack.testDb.db,
    connection,
    queues: stack.deps.queues,
    logger: testLogger,
  });
  return {
    async close() {
      await workers.close();
      connection.disconnect();
    },
  };
}

beforeAll(async () => {
  stack = await startInProcessStack('schedule', {}, 1, { inProcessWorkers: false });
  generation = startWorkerGeneration();
  await seedSubscribers(stack.testDb.db, { count: 60, seed: 21, carriers });
}, 120_000);
afterAll(async () => {
  await generation?.close();
  await stack?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function auditDetails(campaignId: number, type: string): Promise<Record<string, unknown>> {
  const r = await stack.testDb.db.query<{ details: Record<string, unknown> }>(
    'SELECT details FROM audit_log WHERE campaign_id = $1 AND type = $2 ORDER BY seq',
    [campaignId, type],
  );
  expect(r.rows, `${type} events`).toHaveLength(1);
  return r.rows[0]!.details;
}

async function campaignCount(): Promise<number> {
  return (await stack.testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM campaigns')).rows[0]!.n;
}

function expectGroundTruth(
  campaignId: number,
  rows: Awaited<ReturnType<typeof ledgerOf>>,
  arrivals: Arrival[],
) {
  expectExactlyOnce(campaignId, rows, arrivals);
  const verdict = checkGroundTruth(
    rows.map((r) => ({ id: r.id, campaignId, channel: r.channel, state: r.state })),
    arrivals.map((a) => ({ channel: a.channel, key: a.key, campaignId: a.campaignId })),
  );
  expect({ lost: verdict.lost, duplicated: verdict.duplicated, unexpected: verdict.unexpected }).toEqual({
    lost: 0,
    duplicated: 0,
    unexpected: 0,
  });
}

/** Most arrivals in any window [t, t + windowMs) that starts at an arrival. */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

async function newIncidentId(): Promise<number> {
  const r = await op('POST', '/v1/incidents', {
    exerciseId: `EX-SCHED-${Date.now().toString(36)}`,
    title: 'Simulated metadata exposure',
    threatActor: 'SIMULATED-APT',
    carriers,
    dataCategories: ['call_records'],
    window: { start: '2024-03-01T00:00:00Z', end: '2024-09-01T00:00:00Z' },
    determinedAt: '2024-10-01T12:00:00Z',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.id as number;
}

describe('startAt and throttle through the API', () => {
  it('created with both → 201; GET /v1/campaigns/:id shows both; campaign.created audits both; /openapi.json documents both', async () => {
    const incidentId = await newIncidentId();
    const startAt = new Date(Date.now() + 3 * 86_400_000).toISOString();
    const created = await op('POST', '/v1/campaigns', {
      incidentId,
      kind: 'carrier-notice',
      channels: ['sms'],
      startAt: startAt.replace('Z', '+00:00'),
      throttle: 250,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ startAt, throttle: 250, state: 'draft' });
    const id = created.body.id as number;
    expect(await getCampaign(stack.apiUrl, id)).toMatchObject({ startAt, throttle: 250 });
    expect(await auditDetails(id, 'campaign.created')).toMatchObject({ startAt, throttle: 250 });

    const plain = await op('POST', '/v1/campaigns', {
      incidentId,
      kind: 'carrier-notice',
      channels: ['sms'],
    });
    expect(plain.body).toMatchObject({ startAt: null, throttle: null });

    const spec = (await op('GET', '/openapi.json')).body as {
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    };
    const input = spec.components.schemas.CampaignInput!.properties;
    expect(input.startAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(input.throttle).toMatchObject({ type: 'integer', minimum: 1, maximum: 100_000 });
    expect(String(input.throttle!.description)).toMatch(/per second/);
    const out = spec.components.schemas.Campaign!.properties;
    expect(out).toHaveProperty('startAt');
    expect(out).toHaveProperty('throttle');
  });

  it.each([
    ['startAt more than 30 days ahead', { startAt: 'FAR' }, 'body.startAt', 'start_too_far'],
    ['startAt without an offset', { startAt: '2030-01-01T09:00:00' }, 'body.startAt', null],
    ['startAt on a day that does not exist', { startAt: '2027-02-29T09:00:00Z' }, 'body.startAt', null],
    ['startAt in words', { startAt: 'next tuesday' }, 'body.startAt', null],
    ['throttle 0', { throttle: 0 }, 'body.throttle', null],
    ['throttle above 100000', { throttle: 100_001 }, 'body.throttle', null],
    ['a fractional throttle', { throttle: 2.5 }, 'body.throttle', null],
    ['a throttle as a string', { throttle: '50' }, 'body.throttle', null],
  ])('%s → 400 VALIDATION_FAILED naming the field; nothing created', async (_label, extra, path, code) => {
    const incidentId = await newIncidentId();
    const before = await campaignCount();
    const body = {
      incidentId,
      kind: 'carrier-notice',
      channels: ['sms'],
      ...extra,
      ...('startAt' in extra && extra.startAt === 'FAR'
        ? { startAt: new Date(Date.now() + 31 * 86_400_000).toISOString() }
        : {}),
    };
    const r = await op('POST', '/v1/campaigns', body);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.error?.code).toBe('VALIDATION_FAILED');
    const details = r.body.error!.details as { path?: string; code?: string }[];
    expect(details.map((d) => d.path)).toContain(path);
    if (code) expect(details.map((d) => d.code)).toContain(code);
    expect(await campaignCount()).toBe(before);
  });
});

describe('start time, end to end', () => {
  it('startAt 5 s ahead → triggered and silent until then (through reconciles and a lost fan-out job), then every notice arrives exactly once, none before startAt', async () => {
    const startAt = new Date(Date.now() + 5_000);
    const id = await launchCampaign(stack.apiUrl, {
      channels: ['email', 'sms'],
      carriers,
      trigger: false,
      campaign: { startAt: startAt.toISOString() },
    });
    const t = await http(
      stack.apiUrl,
      'POST',
      `/v1/campaigns/${id}/trigger`,
      undefined,
      authHeaders('operator'),
    );
    expect(t.status, JSON.stringify(t.body)).toBe(202);
    expect(t.body).toMatchObject({ state: 'triggered', startsAt: startAt.toISOString() });
    expect(await auditDetails(id, 'campaign.triggered')).toMatchObject({
      startAt: startAt.toISOString(),
      startsAt: startAt.toISOString(),
      throttle: null,
    });
    const job = await stack.deps.queues.fanOut.getJob(jobIds.fanOut(id));
    expect(await job?.isDelayed()).toBe(true);

    // Redis loses the fan-out job: the reconciler puts it back, delayed to startAt, not started.
    expect(await stack.deps.queues.fanOut.remove(jobIds.fanOut(id))).toBe(1);
    const rec = await op('POST', `/v1/campaigns/${id}/reconcile`);
    expect(rec.status, JSON.stringify(rec.body)).toBe(200);
    expect(rec.body.fanOutRestarted).toBe(1);
    expect(await (await stack.deps.queues.fanOut.getJob(jobIds.fanOut(id)))?.isDelayed()).toBe(true);

    // Until startAt (less a margin for the poll itself), nothing: no ledger rows, no arrivals.
    let polls = 0;
    while (Date.now() < startAt.getTime() - 300) {
      const c = await getCampaign(stack.apiUrl, id);
      expect(c.state).toBe('triggered');
      expect(c.counts.total).toBe(0);
      expect(await arrivalsOf(stack.simUrl, id)).toEqual([]);
      expect((await op('POST', `/v1/campaigns/${id}/reconcile`)).body.fanOutRestarted).toBe(0);
      polls += 1;
      await sleep(250);
    }
    expect(polls).toBeGreaterThan(3);

    const done = await waitForState(stack.apiUrl, id, ['completed'], 60_000);
    expect(done.state).toBe('completed');
    expect(done.startAt).toBe(startAt.toISOString());
    const rows = await ledgerOf(stack.testDb.db, id);
    const arrivals = await arrivalsOf(stack.simUrl, id);
    expect(rows.length).toBeGreaterThan(50);
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    expectGroundTruth(id, rows, arrivals);
    const first = Math.min(...arrivals.map((a) => Date.parse(a.at)));
    expect(first).toBeGreaterThanOrEqual(startAt.getTime());
  });

  it('startAt already past at trigger → starts at once', async () => {
    const startAt = new Date(Date.now() - 3_600_000);
    const id = await launchCampaign(stack.apiUrl, {
      channels: ['sms'],
      carriers,
      trigger: false,
      campaign: { startAt: startAt.toISOString() },
    });
    const before = Date.now();
    const t = await op('POST', `/v1/campaigns/${id}/trigger`);
    expect(t.status, JSON.stringify(t.body)).toBe(202);
    // startsAt is the trigger's own instant (database clock), not the past startAt.
    expect(Date.parse(t.body.startsAt as string)).toBeGreaterThan(startAt.getTime() + 3_000_000);
    expect(await stack.deps.queues.fanOut.getJob(jobIds.fanOut(id)).then((j) => j?.isDelayed())).toBe(false);
    const done = await waitForState(stack.apiUrl, id, ['completed'], 60_000);
    expect(done.state).toBe('completed');
    const arrivals = await arrivalsOf(stack.simUrl, id);
    expectGroundTruth(id, await ledgerOf(stack.testDb.db, id), arrivals);
    expect(Math.min(...arrivals.map((a) => Date.parse(a.at))) - before).toBeLessThan(15_000);
  });

  it('ENDEX while it waits for startAt → nothing is ever materialised or sent, the fan-out at startAt is a no-op', async () => {
    const startAt = new Date(Date.now() + 3_000);
    const id = await launchCampaign(stack.apiUrl, {
      channels: ['sms'],
      carriers,
      campaign: { startAt: startAt.toISOString() },
    });
    expect((await getCampaign(stack.apiUrl, id)).state).toBe('triggered');
    const endex = await op('POST', `/v1/campaigns/${id}/endex`);
    expect(endex.status, JSON.stringify(endex.body)).toBe(200);
    await sleep(startAt.getTime() - Date.now() + 1_500);
    const c = await getCampaign(stack.apiUrl, id);
    expect(c.state).toBe('cancelled');
    expect(c.counts.total).toBe(0);
    expect(await arrivalsOf(stack.simUrl, id)).toEqual([]);
  });
});

describe('throttle, end to end', () => {
  it('throttle 10/s → arrivals at most 10/s (plus two chunks and the send-latency spread), through a worker restart; exactly once; an unthrottled campaign alongside is not held back', async () => {
    // Low enough that even the engine's small-chunk pace (a few dozen notifications a second on this
    // machine) is well above it: a throttle that did nothing would fail the bound below.
    const perSec = 10;
    const chunk = 1; // campaignChunkSize(10, 100): a tenth of a second's worth
    const [throttled, free] = await Promise.all([
      launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers, campaign: { throttle: perSec } }),
      launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers }),
    ]);
    expect(await auditDetails(throttled, 'campaign.triggered')).toMatchObject({ throttle: perSec });

    // The unthrottled campaign shares the same deliver queues and finishes while the throttled one
    // is still going: the throttle holds back its own campaign's jobs, not the queue.
    const freeDone = await waitForState(stack.apiUrl, free, ['completed'], 60_000);
    expect(freeDone.state).toBe('completed');
    const midway = await getCampaign(stack.apiUrl, throttled);
    const total = midway.counts.total;
    expect(total).toBeGreaterThan(80);
    expect((await arrivalsOf(stack.simUrl, throttled)).length).toBeLessThan(total);

    // Restart the workers half way: the throttle's schedule is in Redis, not in the process.
    await sleep(1_500);
    await generation!.close();
    generation = startWorkerGeneration();

    const done = await waitForState(stack.apiUrl, throttled, ['completed'], 90_000);
    expect(done.state).toBe('completed');
    const rows = await ledgerOf(stack.testDb.db, throttled);
    const arrivals = await arrivalsOf(stack.simUrl, throttled);
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    expectGroundTruth(throttled, rows, arrivals);

    // The bound. The throttle admits chunks (of `chunk`) into back-to-back stretches of chunk / perSec
    // seconds with one chunk of tolerance, so admissions in any window of W s number at most
    // perSec × W + 2 × chunk (campaign-throttle.ts). An arrival is its admission plus the send latency
    // (claim, render, HTTP or SMTP), which varies by up to ΔL; arrivals in a 1 s window come from
    // admissions in a window of 1 + ΔL s. ΔL: claims wait for the ledger's group commit and sends for
    // a pooled connection; 0.5 s is generous on a loaded 2-core machine. Bound: 10 × 1.5 + 2 = 17.
    // With the throttle switched off, the same campaign measured 35 here.
    const times = arrivals.map((a) => Date.parse(a.at));
    const deltaL = 0.5;
    const bound = Math.floor(perSec * (1 + deltaL)) + 2 * chunk;
    expect(maxInWindow(times, 1_000)).toBeLessThanOrEqual(bound);
    // And over the whole run: the last admission is at least (total - 2 × chunk) / perSec s after
    // the first.
    const span = (Math.max(...times) - Math.min(...times)) / 1000;
    expect(span).toBeGreaterThanOrEqual((arrivals.length - 2 * chunk) / perSec - deltaL);
    // The unthrottled campaign, for contrast, went faster than the throttle allows.
    const freeTimes = (await arrivalsOf(stack.simUrl, free)).map((a) => Date.parse(a.at));
    expect(maxInWindow(freeTimes, 1_000)).toBeGreaterThan(bound);
  });

  it('a throttled campaign’s rows waiting their turn → not re-driven as stranded, even by a reconciler whose stale limit is 0', async () => {
    const id = await launchCampaign(stack.apiUrl, {
      channels: ['email', 'sms'],
      carriers,
      campaign: { throttle: 2 },
    });
    const fannedOut = await waitForState(stack.apiUrl, id, ['running'], 30_000);
    expect(fannedOut.state).toBe('running');
    const deadline = Date.now() + 30_000;
    while (!(await getCampaign(stack.apiUrl, id)).fanOutDone && Date.now() < deadline) await sleep(100);
    await sleep(50); // every row is now older than a 0 ms stale limit
    const report = await reconcileCampaigns(
      {
        db: stack.testDb.db,
        queues: stack.deps.queues,
        adapters: stack.workers.adapters,
        logger: testLogger,
        chunkSize: stack.deps.config.CHUNK_SIZE,
        leaseMs: stack.deps.config.LEASE_MS,
        staleMs: 0,
        receiptTimeoutMs: stack.deps.config.RECEIPT_TIMEOUT_MS,
      },
      id,
    );
    // About 113 rows at 2/s: a minute of legitimate waiting. Without the throttle's backlog in the
    // stale limit, every one of them would be re-driven here.
    expect(report.redriven).toBe(0);
    const c = await getCampaign(stack.apiUrl, id);
    expect(c.counts.byState.pending ?? 0).toBeGreaterThan(50);
    expect((await op('POST', `/v1/campaigns/${id}/endex`)).status).toBe(200);
  });
});
