import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseUrl } from '../helpers/world';
import { authHeaders } from '../helpers/api-harness';
import { launchCampaign, seedSubscribers } from '../helpers/campaign-kit';
import { generatePopulation } from '../../shared/population/generate-population';
import { populationText } from '../../shared/population/write-population';
import { startChaosWorld, type ChaosWorld } from './chaos-world';
import { checkChaos } from './chaos-checker';
import { sendUntilAnswered } from './replaying-client';

/**
 * The chaos suite (`npm run test:chaos`): real api, two worker processes and the carrier-sim,
 * seeded fault schedules during a campaign of CHAOS_SUBSCRIBERS subscribers × 2 channels, judged
 * against the carrier-sim's arrivals and the audit chain. Each scenario writes its history and
 * verdict to tests/artifacts/chaos/<scenario>-<seed>.json. Replay a failure with its seed:
 * `npm run test:chaos -- --seed <seed> -t <scenario>` (or CHAOS_SEED=<seed>).
 */
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 1_000_000);
const SUBSCRIBERS = Number(process.env.CHAOS_SUBSCRIBERS ?? 20_000);
/** A campaign still running this long after its trigger fails the scenario, in ms. */
const CAMPAIGN_DEADLINE_MS = 480_000;
const CARRIERS = [
  'northwind-mobile',
  'bluecrest-wireless',
  'prairie-link',
  'harborview-cellular',
  'redrock-comms',
  'lakeshore-mobile',
  'summitwave',
  'cedar-valley',
  'tidewater-telecom',
];
console.log(
  `chaos seed ${SEED} (replay: npm run test:chaos -- --seed ${SEED}), ${SUBSCRIBERS} subscribers × 2 channels`,
);

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/** FNV-1a: each scenario draws its own stream from the seed. */
function hashOf(s: string): number {
  let h = 0x811c9dc5;
  for (const c of s) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return h >>> 0;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const loadAverage = () => os.loadavg().map((l) => Math.round(l * 100) / 100);

let world: ChaosWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

interface Scenario {
  name: string;
  env?: Record<string, string>;
  workerEnv?: Record<string, string>;
  /** Registers the audience and triggers the campaign; by default, seeded into the store and launched. */
  start?(w: ChaosWorld, rnd: () => number): Promise<number>;
  /** Runs while the campaign is under way; returns when its faults are over. */
  faults(w: ChaosWorld, rnd: () => number, done: () => boolean): Promise<void>;
  /** The scenario's own findings once the campaign is over, for the artifact. */
  check?(w: ChaosWorld, campaignId: number): Promise<Record<string, unknown>>;
  /** Its assertions on them, run once the artifact is written. */
  verify?(found: Record<string, unknown>, campaignId: number): void;
}

async function campaignState(w: ChaosWorld, id: number): Promise<string> {
  const r = await w.db.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [id]);
  return r.rows[0]?.state ?? 'missing';
}

async function ledgerStates(w: ChaosWorld, id: number): Promise<Record<string, number>> {
  const r = await w.db.query<{ state: string; n: number }>(
    'SELECT state, count(*)::int AS n FROM notification WHERE campaign_id = $1 GROUP BY state ORDER BY state',
    [id],
  );
  return Object.fromEntries(r.rows.map((row) => [row.state, row.n]));
}

async function seedAndLaunch(w: ChaosWorld): Promise<number> {
  await seedSubscribers(w.db, { count: SUBSCRIBERS, seed: SEED, carriers: CARRIERS });
  return launchCampaign(w.apiUrl, { channels: ['email', 'sms'], carriers: CARRIERS });
}

async function run(s: Scenario): Promise<void> {
  const url = databaseUrl();
  if (!url) throw new Error('the chaos suite needs PostgreSQL: set DATABASE_URL (workers refuse PGlite)');
  const rnd = mulberry32(SEED ^ hashOf(s.name));
  const loadAtStart = loadAverage();
  const began = Date.now();
  world = await startChaosWorld(`chaos${s.name.replace(/[^a-z]/g, '').slice(0, 10)}`, url, s.env);
  const w = world;
  // Keep two workers alive; a dead one (killed, or crashed by a test hook) is restarted at once.
  const procs = [w.startWorker(0, s.workerEnv), w.startWorker(1, s.workerEnv)];
  let stopped = false;
  const supervisor = (async () => {
    while (!stopped) {
      for (const i of [0, 1]) {
        if (procs[i]!.exitCode !== null || procs[i]!.signalCode !== null)
          procs[i] = w.startWorker(i, s.workerEnv);
      }
      await sleep(100);
    }
  })();
  const id = await (s.start ?? seedAndLaunch)(w, rnd);
  const started = Date.now();
  w.note(`campaign ${id} triggered`);
  let finished = false;
  let lastFaultAt = 0;
  const faults = s
    .faults(w, rnd, () => finished)
    .then(() => {
      lastFaultAt = Date.now();
      w.note('faults over');
    });
  const deadline = Date.now() + CAMPAIGN_DEADLINE_MS;
  let state = await campaignState(w, id);
  let progressAt = Date.now();
  while (state !== 'completed' && Date.now() < deadline) {
    await sleep(250);
    state = await campaignState(w, id);
    if (Date.now() - progressAt >= 5000) {
      progressAt = Date.now();
      w.note(`ledger ${JSON.stringify(await ledgerStates(w, id))}`);
    }
  }
  const completedAt = Date.now();
  finished = true;
  await faults;
  stopped = true;
  await supervisor;
  const verdict = await checkChaos(w.db, w.simUrl, id);
  const extra = s.check ? await s.check(w, id) : {};
  const startups = [...w.workerStartupsMs].sort((a, b) => a - b);
  const report = {
    scenario: s.name,
    seed: SEED,
    subscribers: SUBSCRIBERS,
    campaignState: state,
    scenarioMs: Date.now() - began,
    campaignMs: completedAt - started,
    settleMsAfterLastFault: Math.max(0, completedAt - lastFaultAt),
    loadAverage: { atStart: loadAtStart, atEnd: loadAverage() },
    workerStarts: {
      count: startups.length,
      medianMs: startups[Math.floor(startups.length / 2)] ?? null,
      maxMs: startups.at(-1) ?? null,
    },
    verdict: {
      ...verdict,
      lost: verdict.lost.slice(0, 50),
      duplicated: verdict.duplicated.slice(0, 50),
      unexpected: verdict.unexpected.slice(0, 50),
      auditMissing: verdict.auditMissing.slice(0, 50),
      auditPhantom: verdict.auditPhantom.slice(0, 50),
    },
    scenarioChecks: extra,
    history: w.history,
  };
  mkdirSync('tests/artifacts/chaos', { recursive: true });
  writeFileSync(`tests/artifacts/chaos/${s.name}-${SEED}.json`, JSON.stringify(report, null, 2));
  console.log(
    `${s.name} (seed ${SEED}): ${state}, campaign ${report.campaignMs} ms, settle ${report.settleMsAfterLastFault} ms after the last fault, ` +
      `scenario ${report.scenarioMs} ms, load ${loadAtStart.join('/')} → ${report.loadAverage.atEnd.join('/')}, ` +
      `worker starts ${startups.length} (median ${report.workerStarts.medianMs} ms, max ${report.workerStarts.maxMs} ms); ` +
      `${verdict.targets} targets, ${verdict.arrivals} arrivals, lost ${verdict.lost.length}, dup ${verdict.duplicated.length}, ` +
      `unexpected ${verdict.unexpected.length}, audit-missing ${verdict.auditMissing.length}, audit-phantom ${verdict.auditPhantom.length}, ` +
      `chain ${verdict.chain.ok ? 'ok' : `broken at ${verdict.chain.firstBadSeq}`} ${JSON.stringify(verdict.byState)}` +
      (s.check ? ` ${JSON.stringify(extra)}` : ''),
  );
  expect(state).toBe('completed');
  expect(verdict.targets).toBeGreaterThan(SUBSCRIBERS); // one per subscriber × channel they have
  expect(verdict.lost).toEqual([]);
  expect(verdict.duplicated).toEqual([]);
  expect(verdict.unexpected).toEqual([]);
  expect(verdict.auditMissing).toEqual([]);
  expect(verdict.auditPhantom).toEqual([]);
  expect(verdict.chain).toMatchObject({ ok: true });
  s.verify?.(extra, id);
}

/**
 * Scenario 8's start: the audience is registered by a bulk import through the api, and the api is
 * killed in the middle of it (the upload stalls after half the rows, so batches have committed and
 * the rest is pending); the campaign is then triggered by an api that dies right after the trigger
 * commits (BD_TEST_CRASH_AFTER_TRIGGER). Both clients replay with their Idempotency-Key until
 * answered. What they got is kept for the checks.
 */
const apiRestart = {
  importAnswer: undefined as Awaited<ReturnType<typeof sendUntilAnswered>> | undefined,
  importReplay: undefined as Awaited<ReturnType<typeof sendUntilAnswered>> | undefined,
  triggerAnswer: undefined as Awaited<ReturnType<typeof sendUntilAnswered>> | undefined,
  triggerReplay: undefined as Awaited<ReturnType<typeof sendUntilAnswered>> | undefined,
};

async function registeredBatches(w: ChaosWorld): Promise<number> {
  const r = await w.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_log WHERE type = 'subscriber.registered'`,
  );
  return r.rows[0]?.n ?? 0;
}

async function importThenTriggerWithRestarts(w: ChaosWorld): Promise<number> {
  const operator = authHeaders('operator');
  const people = [...generatePopulation({ count: SUBSCRIBERS, seed: SEED, carriers: CARRIERS })];
  const chunks = [...populationText(people, 'ndjson')];
  const body = chunks.join('');
  const half = chunks.slice(0, Math.ceil(chunks.length / 2)).join('');
  const importKey = `chaos-import-${SEED}`;
  const bulkUrl = `${w.apiUrl}/v1/subscribers/bulk`;
  const bulkInit = (first: boolean): RequestInit =>
    ({
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': importKey, ...operator },
      // The first upload sends half the rows and then stalls, as a slow client would: the api dies
      // with batches committed and the rest of the import still to come.
      body: first
        ? new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(new TextEncoder().encode(half));
            },
          })
        : body,
      duplex: 'half',
    }) as RequestInit;
  const importing = sendUntilAnswered(bulkUrl, (attempt) => bulkInit(attempt === 1), { timeoutMs: 180_000 });
  const until = Date.now() + 120_000;
  while ((await registeredBatches(w)) === 0 && Date.now() < until) await sleep(25);
  w.note(`bulk import: ${await registeredBatches(w)} batches committed, killing the api`);
  await w.restartApi();
  apiRestart.importAnswer = await importing;
  w.note(
    `bulk import answered ${apiRestart.importAnswer.status} after ${apiRestart.importAnswer.retries.join(',')}`,
  );
  apiRestart.importReplay = await sendUntilAnswered(bulkUrl, () => bulkInit(false), { timeoutMs: 60_000 });

  // The campaign, approved but not triggered; then the trigger, by an api that dies once it commits.
  const id = await launchCampaign(w.apiUrl, {
    channels: ['email', 'sms'],
    carriers: CARRIERS,
    trigger: false,
  });
  await w.killApi();
  await w.startApi({ BD_TEST_CRASH_AFTER_TRIGGER: '1' });
  w.note('api restarted with the crash-after-trigger hook');
  const triggerKey = `chaos-trigger-${SEED}`;
  const triggerUrl = `${w.apiUrl}/v1/campaigns/${id}/trigger`;
  const triggerInit = (): RequestInit => ({
    method: 'POST',
    headers: { 'idempotency-key': triggerKey, ...operator },
  });
  const first = await fetch(triggerUrl, triggerInit()).then(
    (res) => `answered ${res.status}`,
    () => 'died',
  );
  if (first !== 'died') throw new Error(`the api ${first} a trigger it should have died on`);
  w.note('trigger sent; the api died after committing it');
  await w.killApi();
  const triggering = sendUntilAnswered(triggerUrl, triggerInit, { timeoutMs: 120_000 });
  await w.startApi();
  apiRestart.triggerAnswer = await triggering;
  w.note(
    `trigger answered ${apiRestart.triggerAnswer.status} after ${apiRestart.triggerAnswer.retries.join(',')}`,
  );
  apiRestart.triggerReplay = await sendUntilAnswered(triggerUrl, triggerInit, { timeoutMs: 60_000 });
  return id;
}

async function apiRestartChecks(w: ChaosWorld, id: number): Promise<Record<string, unknown>> {
  const { importAnswer, importReplay, triggerAnswer, triggerReplay } = apiRestart;
  const subscribers = await w.db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscribers');
  const registered = await w.db.query<{ accepted: number; batches: number }>(
    `SELECT coalesce(sum((details->>'accepted')::int), 0)::int AS accepted, count(*)::int AS batches
       FROM audit_log WHERE type = 'subscriber.registered' AND outcome = 'bulk'`, // per batch; import-finished sums them
  );
  const triggered = await w.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_log WHERE type = 'campaign.triggered' AND campaign_id = $1`,
    [id],
  );
  return {
    subscribers: subscribers.rows[0]?.n,
    auditedAsNew: registered.rows[0]?.accepted,
    registeredBatches: registered.rows[0]?.batches,
    importAnswer,
    importReplay: {
      status: importReplay?.status,
      replayed: importReplay?.replayed,
      body: importReplay?.body,
    },
    triggeredEvents: triggered.rows[0]?.n,
    triggerAnswer,
    triggerReplay: {
      status: triggerReplay?.status,
      replayed: triggerReplay?.replayed,
      body: triggerReplay?.body,
    },
  };
}

function verifyApiRestart(found: Record<string, unknown>, id: number): void {
  const { importAnswer, importReplay, triggerAnswer, triggerReplay } = apiRestart;
  // The import: the first attempt died, a replay finished it, every row registered (and audited as
  // new) exactly once, and a further replay answers the same without registering anything.
  expect(importAnswer?.retries[0]).toBe('connection');
  expect(importAnswer?.status).toBe(200);
  expect(importAnswer?.body).toMatchObject({ rows: SUBSCRIBERS, rejected: 0, complete: true });
  // What the dead request committed is found registered by the replay, not registered again.
  expect((importAnswer?.body as { unchanged: number }).unchanged).toBeGreaterThan(0);
  expect(found.subscribers).toBe(SUBSCRIBERS);
  expect(found.auditedAsNew).toBe(SUBSCRIBERS);
  expect(importReplay).toMatchObject({ status: 200, replayed: true, body: importAnswer?.body });
  // The trigger: one trigger, and the replays answer the 202 the first request never delivered.
  expect(triggerAnswer?.retries[0]).toBe('connection');
  expect(triggerAnswer).toMatchObject({ status: 202, body: { id, state: 'triggered' } });
  expect(found.triggeredEvents).toBe(1);
  expect(triggerReplay).toMatchObject({ status: 202, replayed: true, body: triggerAnswer?.body });
}

const scenarios: Scenario[] = [
  {
    name: 'kill-workers',
    async faults(w, rnd, done) {
      // Every 2 s the worker that has lived longer dies (the supervisor restarts it at once), so each
      // process lives about 4 s; which one dies first, and each kill's moment within ±0.5 s, are drawn
      // from the seed. A kill waits while the other worker is still starting, so one is always at
      // work: on a machine loaded enough that a start takes longer than 2 s, kills come later than
      // planned rather than never letting a worker work (the history says how late).
      let victim = rnd() < 0.5 ? 0 : 1;
      let due = Date.now();
      while (!done()) {
        due += 2000 + (rnd() - 0.5) * 1000;
        await sleep(Math.max(0, due - Date.now()));
        while (!done() && !w.workerReady(1 - victim)) await sleep(50);
        if (done()) break;
        const late = Date.now() - due;
        if (late > 250) w.note(`kill ${late} ms late: worker ${1 - victim} was still starting`);
        due = Math.max(due, Date.now());
        w.killWorker(victim);
        victim = 1 - victim;
      }
    },
  },
  {
    name: 'crash-between-send-and-record',
    workerEnv: { BD_TEST_CRASH_AFTER_SEND: '0.01' },
    async faults(_w, _rnd, done) {
      while (!done()) await sleep(500);
    },
  },
  {
    name: 'redis-restart',
    async faults(w, rnd) {
      await sleep(2000 + rnd() * 2000);
      await w.restartRedis();
    },
  },
  {
    name: 'queue-keys-deleted',
    async faults(w, rnd) {
      await sleep(2000 + rnd() * 2000);
      await w.deleteQueueKeys();
    },
  },
  {
    name: 'gateway-faults',
    async faults(w, rnd) {
      const down = CARRIERS[Math.floor(rnd() * CARRIERS.length)]!;
      await w.putFaults({
        seed: SEED,
        all: { sms: { errorRates: { '500': 0.2, '503': 0.1 } } },
        carriers: {
          [down]: { sms: { outage: { forMs: 30_000, status: 503 } } },
          summitwave: { sms: { submitLimit: { ratePerSec: 50, burst: 50 } } },
          'cedar-valley': { sms: { submitLimit: { ratePerSec: 50, burst: 50 } } },
        },
      });
      await sleep(30_000);
      await w.putFaults({});
    },
  },
  {
    name: 'smtp-faults',
    async faults(w) {
      await w.putFaults({ seed: SEED, all: { email: { errorRates: { '451': 0.2, '550': 0.02 } } } });
      await sleep(20_000);
      await w.putFaults({});
    },
  },
  {
    name: 'receipt-faults',
    async faults(w) {
      await w.putFaults({
        seed: SEED,
        all: { sms: { receipts: { duplicateRate: 0.3, reorder: true, delayMs: 500, dropRate: 0.1 } } },
      });
      await sleep(20_000);
      await w.putFaults({});
    },
  },
  {
    name: 'postgres-cut',
    async faults(w, rnd) {
      await sleep(2000 + rnd() * 2000);
      w.note('postgres connections cut for 10 s');
      await w.pg.cut(10_000);
      w.note('postgres reachable again');
    },
  },
  {
    name: 'api-restart',
    start: importThenTriggerWithRestarts,
    async faults() {
      // The api's deaths are in start: during the import, and right after the trigger commits.
    },
    check: apiRestartChecks,
    verify: verifyApiRestart,
  },
];

describe('chaos: faults lose nothing and duplicate nothing', () => {
  for (const s of scenarios) {
    it(`${s.name} → 0 lost, 0 duplicated, 0 unexpected, audit complete, chain intact`, () => run(s), 600_000);
  }
});
