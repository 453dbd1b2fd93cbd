import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import {
  arrivalsOf,
  expectExactlyOnce,
  launchCampaign,
  ledgerOf,
  seedSubscribers,
  waitForState,
} from '../helpers/campaign-kit';
import { databaseUrl, testLogger } from '../helpers/world';
import { claimChunk } from '../../shared/ledger/claim-chunk';
import { materializePage } from '../../shared/ledger/materialize-page';
import { deliverChunk } from '../../workers/deliver/deliver-chunk';
import { createCampaignContextCache } from '../../workers/deliver/notice-context';
import { toChunks } from '../../workers/fan-out/fan-out-campaign';

const carriers = ['harborview-cellular', 'redrock-comms'];

describe('exactly one notice per person under concurrency and lost state', () => {
  let stack: InProcessStack;
  beforeAll(async () => {
    stack = await startInProcessStack('crash', { RECONCILE_INTERVAL_MS: '500', LEASE_MS: '2000' });
    await seedSubscribers(stack.testDb.db, { count: 60, seed: 21, carriers });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('the same chunk job run twice at once → one arrival per notification', async () => {
    const db = stack.testDb.db;
    const id = await launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers, trigger: false });
    // Drive the stages by hand so both runs get exactly the same chunk.
    const c = await db.query<{ incident_id: number }>(
      `UPDATE campaigns SET state = 'running' WHERE id = $1 RETURNING incident_id`,
      [id],
    );
    const page = await materializePage(db, {
      campaignId: id,
      incidentId: c.rows[0]!.incident_id,
      channels: ['email', 'sms'],
      audience: { carriers },
      afterSubscriberId: 0,
      pageSize: 1000,
    });
    const chunks = toChunks(id, page.rows, 100);
    const deps = {
      db,
      adapters: stack.workers.adapters,
      contexts: createCampaignContextCache(db),
      marker: stack.deps.config.EXERCISE_MARKER,
      leaseMs: 30_000,
      retry: { maxAttempts: 8, baseDelayMs: 100 },
      enqueueRetries: async () => undefined,
      logger: testLogger,
      actor: 'test',
    };
    const results = await Promise.all(
      chunks.flatMap((ch) => [deliverChunk(ch.data, deps), deliverChunk(ch.data, deps)]),
    );
    const claimed = results.reduce(
      (n, r) => n + (r.kind === 'done' || r.kind === 'recheck' ? r.claimed : 0),
      0,
    );
    // A run that found rows claimed by its twin keeps just those, to look at after the lease.
    for (const r of results) if (r.kind === 'recheck') expect(r.waitMs).toBeGreaterThan(0);
    expect(claimed).toBe(page.rows.length);
    const arrivals = await arrivalsOf(stack.simUrl, id);
    expect(arrivals.length).toBe(page.rows.length);
    expect(new Set(arrivals.map((a) => a.key)).size).toBe(arrivals.length);
    // A third run finds nothing left to claim.
    const again = await claimChunk(db, {
      campaignId: id,
      ids: chunks[0]!.data.ids,
      leaseMs: 1000,
      actor: 'test',
    });
    expect(again.claimed).toHaveLength(0);
  });

  it('the BullMQ keys of a running campaign deleted → the reconciler completes it, no duplicate', async () => {
    await fetch(`${stack.simUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ all: { sms: { submitLimit: { ratePerSec: 30, burst: 30 } } } }),
    });
    const id = await launchCampaign(stack.apiUrl, { channels: ['sms'], carriers });
    await waitForState(stack.apiUrl, id, ['running']);
    await new Promise((r) => setTimeout(r, 700));
    const redis = stack.deps.redis;
    const keys = await redis.keys(`${stack.deps.config.QUEUE_PREFIX}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    const c = await waitForState(stack.apiUrl, id, ['completed'], 60_000);
    await fetch(`${stack.simUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(c.state).toBe('completed');
    expectExactlyOnce(id, await ledgerOf(stack.testDb.db, id), await arrivalsOf(stack.simUrl, id));
  });
});

// A separate worker process needs a database it can share: PostgreSQL (PGlite serves one process).
describe.runIf(Boolean(databaseUrl()))('a worker process killed between a send and its record', () => {
  let stack: InProcessStack;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    stack = await startInProcessStack('kill', { STALLED_INTERVAL_MS: '1000', LEASE_MS: '2000' }, 1, {
      inProcessWorkers: false,
    });
    await seedSubscribers(stack.testDb.db, { count: 60, seed: 31, carriers });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await stack?.close();
  });

  function spawnWorker(extra: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], {
      env: stack.workerEnv({ RECONCILE_INTERVAL_MS: '500', ...extra }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    return child;
  }

  it('SIGKILL mid-chunk → a second worker resolves the stuck claims by asking the sink → no loss, no duplicate', async () => {
    const crasher = spawnWorker({ BD_TEST_CRASH_AFTER_SEND: '1' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      crasher.once('exit', (_code, signal) => resolve(signal)),
    );
    const id = await launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers });
    expect(await exited).toBe('SIGKILL');
    const stuck = await stack.testDb.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM notification WHERE campaign_id = $1 AND state = 'sending'`,
      [id],
    );
    expect(stuck.rows[0]!.n).toBeGreaterThan(0); // it really died holding claims
    const arrivedBefore = (await arrivalsOf(stack.simUrl, id)).length;
    expect(arrivedBefore).toBeGreaterThan(0); // ...after its messages had left

    spawnWorker();
    const c = await waitForState(stack.apiUrl, id, ['completed'], 90_000);
    expect(c.state).toBe('completed');
    const rows = await ledgerOf(stack.testDb.db, id);
    expect(rows.every((r) => r.state === 'delivered')).toBe(true);
    expectExactlyOnce(id, rows, await arrivalsOf(stack.simUrl, id));
  }, 180_000);
});
