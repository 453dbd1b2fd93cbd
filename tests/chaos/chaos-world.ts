import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import { openDb } from '../../shared/store/open-db';
import type { Db } from '../../shared/store/db';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../scripts/lib/private-redis';
import { seedTestKeys } from '../helpers/api-harness';
import { uniqueName } from '../helpers/world';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

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
  note(event: string): void;
  startWorker(i: number, extra?: Record<string, string>): ChildProcess;
  killWorker(i: number): void;
  restartApi(): Promise<void>;
  restartRedis(): Promise<void>;
  deleteQueueKeys(): Promise<number>;
  putFaults(body: unknown): Promise<void>;
  close(): Promise<void>;
}

async function waitHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

/**
 * Real processes for the chaos suite: api, two workers and the carrier-sim, against a private
 * redis-server (it gets restarted) and PostgreSQL reached through a TCP proxy (it gets cut), with
 * their own schema and queue prefix. The shared Redis and PostgreSQL are never touched.
 */
export async function startChaosWorld(
  label: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ChaosWorld> {
  const history: { at: string; event: string }[] = [];
  const note = (event: string) => history.push({ at: new Date().toISOString(), event });
  const redisDir = mkdtempSync(path.join(os.tmpdir(), 'bd-chaos-redis-'));
  let redis = await startPrivateRedis({ dir: redisDir, persist: true });
  const pgUrl = new URL(databaseUrl);
  const pg = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
  const proxiedUrl = new URL(databaseUrl);
  proxiedUrl.host = `127.0.0.1:${pg.port}`;
  const schema = uniqueName(label);
  const prefix = uniqueName(label);
  // The checker's own connection goes straight to PostgreSQL, so cuts do not blind it.
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
    LEASE_MS: '4000',
    STALLED_INTERVAL_MS: '2000',
    RECONCILE_INTERVAL_MS: '2000',
    RECEIPT_TIMEOUT_MS: '15000',
    RATE_LIMIT_PER_MIN: '100000',
    ...env,
  });
  const spawnTs = (entry: string, extra: Record<string, string> = {}) =>
    spawn(process.execPath, ['--import', 'tsx', entry], {
      env: { ...baseEnv(), ...extra },
      stdio: ['ignore', 'ignore', 'inherit'],
    });

  const sim = spawnTs('services/carrier-sim/main.ts');
  await waitHttp(`${simUrl}/stats`);
  let api = spawnTs('services/api/main.ts');
  await waitHttp(`${apiUrl}/healthz`);
  note('started carrier-sim, api');
  const workers: (ChildProcess | undefined)[] = [];

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
    note,
    startWorker(i, extra = {}) {
      const w = spawnTs('workers/main.ts', extra);
      workers[i] = w;
      note(`worker ${i} started (pid ${w.pid})`);
      return w;
    },
    killWorker(i) {
      const w = workers[i];
      if (w && w.exitCode === null && w.signalCode === null) {
        w.kill('SIGKILL');
        note(`worker ${i} SIGKILL (pid ${w.pid})`);
      }
    },
    async restartApi() {
      await stop(api, 'SIGKILL');
      note('api SIGKILL');
      api = spawnTs('services/api/main.ts');
      await waitHttp(`${apiUrl}/healthz`);
      note('api restarted');
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
      rmSync(redisDir, { recursive: true, force: true });
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
      await db.close();
    },
  };
  return world;
}
