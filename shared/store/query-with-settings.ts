import type { Db, QueryResult } from './db';

/**
 * One statement under settings that hold for it alone (`SET LOCAL …` in a transaction of its own),
 * e.g. to keep the planner to index walks where the statistics would mislead it.
 */
export function queryWithSettings<R>(
  db: Db,
  settings: string,
  sql: string,
  params: unknown[] = [],
): Promise<QueryResult<R>> {
  return db.transaction(async (tx) => {
    await tx.exec(settings);
    return tx.query<R>(sql, params);
  });
}
