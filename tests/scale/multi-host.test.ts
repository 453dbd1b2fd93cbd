import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { openDb } from '../../shared/store/open-db';
import type { Db } from '../../shared/store/db';
import { CARRIERS } from '../../shared/carriers';
import { generateSigningKey } from '../../shared/audit/signing-key';
import { seedTestKeys } from '../helpers/api-harness';
import { launchCampaign, seedSubscribers } from '../helpers/campaign-kit';
import { uniqueName } from '../helpers/world';
import { checkChaos } from '../chaos/chaos-checker';
import { createNetLab, type NetLab } from './net-lab';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres';
import { startLabRedis, type LabRedis } from './redis-servers';
import { startOnHost, waitHttp, type LabProcess } from './lab-process';

/**
 * Several hosts (issue 12): the api, two worker processes and the carrier-sim each run in a network
 * namespace of their own, with their own address and their own DATA_DIR, against one Redis and one
 * PostgreSQL on the lab network (private to this test: the machine's own servers listen on loopback
 * only). Nothing reaches anything over loopback. Every host gets the same AUDIT_SIGNING_KEY: a key
 * generated under DATA_DIR is per host, so checkpoints signed by a worker would not match the key
 * the api publishes. A campaign is judged against the carrier-sim's arrivals by the chaos checker.
 */
const SUBSCRIBERS = Number(process.env.SCALE_SUBSCRIBERS ?? 1_000);
const SECRET = 'scale-webhook-secret-0123456789';
const API_PORT = 3000; // each host has its own port space: the defaults are free on every one
const SIM_PORT = 3100;
const SMTP_PORT = 2525;

interface World {
  lab: NetLab;
  redis: LabRedis;
  pg: PrivatePostgres;
  db: Db;
  dataDir: string;
  procs: LabProcess[];
}
let world: Partial<World> = {};
let apiUrl = '';
let simUrl = '';
const signingKey = generateSigningKey();

beforeAll(async () => {
  const w = world;
  const t0 = Date.now();
  const took: string[] = [];
  const mark = (what: string) => took.push(`${what} ${Date.now() - t0} ms`);
  w.procs = [];
  w.dataDir = mkdtempSync(path.join(os.tmpdir(), 'bd-scale-hosts-'));
  w.lab = await createNetLab(['api', 'worker1', 'worker2', 'sim']);
  const { hosts, gatewayIp, cidr } = w.lab;
  mark('network');
  w.redis = await startLabRedis({ host: gatewayIp, password: randomBytes(12).toString('hex') });
  w.pg = await startPrivatePostgres({ host: gatewayIp, allowCidr: cidr });
  const schema = uniqueName('multihost');
  const prefix = uniqueName('multihost');
  w.db = await openDb({ databaseUrl: w.pg.url, schema, poolSize: 4, dataDir: 'memory' });
  await seedTestKeys(w.db);
  mark('redis+postgres');

  apiUrl = `http://${hosts.api!.ip}:${API_PORT}`;
  simUrl = `http://${hosts.sim!.ip}:${SIM_PORT}`;
  const simIp = hosts.sim!.ip;
  const envFor = (host: string): NodeJS.ProcessEnv => ({
    ...process.env,
    LOG_LEVEL: 'warn',
    REDIS_URL: w.redis!.url,
    DATABASE_URL: w.pg!.url,
    DATABASE_SCHEMA: schema,
    DB_POOL_SIZE: '5',
    QUEUE_PREFIX: prefix,
    DATA_DIR: path.join(w.dataDir!, host), // one per host: no shared filesystem
    AUDIT_SIGNING_KEY: signingKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    API_HOST: hosts.api!.ip,
    API_PORT: String(API_PORT),
    API_URL: apiUrl,
    CARRIER_SIM_HOST: simIp,
    CARRIER_SIM_PORT: String(SIM_PORT),
    CARRIER_SIM_SMTP_PORT: String(SMTP_PORT),
    CARRIER_SIM_URL: simUrl,
    SMTP_HOST: simIp,
    SMTP_PORT: String(SMTP_PORT),
    // Exercise safety (DOMAIN.md §4.5): the gateways are off loopback, so their host is named.
    LAB_HOSTS: simIp,
    WEBHOOK_SECRET: SECRET,
    RETRY_BASE_DELAY_MS: '300',
    LEASE_MS: '4000',
    STALLED_INTERVAL_MS: '2000',
    RECONCILE_INTERVAL_MS: '2000',
    RECEIPT_TIMEOUT_MS: '8000', // an SMS whose receipt is late is resolved by asking the carrier
    RATE_LIMIT_PER_MIN: '100000',
  });

  const sim = startOnHost(w.lab, 'sim', 'services/carrier-sim/main.ts', envFor('sim'));
  w.procs.push(sim);
  const api = startOnHost(w.lab, 'api', 'services/api/main.ts', envFor('api'));
  w.procs.push(api);
  for (const host of ['worker1', 'worker2']) {
    w.procs.push(startOnHost(w.lab, host, 'workers/main.ts', envFor(host)));
  }
  await waitHttp(`${simUrl}/stats`, sim);
  await waitHttp(`${apiUrl}/readyz`, api);
  await waitForRedisClients([hosts.worker1!.ip, hosts.worker2!.ip]);
  mark('processes');
  console.log(`multi-host setup: ${took.join(', ')}`);
}, 180_000);

afterAll(async () => {
  const w = world;
  world = {};
  // Each step on its own: a failure in one must not leave the others (namespaces, servers) behind.
  await Promise.all((w.procs ?? []).map((p) => p.stop().catch(() => undefined)));
  await w.db?.close().catch(() => undefined);
  await w.pg?.stop().catch(() => undefined);
  await w.redis?.stop().catch(() => undefined);
  await w.lab?.close();
  if (w.dataDir) rmSync(w.dataDir, { recursive: true, force: true });
}, 120_000);

/** The addresses Redis sees its clients connect from. */
async function redisClientAddrs(): Promise<Set<string>> {
  const r = new Redis(world.redis!.url, { maxRetriesPerRequest: 1 });
  try {
    const list = (await r.client('LIST')) as string;
    return new Set([...list.matchAll(/\baddr=([\d.]+):\d+/g)].map((m) => m[1]!));
  } finally {
    r.disconnect();
  }
}

/** Worker processes have no HTTP port: they are up once Redis sees them connect. */
async function waitForRedisClients(ips: string[]): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const seen = await redisClientAddrs();
    if (ips.every((ip) => seen.has(ip))) return;
    const dead = world.procs!.find((p) => p.child.exitCode !== null);
    if (dead) throw new Error(`${dead.name} exited with ${dead.child.exitCode}:\n${dead.stderrTail()}`);
    if (Date.now() > deadline)
      throw new Error(`workers ${ips.join(', ')} did not connect to Redis within 90 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function pgClientAddrs(): Promise<string[]> {
  const r = await world.db!.query<{ addr: string }>(
    'SELECT DISTINCT host(client_addr) AS addr FROM pg_stat_activity WHERE client_addr IS NOT NULL',
  );
  return r.rows.map((x) => x.addr);
}

/** Peers of the carrier-sim's established SMTP and HTTP connections, as its host sees them (`ss`). */
function simClientAddrs(lab: NetLab): string[] {
  const out = lab.exec('sim', 'ss', ['-Htn', 'state', 'established']);
  const peers: string[] = [];
  for (const line of out.split('\n')) {
    const cols = line.trim().split(/\s+/);
    const [local, peer] = cols.slice(-2);
    const port = Number(local?.split(':').pop());
    if (peer && (port === SMTP_PORT || port === SIM_PORT)) peers.push(peer.replace(/:\d+$/, ''));
  }
  return peers;
}

async function campaignState(id: number): Promise<string> {
  const r = await world.db!.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [id]);
  return r.rows[0]?.state ?? 'missing';
}

describe('several hosts', () => {
  it('api, two workers and carrier-sim on separate hosts → campaign completes, checker clean', async () => {
    const w = world as World;
    const { hosts } = w.lab;
    const carriers = CARRIERS.map((c) => c.id);
    await seedSubscribers(w.db, { count: SUBSCRIBERS, seed: 12, carriers });
    const started = Date.now();
    const id = await launchCampaign(apiUrl, { channels: ['email', 'sms'], carriers });
    // Who talks to Redis and PostgreSQL, sampled while the campaign runs (idle pool connections close).
    // Senders: who holds SMTP or gateway connections to the carrier-sim (workers open them to send).
    const redisPeers = new Set<string>();
    const pgPeers = new Set<string>();
    const simPeers = new Set<string>();
    const sample = async () => {
      for (const addr of await redisClientAddrs()) redisPeers.add(addr);
      for (const addr of await pgClientAddrs()) pgPeers.add(addr);
      for (const addr of simClientAddrs(w.lab)) simPeers.add(addr);
    };
    let state = await campaignState(id);
    const deadline = Date.now() + 240_000;
    while (state !== 'completed' && Date.now() < deadline) {
      const dead = w.procs.find((p) => p.child.exitCode !== null);
      if (dead) throw new Error(`${dead.name} exited with ${dead.child.exitCode}:\n${dead.stderrTail()}`);
      await sample();
      await new Promise((r) => setTimeout(r, 500));
      state = await campaignState(id);
    }
    const verdict = await checkChaos(w.db, simUrl, id);
    console.log(
      `multi-host: ${state} in ${Date.now() - started} ms, ${verdict.targets} targets, ${verdict.arrivals} arrivals, ` +
        `lost ${verdict.lost.length}, dup ${verdict.duplicated.length}, unexpected ${verdict.unexpected.length} ` +
        JSON.stringify(verdict.byState),
    );
    expect(state).toBe('completed');
    expect(verdict.targets).toBeGreaterThan(SUBSCRIBERS);
    expect(verdict.arrivals).toBeGreaterThan(SUBSCRIBERS);
    expect(verdict.lost).toEqual([]);
    expect(verdict.duplicated).toEqual([]);
    expect(verdict.unexpected).toEqual([]);
    expect(verdict.auditMissing).toEqual([]);
    expect(verdict.auditPhantom).toEqual([]);
    expect(verdict.chain).toMatchObject({ ok: true });

    // Each process really is on its own host: Redis and PostgreSQL saw the hosts' own addresses.
    for (const h of ['api', 'worker1', 'worker2'])
      expect(redisPeers, `redis client ${h}`).toContain(hosts[h]!.ip);
    for (const h of ['api', 'worker1', 'worker2'])
      expect(pgPeers, `postgres client ${h}`).toContain(hosts[h]!.ip);
    // Both workers sent: each held connections to the carrier-sim's SMTP sink or SMS gateways.
    for (const h of ['worker1', 'worker2']) expect(simPeers, `sender ${h}`).toContain(hosts[h]!.ip);
    expect(redisPeers).not.toContain('127.0.0.1');
    expect(pgPeers).not.toContain('127.0.0.1');

    // The api publishes the configured signing key, not one generated under its own DATA_DIR.
    const pub = (await (await fetch(`${apiUrl}/v1/audit/public-key`)).json()) as { keyId: string };
    expect(pub.keyId).toBe(signingKey.keyId);
  });
});
