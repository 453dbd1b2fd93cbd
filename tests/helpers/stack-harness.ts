import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../services/api/create-app';
import type { ApiDeps } from '../../services/api/steps/api-deps';
import { createCarrierSim } from '../../services/carrier-sim/create-carrier-sim';
import { createRedis } from '../../shared/redis';
import { createQueueClient } from '../../shared/queue-client';
import { startWorkers, type RunningWorkers } from '../../workers/start-workers';
import { freePort } from '../../scripts/lib/private-redis';
import { seedTestKeys } from './api-harness';
import type { Logger } from '../../shared/logger';
import { createTestDb, testConfig, testLogger, uniqueName, type TestDb } from './world';

export interface InProcessStack {
  apiUrl: string;
  simUrl: string;
  smtpPort: number;
  deps: ApiDeps;
  testDb: TestDb;
  workers: RunningWorkers;
  /** Environment for a separate `workers/main.ts` process against this stack (PostgreSQL only). */
  workerEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * api + workers + carrier-sim in this process, over real HTTP, SMTP, Redis and the test database.
 * Config overrides tune retries and timings for tests.
 */
export async function startInProcessStack(
  label: string,
  overrides: Record<string, string> = {},
  simSeed = 1,
  opts: { inProcessWorkers?: boolean; logger?: Logger } = {},
): Promise<InProcessStack> {
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const sim = createCarrierSim({
    apiUrl,
    webhookSecret: 'test-webhook-secret-0123456789',
    logger: opts.logger ?? testLogger,
    seed: simSeed,
    receiptFlushMs: 50,
  });
  const ports = await sim.listen({ host: '127.0.0.1', httpPort: 0, smtpPort: 0 });
  const simUrl = `http://127.0.0.1:${ports.httpPort}`;
  const testDb = await createTestDb(label);
  await seedTestKeys(testDb.db);
  const config = testConfig({
    QUEUE_PREFIX: uniqueName(label),
    API_URL: apiUrl,
    CARRIER_SIM_URL: simUrl,
    SMTP_PORT: String(ports.smtpPort),
    WEBHOOK_SECRET: 'test-webhook-secret-0123456789',
    RETRY_BASE_DELAY_MS: '200',
    RECONCILE_INTERVAL_MS: '1000',
    LEASE_MS: '5000',
    ...overrides,
  });
  const redis = createRedis(config.REDIS_URL!, 'producer');
  redis.on('error', () => undefined);
  const workerConn = createRedis(config.REDIS_URL!, 'worker');
  workerConn.on('error', () => undefined);
  const queues = createQueueClient(redis, config.QUEUE_PREFIX);
  const workers = startWorkers({
    config,
    db: testDb.db,
    connection: workerConn,
    queues,
    logger: opts.logger ?? testLogger,
    autorun: opts.inProcessWorkers ?? true,
  });
  const deps: ApiDeps = {
    config,
    db: testDb.db,
    redis,
    queues,
    logger: opts.logger ?? testLogger,
    version: 'test',
    reconcile: (id) => workers.reconcile(id),
  };
  const { app } = createApp(deps, { validateResponses: true });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(apiPort, '127.0.0.1', () => resolve(s));
  });
  void (server.address() as AddressInfo);
  return {
    apiUrl,
    simUrl,
    smtpPort: ports.smtpPort,
    deps,
    testDb,
    workers,
    workerEnv: (extra = {}) => ({
      ...process.env,
      LOG_LEVEL: 'warn',
      REDIS_URL: config.REDIS_URL,
      DATABASE_URL: config.DATABASE_URL,
      DATABASE_SCHEMA: testDb.schema,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      API_URL: apiUrl,
      CARRIER_SIM_URL: simUrl,
      SMTP_PORT: String(ports.smtpPort),
      WEBHOOK_SECRET: config.WEBHOOK_SECRET,
      RETRY_BASE_DELAY_MS: String(config.RETRY_BASE_DELAY_MS),
      RECONCILE_INTERVAL_MS: String(config.RECONCILE_INTERVAL_MS),
      LEASE_MS: String(config.LEASE_MS),
      STALLED_INTERVAL_MS: String(config.STALLED_INTERVAL_MS),
      ...extra,
    }),
    async close() {
      await workers.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await sim.close();
      await Promise.all(queues.all().map((q) => q.obliterate({ force: true }).catch(() => undefined)));
      await queues.close();
      redis.disconnect();
      workerConn.disconnect();
      await testDb.drop();
    },
  };
}
