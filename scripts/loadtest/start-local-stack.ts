import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { generateKey } from '../../shared/auth/api-keys';
import { openDb } from '../../shared/store/open-db';
import type { Db } from '../../shared/store/db';
import { freePort } from '../lib/private-redis';
import { startStack, type Stack } from '../lib/stack';
import type { WatchedProcess } from './sample-resources';
import { deleteKeysWithPrefix } from './spawn-script';

export interface LocalStack {
  stack: Stack;
  db: Db;
  schema: string;
  queuePrefix: string;
  /** The environment the processes got (the naive baseline reuses it). */
  env: NodeJS.ProcessEnv;
  processes: WatchedProcess[];
  /** Stops every process; unless `keep`, drops the schema and deletes the queue keys. */
  close(opts?: { keep?: boolean }): Promise<void>;
}

/**
 * Starts carrier-sim, api and `workers` worker processes (scripts/lib/stack.ts) on free ports, on
 * PostgreSQL in a schema of their own and Redis under a queue prefix of their own, so a load test or
 * a benchmark shares the machine's servers with other users without touching their data.
 */
export async function startLocalStack(opts: {
  label: string;
  databaseUrl: string;
  redisUrl: string;
  workers: number;
  baseEnv: NodeJS.ProcessEnv;
  extraEnv?: Record<string, string>;
}): Promise<LocalStack> {
  const id = randomBytes(4).toString('hex');
  const schema = `${opts.label}_${id}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const queuePrefix = `${opts.label}-${id}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `bd-${opts.label}-`));
  const env: NodeJS.ProcessEnv = {
    ...opts.baseEnv,
    LOG_LEVEL: 'warn',
    DATABASE_URL: opts.databaseUrl,
    DATABASE_SCHEMA: schema,
    REDIS_URL: opts.redisUrl,
    QUEUE_PREFIX: queuePrefix,
    API_PORT: String(await freePort()),
    CARRIER_SIM_PORT: String(await freePort()),
    CARRIER_SIM_SMTP_PORT: String(await freePort()),
    ADMIN_API_KEY: generateKey(),
    WEBHOOK_SECRET: `lt-${randomBytes(16).toString('hex')}`,
    DATA_DIR: dataDir,
    // The tool polls and creates keys faster than a person would.
    RATE_LIMIT_PER_MIN: '1000000',
    API_URL: '',
    CARRIER_SIM_URL: '',
    SMTP_PORT: '',
    ...opts.extraEnv,
  };
  // stack.ts derives these three from the ports when they are empty.
  delete env.API_URL;
  delete env.CARRIER_SIM_URL;
  delete env.SMTP_PORT;
  const stack = await startStack({ env, workers: opts.workers, quiet: true, log: () => undefined });
  const db = await openDb({ databaseUrl: opts.databaseUrl, schema, poolSize: 4, dataDir: 'memory' });
  const names = ['carrier-sim', 'api', ...Array.from({ length: opts.workers }, (_, i) => `worker ${i + 1}`)];
  const processes = stack.children.map((c, i) => ({ name: names[i] ?? `process ${i}`, pid: c.pid! }));
  return {
    stack,
    db,
    schema,
    queuePrefix,
    env: {
      ...env,
      API_URL: stack.apiUrl,
      CARRIER_SIM_URL: stack.simUrl,
      SMTP_PORT: String(stack.smtpPort),
    },
    processes,
    async close(closeOpts = {}) {
      await stack.stop();
      if (!closeOpts.keep) {
        await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
        const redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: 1 });
        redis.on('error', () => undefined);
        await deleteKeysWithPrefix(redis, queuePrefix).catch(() => 0);
        redis.disconnect();
        rmSync(dataDir, { recursive: true, force: true });
      }
      await db.close();
    },
  };
}
