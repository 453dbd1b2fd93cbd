import type { Db, Queryable } from '../../../../shared/store/db';
import type { Logger } from '../../../../shared/logger';
import type { AuditEventInput } from '../../../../shared/audit/audit-event';
import { appendAudit } from '../../../../shared/audit/append-audit';
import {
  ERRORS_IN_ANSWER,
  MAX_STORED_ERRORS,
  type BulkFormat,
  type ImportError,
  type ImportResult,
} from '../../../../shared/api/subscribers.schema';
import { FileKeys } from './file-keys';
import { BodyStop, type SourceRecord } from './source-record';
import { rejectedRef, validateSubscriber, type RowProblem } from './validate-subscriber';
import { SubscriberColumns, upsertSubscribers, type SubscriberLiterals } from './upsert-subscribers';

/** Rows (valid and refused) per batch transaction: one upsert, one error insert, one audit append. */
export const BATCH_ROWS = 5_000;
/**
 * Batch transactions in flight at once on PostgreSQL (PGlite runs one at a time): while one commits,
 * the next is written, and parsing goes on. Two kept both cores busy here; more only added contention.
 */
export const FLUSH_CONCURRENCY = 2;

export interface ImportInput {
  importId: string;
  format: BulkFormat;
  actor: string;
  /** Records in groups, as the readers yield them. */
  records: AsyncIterable<SourceRecord[]> | Iterable<SourceRecord[]>;
  /** Rows read at most; the first one beyond stops the import (TOO_MANY_ROWS). */
  maxRows: number;
  /** How an error names a field (CSV: by its column). */
  fieldLabel?: (field: string) => string;
  /** Called after each batch commits, with the rows committed so far. */
  onProgress?: (rowsDone: number) => void;
  batchRows?: number;
}

export interface ImportDeps {
  db: Db;
  logger?: Logger;
}

interface Batch {
  no: number;
  /** The valid rows, collected as column literals while the batch fills (no row objects kept). */
  columns: SubscriberColumns;
  /** Set when the batch is submitted: the finished literals; `columns` is then spent. */
  literals: SubscriberLiterals | null;
  firstLine: number;
  lastLine: number;
  /** Errors to keep for paging (capped per import). */
  errors: ImportError[];
  /** Audit entries of the refused rows: [line, hashed identifier, codes]. */
  rejections: [number, string | null, string][];
  size: number;
}

interface Totals {
  inserted: number;
  updated: number;
  unchanged: number;
  rowsDone: number;
}

const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']); // deadlock, serialization failure
const MAX_ATTEMPTS = 3;

const INSERT_ERRORS = `INSERT INTO subscriber_import_errors (import_id, seq, line, row_no, field, code, message)
SELECT $1, seq, line, row_no, field, code, message
  FROM unnest($2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::text[])
    AS e(seq, line, row_no, field, code, message)`;

async function insertErrors(tx: Queryable, importId: string, errors: readonly ImportError[]): Promise<void> {
  if (errors.length === 0) return;
  await tx.query(INSERT_ERRORS, [
    importId,
    errors.map((e) => e.seq),
    errors.map((e) => e.line),
    errors.map((e) => e.row),
    errors.map((e) => e.field),
    errors.map((e) => e.code),
    errors.map((e) => e.message),
  ]);
}

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE_SQLSTATES.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

/**
 * Registers a stream of records: validates each row, refuses repeats of a (carrier, msisdn) within
 * the input, and writes batches of BATCH_ROWS in one transaction each — a set-based upsert, the
 * batch's errors, and its audit events in one append (a summary of the registered rows, and every
 * refused row with its line, codes and hashed identifier). Two batches are in flight on PostgreSQL,
 * so parsing overlaps the writes; memory is bounded by them, whatever the size of the input.
 *
 * A stop (BodyStop: malformed JSON, body or row limit) ends the reading; what was read before it is
 * registered and the answer says `complete: false`. Any other error fails the import: batches
 * already committed stay (each is atomic, and re-running the same input is an idempotent upsert).
 */
export async function importSubscribers(input: ImportInput, deps: ImportDeps): Promise<ImportResult> {
  const { db } = deps;
  const startedAt = new Date().toISOString();
  const batchRows = input.batchRows ?? BATCH_ROWS;
  const label = input.fieldLabel ?? ((f: string) => f);
  const keys = new FileKeys();
  const concurrency = db.kind === 'postgres' ? FLUSH_CONCURRENCY : 1;
  const totals: Totals = { inserted: 0, updated: 0, unchanged: 0, rowsDone: 0 };
  const shown: ImportError[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  let rows = 0;
  let rejected = 0;
  let errorSeq = 0;
  let lastLine = 0;
  let batchNo = 0;
  let stoppedBy: ImportResult['stoppedBy'] = null;
  let allNewSoFar = true;

  const newBatch = (): Batch => ({
    no: ++batchNo,
    columns: new SubscriberColumns(),
    literals: null,
    firstLine: 0,
    lastLine: 0,
    errors: [],
    rejections: [],
    size: 0,
  });
  let batch = newBatch();

  const flush = async (b: Batch): Promise<void> => {
    const literals = b.literals!;
    const counts = await withRetry(() =>
      db.transaction(async (tx) => {
        // While batches keep finding only new subscribers, each first tries a plain INSERT under this
        // savepoint (upsert-subscribers.ts): a first import costs the database a third less.
        const tryInsertFirst = allNewSoFar && literals.rows > 0;
        const savepoint = tryInsertFirst ? '; SAVEPOINT bulk_insert' : '';
        if (db.kind === 'postgres') {
          // JIT compiles a 5,000-row upsert for longer than it runs. Batches commit without waiting
          // for the WAL flush; the import's last transaction waits, and that flushes them all.
          await tx.exec(`SET LOCAL jit = off; SET LOCAL synchronous_commit = off${savepoint}`);
        } else if (tryInsertFirst) {
          await tx.exec('SAVEPOINT bulk_insert');
        }
        const c = await upsertSubscribers(tx, literals, { tryInsertFirst });
        await insertErrors(tx, input.importId, b.errors);
        const events: AuditEventInput[] = [];
        if (literals.rows > 0) {
          events.push({
            type: 'subscriber.registered',
            actor: input.actor,
            outcome: 'bulk',
            details: {
              importId: input.importId,
              format: input.format,
              batch: b.no,
              lines: [b.firstLine, b.lastLine],
              accepted: c.inserted,
              updated: c.updated,
              unchanged: c.unchanged,
            },
          });
        }
        if (b.rejections.length > 0) {
          events.push({
            type: 'subscriber.rejected',
            actor: input.actor,
            outcome: 'rejected',
            details: {
              importId: input.importId,
              format: input.format,
              batch: b.no,
              count: b.rejections.length,
              // [line, hashed identifier (null: nothing identifiable), codes]
              rejections: b.rejections,
            },
          });
        }
        await appendAudit(tx, events);
        return c;
      }),
    );
    allNewSoFar = counts.updated + counts.unchanged === 0;
    totals.inserted += counts.inserted;
    totals.updated += counts.updated;
    totals.unchanged += counts.unchanged;
    totals.rowsDone += literals.rows + b.rejections.length;
    input.onProgress?.(totals.rowsDone);
  };

  const submit = async (b: Batch): Promise<void> => {
    if (b.size === 0) return;
    // The literals are built now, not when the batch's turn comes: while it waits, it holds eleven
    // strings rather than its pieces.
    b.literals = b.columns.literals();
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (failure) return;
    const p: Promise<void> = flush(b)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const refuse = (
    rec: { line: number; row: number },
    problems: readonly RowProblem[],
    ref: string | null,
  ) => {
    rejected += 1;
    for (const p of problems) {
      const e: ImportError = {
        seq: ++errorSeq,
        line: rec.line,
        row: rec.row,
        field: p.field === null ? null : label(p.field),
        code: p.code,
        message: p.message,
      };
      if (shown.length < ERRORS_IN_ANSWER) shown.push(e);
      if (e.seq <= MAX_STORED_ERRORS) batch.errors.push(e);
    }
    batch.rejections.push([rec.line, ref, problems.map((p) => p.code).join(',')]);
  };

  try {
    outer: for await (const group of input.records) {
      for (const rec of group) {
        if (rows >= input.maxRows) {
          stoppedBy = {
            line: rec.line,
            code: 'TOO_MANY_ROWS',
            message: `more than ${input.maxRows} rows in one request; this row and the rest were not read`,
          };
          break outer;
        }
        rows += 1;
        lastLine = rec.line;
        if (batch.firstLine === 0) batch.firstLine = rec.line;
        batch.lastLine = rec.line;
        batch.size += 1;
        if (rec.error) {
          refuse(rec, [rec.error], null);
        } else {
          const v = validateSubscriber(rec.value);
          if (!v.ok) {
            refuse(rec, v.problems, rejectedRef(rec.value));
          } else {
            const earlier = keys.claim(v.value.carrier, v.value.msisdn, rec.line);
            if (earlier !== 0) {
              refuse(
                rec,
                [
                  {
                    field: 'msisdn',
                    code: 'DUPLICATE_IN_FILE',
                    message: `the same carrier and msisdn as line ${earlier}; one row per subscriber`,
                  },
                ],
                rejectedRef(rec.value),
              );
            } else {
              batch.columns.add(v.value);
            }
          }
        }
        if (batch.size >= batchRows) {
          await submit(batch);
          batch = newBatch();
          if (failure) break outer;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof BodyStop)) {
      await Promise.allSettled(inFlight);
      throw err;
    }
    stoppedBy = { line: err.line ?? lastLine, code: err.code, message: err.message };
  }
  if (!failure) await submit(batch);
  await Promise.allSettled(inFlight);
  if (failure) throw failure;

  const errorsStored = Math.min(errorSeq, MAX_STORED_ERRORS);
  const result: ImportResult = {
    importId: input.importId,
    format: input.format,
    complete: stoppedBy === null,
    stoppedBy,
    rows,
    accepted: totals.inserted,
    updated: totals.updated,
    unchanged: totals.unchanged,
    rejected,
    errors: shown,
    errorsStored,
    nextErrorsCursor: errorsStored > shown.length ? shown[shown.length - 1]!.seq : null,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
  // Synchronous commit: once this returns, every batch of the import is durable.
  await db.transaction(async (tx) => {
    await tx.query(
      'INSERT INTO subscriber_imports (id, actor, format, result, started_at) VALUES ($1, $2, $3, $4::jsonb, $5)',
      [input.importId, input.actor, input.format, JSON.stringify(result), startedAt],
    );
    await appendAudit(tx, [
      {
        type: 'subscriber.registered',
        actor: input.actor,
        outcome: 'import-finished',
        details: {
          importId: input.importId,
          format: input.format,
          complete: result.complete,
          stoppedBy: stoppedBy?.code ?? null,
          rows,
          accepted: result.accepted,
          updated: result.updated,
          unchanged: result.unchanged,
          rejected,
        },
      },
    ]);
  });
  deps.logger?.info(
    { importId: input.importId, format: input.format, rows, rejected, complete: result.complete },
    'subscriber import finished',
  );
  return result;
}
