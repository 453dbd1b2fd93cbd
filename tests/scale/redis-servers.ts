import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, redisServerAvailable } from '../../scripts/lib/private-redis';

const run = promisify(execFile);

export interface RedisNode {
  host: string;
  port: number;
  process: ChildProcess;
}

/** redis-server from PATH with no persistence and `noeviction`; resolves once it answers PING. */
async function startRedisServer(opts: {
  host: string;
  port: number;
  dir: string;
  password?: string;
  extra?: string[];
}): Promise<RedisNode> {
  if (!redisServerAvailable())
    throw new Error('redis-server not found on PATH (apt-get install redis-server)');
  const args = [
    '--port',
    String(opts.port),
    '--bind',
    opts.host,
    '--dir',
    opts.dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory-policy',
    'noeviction',
    ...(opts.password ? ['--requirepass', opts.password] : []),
    ...(opts.extra ?? []),
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const probe = new Redis({
    host: opts.host,
    port: opts.port,
    ...(opts.password ? { password: opts.password } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      try {
        await probe.connect();
        await probe.ping();
        return { host: opts.host, port: opts.port, process: child };
      } catch {
        probe.disconnect();
        if (child.exitCode !== null)
          throw new Error(`redis-server on ${opts.port} exited (${child.exitCode})`);
        if (Date.now() > deadline) throw new Error(`redis-server on ${opts.port} did not answer within 10 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    probe.disconnect();
  }
}

function stopNode(node: RedisNode): Promise<void> {
  const child = node.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export interface LabRedis {
  url: string;
  stop(): Promise<void>;
}

/** One password-protected redis-server listening on `host` (a lab network address), port free. */
export async function startLabRedis(opts: { host: string; password: string }): Promise<LabRedis> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-scale-redis-'));
  try {
    const node = await startRedisServer({
      host: opts.host,
      port: await freePort(opts.host),
      dir,
      password: opts.password,
    });
    return {
      url: `redis://:${encodeURIComponent(opts.password)}@${opts.host}:${node.port}`,
      async stop() {
        await stopNode(node);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

export interface RedisClusterLab {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, as REDIS_URL takes it. */
  url: string;
  nodes: RedisNode[];
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `size` masters (no replicas) on free loopback ports, each with its cluster bus
 * on a free port of its own (`cluster-port`, so port + 10000 need not be free), slots assigned by
 * `redis-cli --cluster create`. Resolves once every node reports `cluster_state:ok`.
 */
export async function startRedisCluster(size = 3): Promise<RedisClusterLab> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bd-scale-cluster-'));
  const nodes: RedisNode[] = [];
  const stop = async () => {
    await Promise.all(nodes.map(stopNode));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      const port = await freePort();
      const busPort = await freePort();
      nodes.push(
        await startRedisServer({
          host: '127.0.0.1',
          port,
          dir,
          extra: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            path.join(dir, `nodes-${port}.conf`),
            '--cluster-port',
            String(busPort),
            '--cluster-node-timeout',
            '5000',
          ],
        }),
      );
    }
    const addrs = nodes.map((n) => `${n.host}:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    await waitClusterOk(nodes);
    return { url: `redis+cluster://${addrs.join(',')}`, nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function waitClusterOk(nodes: RedisNode[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const n of nodes) {
    const r = new Redis({ host: n.host, port: n.port, maxRetriesPerRequest: 1 });
    r.on('error', () => undefined);
    try {
      while (!(await r.cluster('INFO')).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`cluster node ${n.port} not ok within 30 s`);
        await new Promise((res) => setTimeout(res, 100));
      }
    } finally {
      r.disconnect();
    }
  }
}
