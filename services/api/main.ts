import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { getHeapStatistics } from 'node:v8';
import { loadConfig } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { openDb } from '../../shared/store/open-db';
import { createRedis, assertNoEviction } from '../../shared/redis';
import { createQueueClient } from '../../shared/queue-client';
import { startWorkers, type RunningWorkers } from '../../workers/start-workers';
import { createApp } from './create-app';
import { createApiKey } from '../../shared/auth/api-keys';

const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, name: 'api' });
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

if (!config.REDIS_URL) {
  logger.fatal('REDIS_URL is not set: run `npm start` (it starts a private Redis) or set REDIS_URL');
  process.exit(1);
}

const db = await openDb({
  databaseUrl: config.DATABASE_URL,
  schema: config.DATABASE_SCHEMA,
  poolSize: config.DB_POOL_SIZE,
  dataDir: config.DATA_DIR,
  onError: (err) => logger.warn({ err: err.message }, 'database connection error'),
});
if (config.ADMIN_API_KEY) {
  await createApiKey(db, {
    name: 'bootstrap admin',
    role: 'admin',
    key: config.ADMIN_API_KEY,
    createdBy: 'ADMIN_API_KEY',
  });
}
const redis = createRedis(config.REDIS_URL, 'producer');
redis.on('error', () => undefined); // readiness reports it; the producer fails fast per request
await assertNoEviction(redis);
const queues = createQueueClient(redis, config.QUEUE_PREFIX);

// PGlite serves one process, so the api hosts the workers in embedded mode (DESIGN.md "Stores").
let workers: RunningWorkers | undefined;
let workerConn: ReturnType<typeof createRedis> | undefined;
if (config.RUN_WORKERS || db.kind === 'pglite') {
  workerConn = createRedis(config.REDIS_URL, 'worker');
  workers = startWorkers({
    config,
    db,
    connection: workerConn,
    queues,
    logger: logger.child({ role: 'workers' }),
  });
}

// Test-only crash hook (chaos suite): die by SIGKILL right after a trigger commits and before it is
// answered or its Idempotency-Key completed, the worst moment for a client's replay. Never set in
// production.
const crashAfterTrigger = process.env.BD_TEST_CRASH_AFTER_TRIGGER === '1';
const { app } = createApp({
  config,
  db,
  redis,
  queues,
  logger,
  version,
  ...(workers ? { reconcile: (id: number) => workers.reconcile(id) } : {}),
  ...(crashAfterTrigger ? { afterTriggerHook: () => process.kill(process.pid, 'SIGKILL') } : {}),
});
const server: Server = app.listen(config.API_PORT, config.API_HOST, () => {
  logger.info(
    {
      url: `http://${config.API_HOST}:${config.API_PORT}`,
      db: db.kind,
      workers: Boolean(workers),
      // 240 under the flags of shared/api-node-flags.ts (V8's default on a 24 GB machine: 4,144)
      heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
    },
    'api listening',
  );
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => process.exit(1), 15_000);
  force.unref();
  server.close();
  server.closeAllConnections();
  await workers?.close();
  await queues.close();
  redis.disconnect();
  workerConn?.disconnect();
  await db.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
