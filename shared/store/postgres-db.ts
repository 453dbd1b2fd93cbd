import pg from 'pg';
import type { Db, Queryable, QueryResult } from './db';

// bigint (int8) as a JS number: our ids and counts stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));
// bigint[] (int8 array, OID 1016) likewise; the type ids table lists no array types.
const INT8_ARRAY = 1016 as Parameters<typeof pg.types.setTypeParser>[0];
const parseInt8Array = pg.types.getTypeParser(INT8_ARRAY) as (v: string) => (string | null)[];
pg.types.setTypeParser(INT8_ARRAY, (v: string) =>
  parseInt8Array(v).map((x) => (x === null ? null : Number(x))),
);
// numeric as number (percentiles, sums).
pg.types.setTypeParser(1700, (v) => Number(v));

export interface PostgresOptions {
  url: string;
  schema: string;
  poolSize: number;
  /** Called on pool-level errors (a connection dropped while idle); the pool replaces it. */
  onError?: (err: Error) => void;
}

export function createPostgresDb(opts: PostgresOptions): Db {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.poolSize,
    options: `-c search_path=${opts.schema}`,
    connectionTimeoutMillis: 5_000,
  });
  pool.on('error', (err) => opts.onError?.(err));

  const query = async <R>(sql: string, params?: unknown[]): Promise<QueryResult<R>> => {
    const res = await pool.query(sql, params as unknown[]);
    return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
  };

  return {
    kind: 'postgres',
    query,
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = {
          async query<R>(sql: string, params?: unknown[]) {
            const res = await client.query(sql, params as unknown[]);
            return { rows: res.rows as R[], rowCount: res.rowCount ?? 0 };
          },
          async exec(sql: string) {
            await client.query(sql);
          },
        };
        const out = await fn(tx);
        await client.query('COMMIT');
        return out;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await pool.end();
    },
  };
}
