import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Db } from './db';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * Applies the plain-SQL migrations in file-name order, each once, each in its own transaction.
 * An advisory lock keeps two processes starting together from racing.
 */
export async function migrate(db: Db, schema: string): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  if (await allApplied(db, schema, files)) return [];
  const applied: string[] = [];
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(727272)');
    await tx.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await tx.query(`SET LOCAL search_path TO "${schema}"`);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set(
      (await tx.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
      await tx.exec(sql);
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
      applied.push(file);
    }
  });
  return applied;
}

/**
 * Whether every migration is already recorded, read without the lock. The lock is one for the whole
 * database (migrations create a role too), so a process restarting against a migrated schema would
 * otherwise queue behind another schema's long migration; restarted workers must be up in a second.
 */
async function allApplied(db: Db, schema: string, files: readonly string[]): Promise<boolean> {
  try {
    const r = await db.query<{ name: string }>(`SELECT name FROM "${schema}".schema_migrations`);
    const done = new Set(r.rows.map((row) => row.name));
    return files.every((f) => done.has(f));
  } catch {
    return false; // no schema or no table yet: migrate under the lock
  }
}
