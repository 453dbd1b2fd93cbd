import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Db } from './db';
import { createPostgresDb } from './postgres-db';
import { createPgliteDb } from './pglite-db';
import { migrate } from './migrate';

export interface OpenDbOptions {
  databaseUrl?: string | undefined;
  schema: string;
  poolSize: number;
  /** PGlite directory when no databaseUrl; `memory` keeps it in memory. */
  dataDir: string | 'memory';
  onError?: (err: Error) => void;
}

/** PostgreSQL when a URL is given, PGlite otherwise; migrated before it is returned. */
export async function openDb(opts: OpenDbOptions): Promise<Db> {
  let db: Db;
  if (opts.databaseUrl) {
    db = createPostgresDb({
      url: opts.databaseUrl,
      schema: opts.schema,
      poolSize: opts.poolSize,
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  } else if (opts.dataDir === 'memory') {
    db = await createPgliteDb();
  } else {
    const dir = path.resolve(opts.dataDir, 'pglite');
    await mkdir(dir, { recursive: true });
    db = await createPgliteDb(dir);
  }
  try {
    await migrate(db, db.kind === 'pglite' ? 'public' : opts.schema);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  return db;
}
