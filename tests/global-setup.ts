import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startPrivateRedis, type PrivateRedis } from '../scripts/lib/private-redis';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    databaseUrl: string;
  }
}

let redis: PrivateRedis | undefined;
let dir: string | undefined;

/**
 * REDIS_URL and DATABASE_URL are used when set (CI sets both). Unset, tests get the embedded
 * defaults `npm start` uses: a private redis-server, and PGlite (databaseUrl = '').
 */
export async function setup(project: TestProject): Promise<void> {
  let redisUrl = process.env.REDIS_URL ?? '';
  if (!redisUrl) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bd-test-redis-'));
    redis = await startPrivateRedis({ dir, persist: false });
    redisUrl = redis.url;
  }
  project.provide('redisUrl', redisUrl);
  project.provide('databaseUrl', process.env.DATABASE_URL ?? '');
}

export async function teardown(): Promise<void> {
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
