import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable, QueryResult } from './db';

/**
 * Embedded PostgreSQL (PGlite). One process owns it, so in embedded mode the api process also hosts
 * the workers. `dataDir` undefined keeps everything in memory (unit and store tests).
 */
export async function createPgliteDb(dataDir?: string): Promise<Db> {
  const pg = new PGlite(dataDir, {
    parsers: {
      20: (v: string) => Number(v),
      1700: (v: string) => Number(v),
    },
  });
  await pg.waitReady;

  const toResult = <R>(res: { rows: unknown[]; affectedRows?: number }): QueryResult<R> => ({
    rows: res.rows as R[],
    rowCount: res.affectedRows ?? res.rows.length,
  });

  return {
    kind: 'pglite',
    async query<R>(sql: string, params?: unknown[]) {
      return toResult<R>(await pg.query(sql, params));
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return pg.transaction(async (t) =>
        fn({
          async query<R>(sql: string, params?: unknown[]) {
            return toResult<R>(await t.query(sql, params));
          },
          async exec(sql: string) {
            await t.exec(sql);
          },
        }),
      );
    },
    async ping() {
      await pg.query('SELECT 1');
    },
    async close() {
      await pg.close();
    },
  };
}
