import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, Redis } from 'ioredis';
import { CARRIERS } from '../../shared/carriers';
import { DELIVER_QUEUES, FANOUT_QUEUE, RECEIPTS_QUEUE } from '../../shared/queues';
import { assertNoEviction } from '../../shared/redis';
import { createSessionStore } from '../../services/api/dashboard/session-store';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import { launchCampaign, seedSubscribers, waitForState } from '../helpers/campaign-kit';
import { checkChaos } from '../chaos/chaos-checker';
import { startRedisCluster, type RedisClusterLab } from './redis-servers';

/**
 * Redis Cluster (issue 12): a three-master cluster of redis-server processes on local ports,
 * reached through REDIS_URL=redis+cluster://…. Queues, rate limits and dashboard sessions all live
 * in it; a campaign runs to completion with a clean checker verdict, each queue's keys sit in the
 * one slot of its hash tag, and the queues spread over the masters.
 */
const SUBSCRIBERS = Number(process.env.SCALE_SUBSCRIBERS ?? 1_000);
let cluster: RedisClusterLab | undefined;
let stack: InProcessStack | undefined;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  stack = await startInProcessStack('cluster', { REDIS_URL: cluster.url, RATE_LIMIT_PER_MIN: '100000' });
}, 120_000);

afterAll(async () => {
  await stack?.close().catch(() => undefined);
  await cluster?.stop();
}, 60_000);

/** Every master's keys under a prefix, by the master's port. */
async function keysByNode(prefix: string): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (const n of cluster!.nodes) {
    const r = new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 1 });
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      out.set(n.port, keys);
    } finally {
      r.disconnect();
    }
  }
  return out;
}

/** The port of the master serving `slot`, from CLUSTER SLOTS. */
async function ownerOfSlot(slot: number): Promise<number> {
  const n = cluster!.nodes[0]!;
  const r = new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 1 });
  try {
    const ranges = await r.cluster('SLOTS');
    const hit = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!hit?.[2]) throw new Error(`slot ${slot} is not served`);
    return hit[2][1];
  } finally {
    r.disconnect();
  }
}

describe('Redis Cluster', () => {
  it('connection → is an ioredis Cluster; startup check → reads every master, refuses an evicting one', async () => {
    const redis = stack!.deps.redis;
    expect(redis).toBeInstanceOf(Cluster);
    await expect(assertNoEviction(redis)).resolves.toBeUndefined();
    const third = cluster!.nodes[2]!;
    const r = new Redis({ host: third.host, port: third.port });
    try {
      await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
      await expect(assertNoEviction(redis)).rejects.toThrow(`allkeys-lru" on 127.0.0.1:${third.port}`);
    } finally {
      await r.config('SET', 'maxmemory-policy', 'noeviction');
      r.disconnect();
    }
  });

  it('campaign on the cluster → completes, checker clean; queues in their own slots, spread over masters', async () => {
    const s = stack!;
    const prefix = s.deps.config.QUEUE_PREFIX;
    const carriers = CARRIERS.map((c) => c.id);
    await seedSubscribers(s.testDb.db, { count: SUBSCRIBERS, seed: 13, carriers });
    const started = Date.now();
    const id = await launchCampaign(s.apiUrl, { channels: ['email', 'sms'], carriers });
    const campaign = await waitForState(s.apiUrl, id, ['completed'], 240_000);
    const verdict = await checkChaos(s.testDb.db, s.simUrl, id);
    console.log(
      `redis-cluster: ${campaign.state} in ${Date.now() - started} ms, ${verdict.targets} targets, ${verdict.arrivals} arrivals, ` +
        `lost ${verdict.lost.length}, dup ${verdict.duplicated.length}, unexpected ${verdict.unexpected.length} ` +
        JSON.stringify(verdict.byState),
    );
    expect(campaign.state).toBe('completed');
    expect(verdict.targets).toBeGreaterThan(SUBSCRIBERS);
    expect(verdict.arrivals).toBeGreaterThan(SUBSCRIBERS);
    expect(verdict.lost).toEqual([]);
    expect(verdict.duplicated).toEqual([]);
    expect(verdict.unexpected).toEqual([]);
    expect(verdict.auditMissing).toEqual([]);
    expect(verdict.auditPhantom).toEqual([]);
    expect(verdict.chain).toMatchObject({ ok: true });

    // Where each queue's keys are: all on one master, the one serving its tag's slot.
    const byNode = await keysByNode(prefix);
    const nodeOfQueue = new Map<string, Set<number>>();
    for (const [port, keys] of byNode) {
      for (const key of keys) {
        const m = /^[^{]*\{([^}]+)\}/.exec(key);
        if (!m) continue; // not a queue key (rate limits, sessions)
        const set = nodeOfQueue.get(m[1]!) ?? new Set<number>();
        set.add(port);
        nodeOfQueue.set(m[1]!, set);
      }
    }
    const registry = new Set([FANOUT_QUEUE, RECEIPTS_QUEUE, ...DELIVER_QUEUES.map((q) => q.name)]);
    const used = [...nodeOfQueue.keys()];
    expect(used).toContain(FANOUT_QUEUE);
    expect(used).toContain(RECEIPTS_QUEUE);
    expect(used.filter((q) => q.startsWith('deliver-')).length).toBeGreaterThanOrEqual(carriers.length * 2);
    const probe = cluster!.nodes[0]!;
    const r = new Redis({ host: probe.host, port: probe.port });
    try {
      for (const [queue, ports] of nodeOfQueue) {
        expect(registry.has(queue), `${queue} is a registry queue`).toBe(true);
        expect([...ports], `${queue}: every key on one master`).toHaveLength(1);
        const slot = Number(await r.cluster('KEYSLOT', `{${queue}}`));
        expect([...ports][0], `${queue} on the master of slot ${slot}`).toBe(await ownerOfSlot(slot));
      }
    } finally {
      r.disconnect();
    }
    const mastersUsed = new Set([...nodeOfQueue.values()].flatMap((p) => [...p]));
    console.log(
      `redis-cluster: ${nodeOfQueue.size} queues over masters ${JSON.stringify(
        Object.fromEntries(
          [...mastersUsed].map((p) => [p, [...nodeOfQueue].filter(([, s]) => s.has(p)).length]),
        ),
      )}`,
    );
    expect(mastersUsed.size).toBe(3);

    // The api's per-key rate limits went to the cluster as well.
    const all = [...byNode.values()].flat();
    expect(all.some((k) => k.startsWith(`${prefix}:ratelimit:`))).toBe(true);
  });

  it('dashboard session store on the cluster → a session created resolves, and ends when destroyed', async () => {
    const sessions = createSessionStore(stack!.deps.redis, stack!.deps.config.QUEUE_PREFIX);
    const id = await sessions.create('a'.repeat(64));
    expect(await sessions.resolve(id)).toBe('a'.repeat(64));
    await sessions.destroy(id);
    expect(await sessions.resolve(id)).toBeNull();
  });
});
