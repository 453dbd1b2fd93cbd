import { isUtf8 } from 'node:buffer';
import { parse as parseCsv } from 'csv-parse/sync';
import { AppError, type ErrorDetail } from '../../../../shared/errors';
import {
  CSV_COLUMNS,
  CSV_LIST_SEPARATOR,
  type CsvColumn,
  type SubscriberInputRaw,
} from '../../../../shared/api/subscribers.schema';
import { frameRecords, type FramedRecord } from './frame-records';
import { MAX_RECORD_BYTES, type SourceRecord } from './source-record';

const LIST_FIELDS: ReadonlySet<string> = new Set(['dataCategories', 'channels']);
const REQUIRED_COLUMNS: readonly CsvColumn[] = ['carrier', 'msisdn'];

const normalise = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');
const COLUMN_BY_NORMALISED = new Map<string, CsvColumn>(
  (Object.keys(CSV_COLUMNS) as CsvColumn[]).map((c) => [normalise(c), c]),
);
const COLUMN_OF_FIELD = new Map<string, CsvColumn>(
  (Object.entries(CSV_COLUMNS) as [CsvColumn, string][]).map(([c, f]) => [f, c]),
);

/** Error fields are reported by CSV column name (display_name), not the JSON one (displayName). */
export function csvFieldLabel(field: string): string {
  return COLUMN_OF_FIELD.get(field) ?? field;
}

const QUOTE_ERRORS: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: 'bad quoting: a quoted field goes on after its closing quote',
  INVALID_OPENING_QUOTE:
    'bad quoting: a quote inside an unquoted field (quote the whole field, double inner quotes)',
  CSV_QUOTE_NOT_CLOSED: 'bad quoting: a quoted field is not closed',
};

/** One record with quotes → its fields, by csv-parse. */
function parseQuoted(text: string): string[] | { error: string } {
  try {
    const records = parseCsv(text, {
      relax_column_count: true,
      bom: false,
      record_delimiter: '\n',
    }) as string[][];
    if (records.length !== 1) return { error: 'bad quoting: the record holds more than one row' };
    return records[0]!;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    return { error: QUOTE_ERRORS[code] ?? 'bad quoting: the row cannot be read as CSV' };
  }
}

/**
 * Splits the records of one chunk into fields. A record without a quote is split on commas (RFC 4180
 * has nothing else to say about it, and it is most rows). The records with quotes go to csv-parse
 * together, one call per chunk (a call costs far more than a row: about 150 µs, measured); if that
 * call fails, each is parsed alone so the error lands on its own record. csv-parse alone reads about
 * 50,000 rows/s here, the whole import's budget.
 */
function fieldsOf(texts: readonly string[]): (string[] | { error: string })[] {
  const out: (string[] | { error: string })[] = new Array(texts.length);
  const quoted: number[] = [];
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i]!;
    if (t.includes('"')) quoted.push(i);
    else out[i] = t.split(',');
  }
  if (quoted.length === 1) out[quoted[0]!] = parseQuoted(texts[quoted[0]!]!);
  else if (quoted.length > 1) {
    let together: string[][] | null = null;
    try {
      together = parseCsv(quoted.map((i) => texts[i]).join('\n'), {
        relax_column_count: true,
        bom: false,
        record_delimiter: '\n',
      }) as string[][];
    } catch {
      together = null;
    }
    if (together && together.length === quoted.length) quoted.forEach((i, k) => (out[i] = together[k]!));
    else for (const i of quoted) out[i] = parseQuoted(texts[i]!);
  }
  return out;
}

/** A header problem: a 400 before any row is read, so nothing is registered. */
function headerError(message: string, details: ErrorDetail[]): AppError {
  return new AppError('VALIDATION_FAILED', message, details);
}

const shown = (name: string) => JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);

/** The header row → the API field of each column; refuses unknown, repeated and missing columns. */
function readHeader(r: FramedRecord): (keyof SubscriberInputRaw)[] {
  if (r.problem || !isUtf8(r.bytes)) {
    throw headerError('the CSV header row is unreadable (too long, unclosed quote or not UTF-8)', [
      { line: r.line, path: 'header', code: 'MALFORMED_HEADER', message: 'the header row cannot be read' },
    ]);
  }
  const names = fieldsOf([r.bytes.toString('utf8')])[0]!;
  if (!Array.isArray(names)) {
    throw headerError(`the CSV header row is malformed: ${names.error}`, [
      { line: r.line, path: 'header', code: 'MALFORMED_HEADER', message: names.error },
    ]);
  }
  const details: ErrorDetail[] = [];
  const columns: CsvColumn[] = [];
  for (const name of names) {
    const col = COLUMN_BY_NORMALISED.get(normalise(name));
    if (!col) {
      details.push({
        line: r.line,
        path: `header.${columns.length}`,
        code: 'UNKNOWN_COLUMN',
        message: `column ${shown(name)} is not one of: ${Object.keys(CSV_COLUMNS).join(', ')}`,
      });
    } else if (columns.includes(col)) {
      details.push({
        line: r.line,
        path: `header.${col}`,
        code: 'DUPLICATE_COLUMN',
        message: `column ${col} appears twice`,
      });
    }
    if (col) columns.push(col);
  }
  for (const col of REQUIRED_COLUMNS) {
    if (!columns.includes(col)) {
      details.push({
        line: r.line,
        path: `header.${col}`,
        code: 'MISSING_COLUMN',
        message: `column ${col} is required`,
      });
    }
  }
  if (details.length > 0) {
    throw headerError(
      `the CSV header row does not match the subscriber columns: ${details[0]!.message}`,
      details,
    );
  }
  return columns.map((c) => CSV_COLUMNS[c]);
}

/**
 * CSV with a header row → records keyed by API field, with their line numbers. Empty cells are
 * absent fields; lists (data_categories, channels) are separated by `;`. Values are taken verbatim:
 * nothing is trimmed or repaired. The header is checked before any row is read: a wrong header is
 * a 400 with nothing registered.
 */
export async function* readCsv(
  chunks: AsyncIterable<Buffer>,
  opts: { maxRecordBytes?: number } = {},
): AsyncGenerator<SourceRecord[]> {
  const max = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
  let fields: (keyof SubscriberInputRaw)[] | null = null;
  let row = 0;
  for await (const framed of frameRecords(chunks, { maxRecordBytes: max, quoteAware: true })) {
    const out: SourceRecord[] = [];
    let from = 0;
    if (fields === null) {
      fields = readHeader(framed[0]!);
      from = 1;
    }
    const texts: (string | null)[] = [];
    for (let k = from; k < framed.length; k++) {
      const r = framed[k]!;
      texts.push(r.problem || !isUtf8(r.bytes) ? null : r.bytes.toString('utf8'));
    }
    const parsed = fieldsOf(texts.filter((t): t is string => t !== null));
    let p = 0;
    for (let k = from; k < framed.length; k++) {
      const r = framed[k]!;
      row += 1;
      const line = r.line;
      if (r.problem === 'oversize') {
        out.push({
          line,
          row,
          error: {
            field: null,
            code: 'OVERSIZE_ROW',
            message: `the row is longer than ${max} bytes; it was skipped unread`,
          },
        });
        continue;
      }
      if (r.problem === 'unclosed-quote') {
        out.push({
          line,
          row,
          error: {
            field: null,
            code: 'MALFORMED_ROW',
            message: 'bad quoting: a quoted field is not closed on this line',
          },
        });
        continue;
      }
      if (texts[k - from] === null) {
        out.push({
          line,
          row,
          error: { field: null, code: 'BAD_ENCODING', message: 'the row is not valid UTF-8' },
        });
        continue;
      }
      const cells = parsed[p++]!;
      if (!Array.isArray(cells)) {
        out.push({ line, row, error: { field: null, code: 'MALFORMED_ROW', message: cells.error } });
        continue;
      }
      if (cells.length !== fields.length) {
        out.push({
          line,
          row,
          error: {
            field: null,
            code: 'COLUMN_COUNT',
            message: `the row has ${cells.length} fields, the header ${fields.length}`,
          },
        });
        continue;
      }
      const value: Record<string, unknown> = {};
      for (let i = 0; i < fields.length; i++) {
        const cell = cells[i]!;
        if (cell === '') continue;
        const field = fields[i]!;
        value[field] = LIST_FIELDS.has(field) ? cell.split(CSV_LIST_SEPARATOR) : cell;
      }
      out.push({ line, row, value });
    }
    if (out.length > 0) yield out;
  }
  if (fields === null) {
    throw new AppError('VALIDATION_FAILED', 'the CSV body is empty: it needs a header row and data rows', [
      { line: 1, path: 'header', code: 'MISSING_HEADER', message: 'no header row' },
    ]);
  }
}
