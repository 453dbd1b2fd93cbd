import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export type RedisRole = 'worker' | 'producer';

/** One Redis server or a Redis Cluster: everything that keeps state in Redis takes either. */
export type RedisClient = Redis | Cluster;

/** Where a Redis Cluster is: its seed nodes (any of them; ioredis discovers the rest) and credentials. */
export interface RedisClusterUrl {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#@]+)\/?$/;
const NODE = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/;

/** True for a `redis+cluster://` (or `rediss+cluster://`, TLS) URL. */
export function isClusterUrl(url: string): boolean {
  return /^rediss?\+cluster:\/\//.test(url);
}

/**
 * Parses `redis+cluster://[user:password@]host1:port1,host2:port2,...` (`rediss+cluster://` for
 * TLS; IPv6 hosts in brackets; port 6379 when left out). Returns null when the URL is not one.
 */
export function parseClusterUrl(url: string): RedisClusterUrl | null {
  const m = CLUSTER_URL.exec(url);
  if (!m) return null;
  const nodes: RedisClusterUrl['nodes'] = [];
  for (const part of m[3]!.split(',')) {
    const n = NODE.exec(part.trim());
    const port = Number(n?.[3] ?? 6379);
    if (!n || port < 1 || port > 65535) return null;
    nodes.push({ host: n[1] ?? n[2]!, port });
  }
  const out: RedisClusterUrl = { nodes, tls: m[1] === 'rediss' };
  if (m[2]) {
    const colon = m[2].indexOf(':');
    const user = decodeURIComponent(colon < 0 ? m[2] : m[2].slice(0, colon));
    if (user) out.username = user;
    if (colon >= 0) out.password = decodeURIComponent(m[2].slice(colon + 1));
  }
  return out;
}

/**
 * Workers block and must ride out outages (`maxRetriesPerRequest: null`, as BullMQ requires); the
 * API's producers fail fast so a request answers 503 instead of hanging while Redis is down.
 */
function roleOptions(role: RedisRole): RedisOptions {
  return role === 'worker'
    ? { maxRetriesPerRequest: null, enableReadyCheck: true }
    : {
        // One reconnect attempt per command, then it fails: a request answers 503 in well under
        // a second while Redis is away (the offline queue only bridges the first connect).
        maxRetriesPerRequest: 1,
        connectTimeout: 2_000,
        retryStrategy: (times) => Math.min(times * 200, 2_000),
      };
}

/**
 * A connection for `url`: a `redis://` URL gives one server, a `redis+cluster://` URL a Redis
 * Cluster (ioredis Cluster, which follows the slot map and MOVED redirections on its own).
 */
export function createRedis(url: string, role: RedisRole, extra: RedisOptions = {}): RedisClient {
  if (!isClusterUrl(url)) return new Redis(url, { ...roleOptions(role), ...extra });
  const cluster = parseClusterUrl(url);
  if (!cluster) throw new Error('REDIS_URL is not a valid redis+cluster:// URL (host:port,host:port,...)');
  return createCluster(cluster, role, extra);
}

function createCluster(at: RedisClusterUrl, role: RedisRole, extra: RedisOptions): Cluster {
  // Per-node options go under redisOptions; reconnecting and lazy connecting are the cluster's own
  // (ioredis Cluster ignores a node's retryStrategy).
  const { retryStrategy, lazyConnect, ...nodeOptions } = { ...roleOptions(role), ...extra };
  const opts: ClusterOptions = {
    ...(lazyConnect ? { lazyConnect } : {}),
    redisOptions: {
      ...nodeOptions,
      ...(at.username ? { username: at.username } : {}),
      ...(at.password ? { password: at.password } : {}),
      ...(at.tls ? { tls: {} } : {}),
    },
    ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
  };
  return new Cluster(at.nodes, opts);
}

/**
 * The servers behind a connection: itself, or every master of a cluster (once the slot map is
 * known: the first command waits for it).
 */
async function serversOf(redis: RedisClient): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  await redis.ping();
  return redis.nodes('master');
}

/** DESIGN.md: Redis holds work, so eviction would silently lose jobs. Every cluster master is checked. */
export async function assertNoEviction(redis: RedisClient): Promise<void> {
  for (const server of await serversOf(redis)) {
    const res = (await server.config('GET', 'maxmemory-policy')) as string[];
    const policy = res[1];
    if (policy !== 'noeviction') {
      const where = redis instanceof Cluster ? ` on ${server.options.host}:${server.options.port}` : '';
      throw new Error(
        `Redis maxmemory-policy is "${policy}"${where}, must be "noeviction" (evicted keys lose queued work). ` +
          'Run: redis-cli CONFIG SET maxmemory-policy noeviction',
      );
    }
  }
}
