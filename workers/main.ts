import { loadConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { openDb } from '../shared/store/open-db';
import { createRedis, assertNoEviction } from '../shared/redis';
import { createQueueClient } from '../shared/queue-client';
import { startWorkers } from './start-workers';

const config = loadConfig(process.env);
const logger = createLogger({ level: config.LOG_LEVEL, name: 'workers' });

if (!config.REDIS_URL || !config.DATABASE_URL) {
  logger.fatal(
    'a separate workers process needs REDIS_URL and DATABASE_URL (PostgreSQL); with PGlite the api hosts the workers',
  );
  process.exit(1);
}

const db = await openDb({
  databaseUrl: config.DATABASE_URL,
  schema: config.DATABASE_SCHEMA,
  poolSize: config.DB_POOL_SIZE,
  dataDir: config.DATA_DIR,
  onError: (err) => logger.warn({ err: err.message }, 'database connection error'),
});
const connection = createRedis(config.REDIS_URL, 'worker');
connection.on('error', () => undefined); // workers log outages once each (start-workers.ts)
await assertNoEviction(connection);
const queues = createQueueClient(connection, config.QUEUE_PREFIX);
// Test-only crash hook (chaos and engine tests): die by SIGKILL right after a chunk's send and before
// its outcome is recorded, the worst moment for exactly-once delivery. Never set in production.
// The value is the probability per chunk (1 = the first chunk).
const crashAfterSend = Number(process.env.BD_TEST_CRASH_AFTER_SEND ?? 0);
const workers = startWorkers({
  config,
  db,
  connection,
  queues,
  logger,
  ...(crashAfterSend > 0
    ? {
        afterSendHook: () => {
          if (Math.random() < crashAfterSend) process.kill(process.pid, 'SIGKILL');
        },
      }
    : {}),
});
logger.info({ prefix: config.QUEUE_PREFIX }, 'workers running');

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'finishing in-flight chunks, then exiting');
  const force = setTimeout(() => process.exit(1), 20_000);
  force.unref();
  await workers.close();
  await queues.close();
  connection.disconnect();
  await db.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
