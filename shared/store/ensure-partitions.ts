import type { Db } from './db';

/** Monthly audit partitions kept ahead of the current month, so a month never starts without one. */
export const AUDIT_MONTHS_AHEAD = 2;
/** Ledger partitions kept ahead of the campaigns' id sequence: campaigns created between two runs. */
export const LEDGER_CAMPAIGNS_AHEAD = 8;
// Creating a partition locks its parent briefly; under load, give up and try on the next run rather
// than queue every append or claim behind the DDL (the DEFAULT partitions catch rows meanwhile).
const LOCK_TIMEOUT = '2s';

export interface EnsuredPartitions {
  audit: number;
  ledger: number;
}

/**
 * Creates the partitions that will be needed soon (migration 050's functions): this month's and the
 * next AUDIT_MONTHS_AHEAD months' audit partitions, and one ledger partition for each campaign without
 * one plus the next LEDGER_CAMPAIGNS_AHEAD campaign ids. Called at startup (open-db.ts) and
 * periodically (workers/reconcile/start-store-maintenance.ts); cheap when there is nothing to do.
 * Each kind in its own short transaction, so a lock timeout on one does not undo the other.
 */
export async function ensurePartitions(
  db: Db,
  ahead: { months?: number; campaigns?: number } = {},
): Promise<EnsuredPartitions> {
  const audit = await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const r = await tx.query<{ n: number }>('SELECT ensure_audit_partitions($1) AS n', [
      ahead.months ?? AUDIT_MONTHS_AHEAD,
    ]);
    return Number(r.rows[0]?.n ?? 0);
  });
  const ledger = await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const r = await tx.query<{ n: number }>('SELECT ensure_ledger_partitions($1) AS n', [
      ahead.campaigns ?? LEDGER_CAMPAIGNS_AHEAD,
    ]);
    return Number(r.rows[0]?.n ?? 0);
  });
  return { audit, ledger };
}
