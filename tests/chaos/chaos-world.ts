import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import os from 'node:os';
import path from 'node:path';
import { appendFileSync, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { openDb } from '../../shared/store/open-db';
import type { Db } from '../../shared/store/db';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../scripts/lib/private-redis';
import { seedTestKeys } from '../helpers/api-harness';
import { uniqueName } from '../helpers/world';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';
import { buildEntries, type EntryName } from '../../scripts/lib/build-entries';

const SECRET = 'chaos-webhook-secret-0123456789';

export interface ChaosWorld {
  apiUrl: string;
  simUrl: string;
  db: Db;
  schema: string;
  redis: PrivateRedis;
  pg: TcpProxy;
  prefix: string;
  /** Every process start, kill and fault, with its time: written to the artifacts. */
  history: { at: string; event: string }[];
  /** How long each worker start took until it said `workers running`, in ms. */
  workerStartupsMs: number[];
  note(event: string): void;
  startWorker(i: number, extra?: Record<string, string>): ChildProcess;
  killWorker(i: number): void;
  /** Worker i is alive and has said `workers running`. */
  workerReady(i: number): boolean;
  /** SIGKILL the api now, without waiting for anything. */
  killApi(): Promise<void>;
  /** Starts the api (again) and waits until it answers; `extra` env for this start only. */
  startApi(extra?: Record<string, string>): Promise<void>;
  restartApi(): Promise<void>;
  restartRedis(): Promise<void>;
  deleteQueueKeys(): Promise<number>;
  putFaults(body: unknown): Promise<void>;
  close(): Promise<void>;
}

async function waitHttp(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

let bundles: Promise<Record<EntryName, string>> | undefined;
// Its own directory, so a chaos run never rebuilds the bundles a running `npm start` uses.
const CHAOS_DIST_DIR = path.resolve('node_modules/.cache/breach-drill-chaos');

/**
 * Real processes for the chaos suite: api, two workers and the carrier-sim, against a private
 * redis-server (it gets restarted) and PostgreSQL reached through a TCP proxy (it gets cut), with
 * their own schema and queue prefix. The shared Redis and PostgreSQL are never touched. The
 * processes run from bundles built once per run (scripts/lib/build-entries.ts), so a restart takes about a
 * second even on a loaded machine.
 */
export async function startChaosWorld(
  label: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ChaosWorld> {
  const entries = await (bundles ??= buildEntries(CHAOS_DIST_DIR));
  const history: { at: string; event: string }[] = [];
  const note = (event: string) => history.push({ at: new Date().toISOString(), event });
  const workerStartupsMs: number[] = [];
  const redisDir = mkdtempSync(path.join(os.tmpdir(), 'bd-chaos-redis-'));
  let redis = await startPrivateRedis({ dir: redisDir, persist: true });
  const pgUrl = new URL(databaseUrl);
  const pg = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const proxiedUrl = new URL(databaseUrl);
  proxiedUrl.host = `127.0.0.1:${pg.port}`;
  const schema = uniqueName(label);
  const prefix = uniqueName(label);
  // The checker's own connection goes straight to PostgreSQL, so cuts do not blind it. Migrating the
  // schema here means the processes find it done and never wait for the migration lock.
  const db = await openDb({ databaseUrl, schema, poolSize: 4, dataDir: 'memory' });
  await seedTestKeys(db);
  const [apiPort, simPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const simUrl = `http://127.0.0.1:${simPort}`;
  const baseEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: redis.url,
    DATABASE_URL: proxiedUrl.toString(),
    DATABASE_SCHEMA: schema,
    QUEUE_PREFIX: prefix,
    API_PORT: String(apiPort),
    API_URL: apiUrl,
    CARRIER_SIM_PORT: String(simPort),
    CARRIER_SIM_SMTP_PORT: String(smtpPort),
    CARRIER_SIM_URL: simUrl,
    SMTP_PORT: String(smtpPort),
    WEBHOOK_SECRET: SECRET,
    RETRY_BASE_DELAY_MS: '300',
    RETRY_MAX_ATTEMPTS: '40',
    RETRY_MAX_DELAY_MS: '3000',
    LEASE_MS: '4000',
    STALLED_INTERVAL_MS: '2000',
    // Soon after each (re)start: a worker killed every 4 s must still finish reconcile passes.
    RECONCILE_INTERVAL_MS: '500',
    RECEIPT_TIMEOUT_MS: '15000',
    RATE_LIMIT_PER_MIN: '100000',
    // One chunk job per queue per process: email jobs wait active for one of a process's few SMTP
    // slots, and every job active in a process that is killed stalls and waits out its lock. More
    // pooled connections, since each process now has fewer jobs under way.
    DELIVER_CONCURRENCY: '1',
    SMTP_POOL_SIZE: '8',
    ...env,
  });
  // The processes' stderr (faults make them log connection errors by the hundred) goes to a file
  // beside the scenario's artifact rather than into the test output.
  mkdirSync('tests/artifacts/chaos', { recursive: true });
  const stderrLog = createWriteStream(`tests/artifacts/chaos/${label}-stderr.log`);
  const spawnEntry = (
    name: EntryName,
    extra: Record<string, string> = {},
    stdout: 'ignore' | 'pipe' = 'ignore',
  ) => {
    const child = spawn(process.execPath, [entries[name]], {
      env: { ...baseEnv(), ...extra },
      stdio: ['ignore', stdout, 'pipe'],
    });
    child.stderr!.pipe(stderrLog, { end: false });
    return child;
  };

  const sim = spawnEntry('carrier-sim');
  await waitHttp(`${simUrl}/stats`);
  let api = spawnEntry('api');
  await waitHttp(`${apiUrl}/healthz`);
  note('started carrier-sim, api');
  const workers: (ChildProcess | undefined)[] = [];
  // CHAOS_WORKER_LOG=1 keeps the workers' info logs (reconciles, resolved claims) for a diagnosis.
  const workerLog = process.env.CHAOS_WORKER_LOG ? `tests/artifacts/chaos/${label}-workers.log` : null;
  if (workerLog) mkdirSync(path.dirname(workerLog), { recursive: true });
  const ready = new Set<ChildProcess>();

  const stop = (c: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<void>((resolve) => {
      if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
      const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
      c.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      c.kill(signal);
    });

  const world: ChaosWorld = {
    apiUrl,
    simUrl,
    db,
    schema,
    get redis() {
      return redis;
    },
    pg,
    prefix,
    history,
    workerStartupsMs,
    note,
    startWorker(i, extra = {}) {
      const started = Date.now();
      // Info level only to see `workers running`: the time to ready is the figure that matters here.
      const w = spawnEntry('workers', { LOG_LEVEL: 'info', ...extra }, 'pipe');
      workers[i] = w;
      note(`worker ${i} started (pid ${w.pid})`);
      createInterface({ input: w.stdout! }).on('line', (line) => {
        if (workerLog) appendFileSync(workerLog, `${i} ${line}\n`);
        if (ready.has(w) || !line.includes('"workers running"')) return;
        ready.add(w);
        workerStartupsMs.push(Date.now() - started);
        note(`worker ${i} ready in ${Date.now() - started} ms (pid ${w.pid})`);
      });
      return w;
    },
    killWorker(i) {
      const w = workers[i];
      if (w && w.exitCode === null && w.signalCode === null) {
        w.kill('SIGKILL');
        ready.delete(w);
        note(`worker ${i} SIGKILL (pid ${w.pid})`);
      }
    },
    workerReady(i) {
      const w = workers[i];
      return Boolean(w && ready.has(w) && w.exitCode === null && w.signalCode === null);
    },
    async killApi() {
      await stop(api, 'SIGKILL');
      note(`api SIGKILL (pid ${api.pid})`);
    },
    async startApi(extra = {}) {
      const started = Date.now();
      api = spawnEntry('api', extra);
      await waitHttp(`${apiUrl}/healthz`);
      note(`api ready in ${Date.now() - started} ms (pid ${api.pid})`);
    },
    async restartApi() {
      await world.killApi();
      await world.startApi();
    },
    async restartRedis() {
      // Same port and AOF directory: a restart, not a new Redis.
      const port = redis.port;
      await redis.stop();
      note('redis stopped');
      await new Promise((r) => setTimeout(r, 1000));
      redis = await startPrivateRedis({ dir: redisDir, persist: true, port });
      note('redis restarted');
    },
    async deleteQueueKeys() {
      const r = new Redis(redis.url);
      const keys = await r.keys(`${prefix}:*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
      note(`deleted ${keys.length} BullMQ keys`);
      return keys.length;
    },
    async putFaults(body) {
      const res = await fetch(`${simUrl}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`PUT /faults ${res.status}: ${await res.text()}`);
      note(`faults ${JSON.stringify(body)}`);
    },
    async close() {
      await Promise.all([...workers.map((w) => stop(w)), stop(api), stop(sim)]);
      await pg.close();
      await redis.stop();
      stderrLog.end();
      rmSync(redisDir, { recursive: true, force: true });
      // CHAOS_KEEP_SCHEMA=1 leaves the schema for a look at the ledger and the audit log.
      if (process.env.CHAOS_KEEP_SCHEMA) note(`schema ${schema} kept`);
      else await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.close();
    },
  };
  return world;
}
