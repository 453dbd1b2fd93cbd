import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../shared/config';
import { openDb } from '../../shared/store/open-db';
import type { Db } from '../../shared/store/db';
import { createLogger } from '../../shared/logger';

/** Each test file owns its world: a unique queue prefix and its own schema (PostgreSQL) or PGlite. */
export function uniqueName(label: string): string {
  return `t_${label
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
}

export const testLogger = createLogger({ level: 'silent', name: 'test' });

export function redisUrl(): string {
  return inject('redisUrl');
}

export function databaseUrl(): string {
  return inject('databaseUrl');
}

export interface TestDb {
  db: Db;
  schema: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file: a new schema in PostgreSQL, or in-memory PGlite. */
export async function createTestDb(
  label: string,
  opts: { kind?: 'postgres' | 'pglite' } = {},
): Promise<TestDb> {
  const url = databaseUrl();
  const kind = opts.kind ?? (url ? 'postgres' : 'pglite');
  const schema = uniqueName(label);
  if (kind === 'pglite' || !url) {
    const db = await openDb({ schema: 'public', poolSize: 1, dataDir: 'memory' });
    return { db, schema: 'public', drop: () => db.close() };
  }
  const db = await openDb({ databaseUrl: url, schema, poolSize: 5, dataDir: 'memory' });
  return {
    db,
    schema,
    async drop() {
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    },
  };
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    LOG_LEVEL: 'silent',
    REDIS_URL: redisUrl(),
    DATABASE_URL: databaseUrl(),
    ...overrides,
  });
}
