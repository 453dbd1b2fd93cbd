import { isUtf8 } from 'node:buffer';
import { frameRecords } from './frame-records';
import { MAX_RECORD_BYTES, type SourceRecord } from './source-record';

const BLANK = /^\s*$/;

/** NDJSON (one JSON object per line) → records with their line numbers; blank lines are skipped. */
export async function* readNdjson(
  chunks: AsyncIterable<Buffer>,
  opts: { maxRecordBytes?: number } = {},
): AsyncGenerator<SourceRecord[]> {
  const max = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
  let row = 0;
  for await (const framed of frameRecords(chunks, { maxRecordBytes: max, quoteAware: false })) {
    const out: SourceRecord[] = [];
    for (const r of framed) {
      if (r.problem === 'oversize') {
        row += 1;
        out.push({
          line: r.line,
          row,
          error: {
            field: null,
            code: 'OVERSIZE_ROW',
            message: `the line is longer than ${max} bytes; it was skipped unread`,
          },
        });
        continue;
      }
      if (!isUtf8(r.bytes)) {
        row += 1;
        out.push({
          line: r.line,
          row,
          error: { field: null, code: 'BAD_ENCODING', message: 'the line is not valid UTF-8' },
        });
        continue;
      }
      const text = r.bytes.toString('utf8');
      if (BLANK.test(text)) continue;
      row += 1;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        out.push({
          line: r.line,
          row,
          error: { field: null, code: 'MALFORMED_ROW', message: 'the line is not one JSON object' },
        });
        continue;
      }
      out.push({ line: r.line, row, value });
    }
    if (out.length > 0) yield out;
  }
}
