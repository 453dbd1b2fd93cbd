import type { AuditEventInput } from '../audit/audit-event';
import { appendAudit } from '../audit/append-audit';
import type { Db, Queryable } from '../store/db';

/**
 * One step of ledger work: its statements, run in the caller's transaction, and the audit events
 * they produce. The events are appended in that same transaction, after every statement of it.
 */
export interface LedgerUnit<T> {
  /** The notification rows its statements may lock (a batch locks them all first, in id order). */
  rows: readonly number[];
  /** The campaigns of those rows: the ledger is partitioned by campaign (migration 050), and a
   * statement that names them reads only their partitions instead of probing every campaign's. */
  campaigns: readonly number[];
  /** Where the unit queues for a batch (UNIT_PRIORITY). @defaultValue UNIT_PRIORITY.claim */
  priority?: number;
  run(tx: Queryable): Promise<{ result: T; events: AuditEventInput[] }>;
}

/**
 * Units that finish work go into a batch before units that start it: receipts, then the records of
 * sends already made, then claims. Receipts are bounded by the sends, so they cannot starve the
 * claims; without this, a worker with hundreds of chunks in flight let receipts wait behind new
 * claims until they were hundreds of thousands behind the sends.
 */
export const UNIT_PRIORITY = { claim: 0, record: 1, receipts: 2 } as const;

/** Runs one unit in a transaction of its own: statements, then its audit append. */
export async function runLedgerUnit<T>(db: Db, unit: LedgerUnit<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const { result, events } = await unit.run(tx);
    await appendAudit(tx, events);
    return result;
  });
}

// Every writer of the ledger that touches many rows locks them in ascending id order (receipts
// do too): two batches, or a batch and a receipt transaction, never wait on each other in a cycle.
const LOCK_ROWS_SQL = `SELECT id FROM notification WHERE id = ANY($1::bigint[]) AND campaign_id = ANY($2::bigint[])
  ORDER BY id FOR UPDATE`;

export interface LedgerBatcher {
  run<T>(unit: LedgerUnit<T>): Promise<T>;
}

interface Waiting {
  unit: LedgerUnit<unknown>;
  resolve(v: unknown): void;
  reject(err: unknown): void;
}

/**
 * Group commit for the deliver path. Every audit append takes the chain-head lock until its
 * transaction commits (DESIGN.md "Audit log"), so under load the lock, not the statements, sets the
 * pace: each transaction holds it for its insert and its commit's WAL flush while the others queue.
 * The batcher runs the units that arrived while the previous batch was committing in ONE
 * transaction: each unit's statements in turn, then one audit append with all their events. Fewer,
 * larger appends: one lock turn and one WAL flush for up to `maxUnits` chunks.
 *
 * Atomicity is unchanged: each unit's ledger transitions commit together with their audit events
 * (and with the other units of its batch). A batch first locks every row its units may touch, in
 * id order, so batches in different processes cannot deadlock on each other's rows. If a batch
 * fails (a unit's own error, say), nothing of it is committed and every unit runs again alone, so
 * one unit's failure reaches only its caller.
 */
export function createLedgerBatcher(
  db: Db,
  opts: {
    /** Units in one transaction at most. @defaultValue 16 */
    maxUnits?: number;
    /** Batches in flight at once (each on its own connection). @defaultValue 2 */
    inFlight?: number;
  } = {},
): LedgerBatcher {
  const maxUnits = opts.maxUnits ?? 16;
  const maxInFlight = opts.inFlight ?? 2;
  const queue: Waiting[] = [];
  let inFlight = 0;

  const runAlone = (w: Waiting) => runLedgerUnit(db, w.unit).then(w.resolve, w.reject);

  async function runBatch(batch: Waiting[]): Promise<void> {
    if (batch.length === 1) return runAlone(batch[0]!);
    let results: unknown[];
    try {
      results = await db.transaction(async (tx) => {
        const rows = new Set<number>();
        const campaigns = new Set<number>();
        for (const w of batch) for (const id of w.unit.rows) rows.add(id);
        for (const w of batch) for (const c of w.unit.campaigns) campaigns.add(c);
        await tx.query(LOCK_ROWS_SQL, [[...rows], [...campaigns]]);
        const out: unknown[] = [];
        const events: AuditEventInput[] = [];
        for (const w of batch) {
          const r = await w.unit.run(tx);
          out.push(r.result);
          for (const e of r.events) events.push(e);
        }
        await appendAudit(tx, events);
        return out;
      });
    } catch {
      // Rolled back as a whole: each unit gets its own transaction and its own outcome.
      await Promise.all(batch.map(runAlone));
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]));
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.splice(0, maxUnits);
      inFlight++;
      void runBatch(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    run<T>(unit: LedgerUnit<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const w = { unit: unit as LedgerUnit<unknown>, resolve: resolve as (v: unknown) => void, reject };
        // Behind every unit of the same or a higher priority, ahead of the rest.
        const p = unit.priority ?? UNIT_PRIORITY.claim;
        let at = queue.length;
        while (at > 0 && (queue[at - 1]!.unit.priority ?? UNIT_PRIORITY.claim) < p) at--;
        queue.splice(at, 0, w);
        pump();
      });
    },
  };
}

const shared = new WeakMap<Db, LedgerBatcher>();

/** The batcher of this process for `db` (one per database handle), made on first use. */
export function ledgerBatcherFor(db: Db): LedgerBatcher {
  let b = shared.get(db);
  if (!b) shared.set(db, (b = createLedgerBatcher(db)));
  return b;
}
