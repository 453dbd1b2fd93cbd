import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Db } from './db';
import { createPostgresDb } from './postgres-db';
import { migrate } from './migrate';
import { ensurePartitions } from './ensure-partitions';

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
  } else {
    // Loaded only when used: PGlite's WebAssembly build costs about 40 MB of memory even unused.
    const { createPgliteDb } = await import('./pglite-db');
    if (opts.dataDir === 'memory') {
      db = await createPgliteDb();
    } else {
      const dir = path.resolve(opts.dataDir, 'pglite');
      await mkdir(dir, { recursive: true });
      db = await createPgliteDb(dir);
    }
  }
  try {
    await migrate(db, db.kind === 'pglite' ? 'public' : opts.schema);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  // Partitions for the coming months and campaigns. Not fatal: the DEFAULT partitions take any row
  // meanwhile, and the workers' periodic maintenance tries again (a lock timeout under load, a role
  // that may not create tables).
  await ensurePartitions(db).catch((err: Error) => opts.onError?.(err));
  return db;
}
