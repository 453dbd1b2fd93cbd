import { stringify } from 'csv-stringify/sync';
import { CSV_COLUMNS, CSV_HEADER, CSV_LIST_SEPARATOR, type SubscriberInput } from '../api/subscribers.schema';

export const POPULATION_FILE_FORMATS = ['ndjson', 'csv', 'json'] as const;
export type PopulationFileFormat = (typeof POPULATION_FILE_FORMATS)[number];

/** Content-Type of each file format, as POST /v1/subscribers/bulk accepts it. */
export const CONTENT_TYPES: Record<PopulationFileFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
  json: 'application/json',
};

const ROWS_PER_CHUNK = 1000;

function csvCells(row: SubscriberInput): string[] {
  return CSV_HEADER.map((col) => {
    const v = row[CSV_COLUMNS[col] as keyof SubscriberInput];
    if (v === null || v === undefined) return '';
    return Array.isArray(v) ? v.join(CSV_LIST_SEPARATOR) : String(v);
  });
}

/**
 * A population as the text of a bulk file, in chunks of a thousand rows: NDJSON (one object a line),
 * CSV (header row, lists joined by `;`, quoted by csv-stringify where needed), or a JSON array with
 * one element a line. Deterministic: the same rows give the same bytes.
 */
export function* populationText(
  rows: Iterable<SubscriberInput>,
  format: PopulationFileFormat,
): Generator<string> {
  let batch: SubscriberInput[] = [];
  let first = true;
  const render = (b: SubscriberInput[]): string => {
    if (format === 'ndjson') return b.map((r) => `${JSON.stringify(r)}\n`).join('');
    if (format === 'csv') return stringify(b.map(csvCells));
    const body = b.map((r) => JSON.stringify(r)).join(',\n');
    const out = `${first ? '[\n' : ',\n'}${body}`;
    first = false;
    return out;
  };
  if (format === 'csv') yield stringify([CSV_HEADER]);
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= ROWS_PER_CHUNK) {
      yield render(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield render(batch);
  if (format === 'json') yield first ? '[]\n' : '\n]\n';
}
