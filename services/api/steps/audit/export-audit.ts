import { createHash } from 'node:crypto';
import { readRetentionFloor } from '../../../../shared/store/apply-retention';
import type { Response } from 'express';
import type { Db } from '../../../../shared/store/db';
import type { AuditExportQuery, AuditFilters } from '../../../../shared/api/audit.schema';
import type { AuditRow } from '../../../../shared/audit/audit-event';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { FORMULA_START_CHARS, toSafeCsv } from '../../../../shared/audit/safe-csv';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  bundleLine,
  type BundleHeader,
} from '../../../../shared/audit/audit-bundle';
import type { AuditSigningKey } from '../../../../shared/audit/signing-key';
import {
  checkpointsBetween,
  latestCheckpoint,
  readHead,
  writeCheckpoint,
} from '../../../../shared/audit/write-checkpoint';
import { GENESIS_HASH } from '../../../../shared/audit/audit-event';
import { AppError } from '../../../../shared/errors';
import {
  fetchAuditText,
  isUnfiltered,
  matchingSeqBounds,
  planAuditQuery,
  type AuditPlan,
} from './plan-audit-query';

// Rows per keyset query; two pages in memory at most (a few MB of text), whatever the export's size.
const BATCH_ROWS = 5_000;

export const CSV_COLUMNS = [
  'seq',
  'at',
  'type',
  'actor',
  'incidentId',
  'campaignId',
  'notificationId',
  'subscriberHash',
  'contactMasked',
  'carrier',
  'channel',
  'attempt',
  'outcome',
  'details',
  'prevHash',
  'hash',
] as const;

export interface ExportDeps {
  db: Db;
  key: () => Promise<AuditSigningKey>;
  maxRows: number;
}

export interface ExportSummary {
  format: AuditExportQuery['format'];
  rows: number;
  fromSeq: number;
  toSeq: number;
  truncated: boolean;
  aborted: boolean;
  bytes: number;
  sha256: string;
}

/** Writes with backpressure; false once the client has gone. */
class Sink {
  private hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly res: Response) {}

  get gone(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  async write(text: string): Promise<boolean> {
    if (text.length === 0) return !this.gone;
    if (this.gone) return false;
    const chunk = Buffer.from(text, 'utf8'); // encoded once, for the digest and the socket
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (this.res.write(chunk)) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
    return !this.gone;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * PostgreSQL renders the rows of csv and ndjson exports (fetchAuditText): the NDJSON line is the
 * AuditEvent of GET /v1/audit, the CSV record its columns, cell for cell what `csvCell` writes
 * (formula-safe, RFC 4180 quoting; an integration test holds the two equal). This process reads two
 * columns a row instead of sixteen and formats nothing: measured on the 10M-row benchmark, the
 * export's CPU per row fell by about a third and splits evenly between the two processes, which run
 * at once (BENCHMARKS.md "## audit").
 *
 * `details_text` is `details::text`, computed once per row (see fetchAuditText).
 */
const ISO_AT_SQL = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`; // Date#toISOString

/** A nullable text column as JSON.stringify writes it (PostgreSQL escapes strings the same way). */
const jsonText = (col: string) => `coalesce(to_json(${col})::text, 'null')`;
const jsonNumber = (col: string) => `coalesce(${col}::text, 'null')`;

const NDJSON_LINE_SQL = `concat('{"seq":', seq, ',"at":"', ${ISO_AT_SQL}, '","type":', ${jsonText('type')},
  ',"actor":', ${jsonText('actor')}, ',"incidentId":', ${jsonNumber('incident_id')},
  ',"campaignId":', ${jsonNumber('campaign_id')}, ',"notificationId":', ${jsonNumber('notification_id')},
  ',"subscriberHash":', ${jsonText('subscriber_hash')}, ',"contactMasked":', ${jsonText('contact_masked')},
  ',"carrier":', ${jsonText('carrier')}, ',"channel":', ${jsonText('channel')},
  ',"attempt":', ${jsonNumber('attempt')}, ',"outcome":', ${jsonText('outcome')},
  ',"details":', coalesce(details_text, 'null'), ',"prevHash":', ${jsonText('prev_hash')},
  ',"hash":', ${jsonText('hash')}, '}', chr(10))`;

// NUL cannot be stored in a PostgreSQL text value; the rest of the list is checked as code points.
const FORMULA_FIRST_SQL = `(${FORMULA_START_CHARS.filter((c) => c !== '\0')
  .map((c) => `chr(${c.codePointAt(0)})`)
  .join(', ')})`;

/** One CSV cell of a nullable text column, as `csvCell` writes it. */
function csvText(col: string): string {
  const safe = `CASE WHEN left(${col}, 1) IN ${FORMULA_FIRST_SQL} THEN '''' || ${col} ELSE ${col} END`;
  return `CASE WHEN ${col} IS NULL THEN ''
    WHEN strpos(${col}, '"') > 0 OR strpos(${col}, ',') > 0 OR strpos(${col}, chr(10)) > 0
      OR strpos(${col}, chr(13)) > 0 THEN concat('"', replace(${safe}, '"', '""'), '"')
    ELSE ${safe} END`;
}
const csvNumber = (col: string) => `coalesce(${col}::text, '')`;

const CSV_LINE_SQL = `concat(seq, ',', ${ISO_AT_SQL}, ',', ${csvText('type')}, ',', ${csvText('actor')},
  ',', ${csvNumber('incident_id')}, ',', ${csvNumber('campaign_id')}, ',', ${csvNumber('notification_id')},
  ',', ${csvText('subscriber_hash')}, ',', ${csvText('contact_masked')}, ',', ${csvText('carrier')},
  ',', ${csvText('channel')}, ',', ${csvNumber('attempt')}, ',', ${csvText('outcome')},
  ',', ${csvText('details_text')}, ',', ${csvText('prev_hash')}, ',', ${csvText('hash')}, chr(13), chr(10))`;

function filtersOf(q: AuditExportQuery): AuditFilters {
  const { format: _format, after: _after, ...filters } = q;
  return filters;
}

/**
 * GET /v1/audit/export: streams the filtered log as CSV (formula-safe), NDJSON, or a verifiable
 * bundle, in keyset batches of BATCH_ROWS, so memory stays flat for ten million rows on PostgreSQL and
 * PGlite alike. The export covers the log up to the head committed when it started, and is itself
 * audited (`audit.exported`, with the SHA-256 of the bytes sent) once it ends.
 */
export async function exportAudit(
  deps: ExportDeps,
  q: AuditExportQuery,
  res: Response,
  actor: string,
): Promise<ExportSummary> {
  const filters = filtersOf(q);
  const plan = await planAuditQuery(deps.db, filters);
  const head = await readHead(deps.db);
  const through = Math.min(plan.through ?? head.seq, head.seq);
  const bounded: AuditPlan = { ...plan, through };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const sink = new Sink(res);
  const record = (outcome: string, details: Record<string, unknown>) =>
    deps.db.transaction((tx) =>
      appendAudit(tx, [
        {
          type: 'audit.exported',
          actor,
          campaignId: filters.campaign ?? null,
          incidentId: filters.incident ?? null,
          outcome,
          details: { format: q.format, filters, ...details },
        },
      ]),
    );
  let summary: ExportSummary;
  try {
    if (q.format === 'bundle') {
      const segment = await bundleSegment(deps.db, bounded, head.seq, !isUnfiltered(filters));
      if (segment.toSeq - segment.start.seq > deps.maxRows) {
        throw new AppError(
          'VALIDATION_FAILED',
          `this bundle would hold ${segment.toSeq - segment.start.seq} rows, more than EXPORT_MAX_ROWS (${deps.maxRows}); narrow the filters`,
        );
      }
      res.status(200).set({
        'content-type': 'application/x-ndjson; charset=utf-8',
        'content-disposition': `attachment; filename="audit-bundle-${stamp}.ndjson"`,
        'x-audit-head-seq': String(head.seq),
      });
      summary = await streamBundle(deps, sink, segment, filters, actor);
    } else {
      res.status(200).set({
        'content-type':
          q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
        'content-disposition': `attachment; filename="audit-${stamp}.${q.format}"`,
        'x-audit-head-seq': String(head.seq),
      });
      summary = await streamRows(deps, sink, bounded, q, head.seq);
    }
  } catch (err) {
    if (res.headersSent) await record('failed', { error: (err as Error).message, bytes: sink.bytes });
    throw err;
  }
  // Recorded before the last byte goes out: whoever holds a complete export finds its audit event.
  await record(summary.aborted ? 'aborted' : summary.truncated ? 'truncated' : 'complete', { ...summary });
  if (!sink.gone) res.end();
  return summary;
}

async function streamRows(
  deps: ExportDeps,
  sink: Sink,
  plan: AuditPlan,
  q: AuditExportQuery,
  headSeq: number,
): Promise<ExportSummary> {
  let after = q.after ?? 0;
  let rows = 0;
  let truncated = false;
  let aborted = false;
  let first = 0;
  const line = q.format === 'csv' ? CSV_LINE_SQL : NDJSON_LINE_SQL;
  const none = { rows: 0, firstSeq: 0, lastSeq: 0, text: '' };
  const fetchAfter = (cursor: number, limit: number) =>
    limit > 0 ? fetchAuditText(deps.db, plan, cursor, limit, line) : Promise.resolve(none);
  if (q.format === 'csv') await sink.write(toSafeCsv([], { header: CSV_COLUMNS }));
  // The next page is rendered by the database while this one is written: both work at once.
  let pending = fetchAfter(after, Math.min(BATCH_ROWS, deps.maxRows));
  for (;;) {
    const page = await pending;
    if (page.rows === 0) break;
    if (first === 0) first = page.firstSeq;
    rows += page.rows;
    after = page.lastSeq;
    const full = page.rows === BATCH_ROWS || rows === deps.maxRows;
    pending = full ? fetchAfter(after, Math.min(BATCH_ROWS, deps.maxRows - rows)) : Promise.resolve(none);
    if (!(await sink.write(page.text))) {
      aborted = true;
      await pending.catch(() => undefined);
      break;
    }
  }
  if (!aborted && rows >= deps.maxRows) truncated = (await fetchAfter(after, 1)).rows > 0;
  if (truncated) {
    const note = `truncated after ${rows} rows (EXPORT_MAX_ROWS); export again with after=${after}`;
    await sink.write(
      q.format === 'csv'
        ? toSafeCsv([[`# ${note}`]])
        : `${JSON.stringify({ truncated: true, limit: deps.maxRows, nextCursor: after, note })}\n`,
    );
  }
  return {
    format: q.format,
    rows,
    fromSeq: first,
    toSeq: rows > 0 ? after : headSeq,
    truncated,
    aborted,
    bytes: sink.bytes,
    sha256: sink.digest(),
  };
}

interface BundleSegment {
  start: { seq: number; hash: string };
  toSeq: number;
}

/**
 * The stretch of chain a bundle carries: from the last checkpoint before the first matching row (or
 * genesis) to the last matching row (the head, without filters). Every row inside it goes in.
 */
async function bundleSegment(
  db: Db,
  plan: AuditPlan,
  headSeq: number,
  filtered: boolean,
): Promise<BundleSegment> {
  let firstSeq = 1;
  let toSeq = plan.through ?? headSeq;
  if (filtered) {
    const b = await matchingSeqBounds(db, plan);
    if (!b) return { start: { seq: 0, hash: GENESIS_HASH }, toSeq: 0 };
    firstSeq = b.first;
    toSeq = b.last;
  }
  // After retention the chain starts at its floor (a checkpoint is signed there when rows are dropped).
  const floor = await readRetentionFloor(db);
  if (floor) firstSeq = Math.max(firstSeq, floor.seq + 1);
  const anchor = firstSeq > 1 ? await latestCheckpoint(db, firstSeq - 1) : null;
  return { start: anchor ? { seq: anchor.seq, hash: anchor.hash } : { seq: 0, hash: GENESIS_HASH }, toSeq };
}

async function streamBundle(
  deps: ExportDeps,
  sink: Sink,
  segment: BundleSegment,
  filters: AuditFilters,
  actor: string,
): Promise<ExportSummary> {
  const key = await deps.key();
  const { start, toSeq } = segment;
  let closing = null;
  if (toSeq > start.seq) {
    const last = await deps.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = $1', [toSeq]);
    closing = await writeCheckpoint(deps.db, key, { seq: toSeq, hash: last.rows[0]!.hash });
  }
  const checkpoints = await checkpointsBetween(deps.db, start.seq, toSeq);
  const keys = new Map<string, string>([[key.keyId, key.publicKeyPem]]);
  for (const cp of checkpoints) keys.set(cp.keyId, cp.publicKey);
  if (start.seq > 0) {
    const anchor = await latestCheckpoint(deps.db, start.seq);
    if (anchor) {
      keys.set(anchor.keyId, anchor.publicKey);
      checkpoints.unshift(anchor);
    }
  }
  const header: BundleHeader = {
    kind: 'header',
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exportedAt: new Date().toISOString(),
    exportedBy: actor,
    start,
    toSeq,
    filters,
    publicKeys: [...keys].map(([keyId, publicKey]) => ({ keyId, publicKey })),
  };
  let ok = await sink.write(bundleLine(header));
  for (const cp of checkpoints) {
    if (!ok) break;
    const { publicKey: _pk, ...rest } = cp;
    ok = await sink.write(bundleLine({ kind: 'checkpoint', ...rest }));
  }
  let after = start.seq;
  let rows = 0;
  let headHash = start.hash;
  let headSeq = start.seq;
  // Seq windows, as in verify-live-chain.ts: each query is a small primary-key range.
  while (ok && after < toSeq) {
    const upto = Math.min(toSeq, after + BATCH_ROWS);
    const batch = await deps.db.query<AuditRow>(
      'SELECT * FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq',
      [after, upto],
    );
    after = upto;
    if (batch.rows.length === 0) continue;
    let text = '';
    for (const r of batch.rows) text += bundleLine({ kind: 'row', row: normalizeRow(r) });
    rows += batch.rows.length;
    const lastRow = batch.rows[batch.rows.length - 1]!;
    headSeq = Number(lastRow.seq);
    headHash = lastRow.hash;
    ok = await sink.write(text);
  }
  if (ok) ok = await sink.write(bundleLine({ kind: 'end', rows, headSeq, headHash }));
  return {
    format: 'bundle',
    rows,
    fromSeq: start.seq + 1,
    toSeq,
    truncated: false,
    aborted: !ok,
    bytes: sink.bytes,
    sha256: sink.digest(),
    ...(closing ? { closingCheckpoint: closing.seq } : {}),
  } as ExportSummary;
}

/** The row exactly as hashed: ISO time, numbers as numbers. */
function normalizeRow(r: AuditRow): AuditRow {
  return {
    ...r,
    seq: Number(r.seq),
    at: new Date(r.at).toISOString(),
    incident_id: r.incident_id === null ? null : Number(r.incident_id),
    campaign_id: r.campaign_id === null ? null : Number(r.campaign_id),
    notification_id: r.notification_id === null ? null : Number(r.notification_id),
  };
}
