import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createApp } from '../../services/api/create-app';
import type { ApiDeps } from '../../services/api/steps/api-deps';
import { createRedis } from '../../shared/redis';
import { createQueueClient } from '../../shared/queue-client';
import { createTestDb, testConfig, testLogger, uniqueName, type TestDb } from './world';
import { createApiKey } from '../../shared/auth/api-keys';
import type { Db } from '../../shared/store/db';

export interface ApiHarness {
  url: string;
  deps: ApiDeps;
  testDb: TestDb;
  routes: ReturnType<typeof createApp>['routes'];
  openapi: Record<string, unknown>;
  close(): Promise<void>;
}

/** The real app on a real port 0, with real Redis and a private database schema. */
export async function startApi(
  label: string,
  overrides: Record<string, string> = {},
  extra: Partial<ApiDeps> = {},
): Promise<ApiHarness> {
  const testDb = await createTestDb(label);
  const config = testConfig({ QUEUE_PREFIX: uniqueName(label), ...overrides });
  const redis = createRedis(config.REDIS_URL!, 'producer');
  redis.on('error', () => undefined);
  const queues = createQueueClient(redis, config.QUEUE_PREFIX);
  await seedTestKeys(testDb.db);
  const deps: ApiDeps = {
    config,
    db: testDb.db,
    redis,
    queues,
    logger: testLogger,
    version: 'test',
    ...extra,
  };
  const { app, routes, openapi } = createApp(deps, { validateResponses: true });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    deps,
    testDb,
    routes,
    openapi: openapi as Record<string, unknown>,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await queues.close();
      redis.disconnect();
      await testDb.drop();
    },
  };
}

export async function http(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return {
    status: res.status,
    body: json as Record<string, unknown> & { error?: { code: string; message: string; details: unknown[] } },
    headers: res.headers,
  };
}

/**
 * Headers for a test caller of the given role. Auth is enforced by the api; the harness seeds one
 * key per role (see seedTestKeys) so tests read as "an operator does X".
 */
export function authHeaders(
  role: 'admin' | 'operator' | 'auditor' | 'operator2' | 'auditor-pii',
): Record<string, string> {
  return { authorization: `Bearer ${TEST_KEYS[role]}` };
}

export const TEST_KEYS = {
  admin: 'bd_test_admin_key_000000000000000000',
  operator: 'bd_test_operator_key_0000000000000000',
  operator2: 'bd_test_operator2_key_000000000000000',
  auditor: 'bd_test_auditor_key_00000000000000000',
  'auditor-pii': 'bd_test_auditor_pii_key_0000000000000',
} as const;

/** Stores the test keys, one per role (operator2: a second, distinct operator for the two-person rule). */
export async function seedTestKeys(db: Db): Promise<void> {
  await createApiKey(db, { name: 'test admin', role: 'admin', key: TEST_KEYS.admin });
  await createApiKey(db, { name: 'test operator', role: 'operator', key: TEST_KEYS.operator });
  await createApiKey(db, { name: 'test operator 2', role: 'operator', key: TEST_KEYS.operator2 });
  await createApiKey(db, { name: 'test auditor', role: 'auditor', key: TEST_KEYS.auditor });
  await createApiKey(db, {
    name: 'test auditor (pii)',
    role: 'auditor',
    scopes: ['pii:read'],
    key: TEST_KEYS['auditor-pii'],
  });
}
