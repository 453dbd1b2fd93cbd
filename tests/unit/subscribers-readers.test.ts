import fc from 'fast-check';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { RecordFramer } from '../../services/api/steps/subscribers/frame-records';
import { readCsv } from '../../services/api/steps/subscribers/read-csv';
import { readNdjson } from '../../services/api/steps/subscribers/read-ndjson';
import { readJsonArray } from '../../services/api/steps/subscribers/read-json-array';
import { BodyStop, type SourceRecord } from '../../services/api/steps/subscribers/source-record';
import { AppError } from '../../shared/errors';

const seed = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`subscribers-readers: fast-check seed ${seed} (replay with FC_SEED=${seed})`);
fc.configureGlobal({ seed, numRuns: 200 });

function frame(input: Buffer, chunkSizes: number[], quoteAware: boolean, maxRecordLines = 1000) {
  const f = new RecordFramer({ maxRecordBytes: 1000, quoteAware, maxRecordLines });
  const out = [];
  let pos = 0;
  let i = 0;
  while (pos < input.length) {
    const n = Math.max(1, chunkSizes[i++ % Math.max(1, chunkSizes.length)] ?? input.length);
    out.push(...f.push(input.subarray(pos, pos + n)));
    pos += n;
  }
  out.push(...f.end());
  return out.map((r) => ({ line: r.line, problem: r.problem, text: r.bytes.toString('utf8') }));
}

async function* chunked(input: Buffer | string, size = 7): AsyncGenerator<Buffer> {
  const b = Buffer.isBuffer(input) ? input : Buffer.from(input);
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
}

async function collect(
  gen: AsyncIterable<SourceRecord[]>,
): Promise<{ records: SourceRecord[]; stop?: unknown }> {
  const records: SourceRecord[] = [];
  try {
    for await (const g of gen) records.push(...g);
  } catch (err) {
    return { records, stop: err };
  }
  return { records };
}

const errorsOf = (records: SourceRecord[]) =>
  records.filter((r) => r.error).map((r) => [r.line, r.error!.code] as [number, string]);

describe('RecordFramer → properties', () => {
  // Cells with the characters that make CSV hard: quotes, commas, CR and LF.
  const cell = fc.stringMatching(/^[a-z",\r\n ]{0,8}$/);
  const table = fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 12 });

  it('valid CSV cut into any chunks → the same records, with the lines they start on', () => {
    fc.assert(
      fc.property(
        table,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        (rows, sizes) => {
          const text = stringify(rows, { quoted_match: /[\r\n",]/, record_delimiter: '\n' });
          const framed = frame(Buffer.from(text), sizes, true);
          const expected = parseCsv(text, { relax_column_count: true, info: true }) as unknown as {
            record: string[];
            info: { lines: number };
          }[];
          // Blank lines are skipped by the framer; csv-parse returns [''] for them.
          const nonBlank = expected.filter((e) => !(e.record.length === 1 && e.record[0] === ''));
          expect(framed.map((f) => f.problem)).toEqual(nonBlank.map(() => null));
          expect(framed.map((f) => parseCsv(f.text, { relax_column_count: true })[0])).toEqual(
            nonBlank.map((e) => e.record),
          );
          // Each record starts on the line after the line feeds of the records before it.
          const starts: number[] = [];
          let line = 1;
          for (const row of rows) {
            const one = stringify([row], { quoted_match: /[\r\n",]/, record_delimiter: '\n' });
            if (one !== '\n') starts.push(line);
            line += one.split('\n').length - 1;
          }
          expect(framed.map((f) => f.line)).toEqual(starts);
        },
      ),
    );
  });

  it('lines cut into any chunks (NDJSON) → the same lines and line numbers as split("\\n")', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z"{} ]{0,12}$/), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 11 }), { minLength: 1, maxLength: 4 }),
        (lines, sizes) => {
          const framed = frame(Buffer.from(lines.join('\n')), sizes, false);
          const expected = lines
            .map((text, i) => ({ line: i + 1, problem: null, text }))
            .filter((l) => l.text !== '');
          expect(framed).toEqual(expected);
        },
      ),
    );
  });
});

describe('RecordFramer → defects stay in their record', () => {
  it('a 10 MB single line → one oversize record, the next line read normally, memory never holds it', () => {
    const f = new RecordFramer({ maxRecordBytes: 16 * 1024, quoteAware: true });
    const out = [...f.push(Buffer.from('a,b\n'))];
    const mb = Buffer.alloc(1024 * 1024, 0x78);
    for (let i = 0; i < 10; i++) out.push(...f.push(mb));
    out.push(...f.push(Buffer.from('\n1,2\n')), ...f.end());
    expect(out.map((r) => [r.line, r.problem, r.bytes.toString()])).toEqual([
      [1, null, 'a,b'],
      [2, 'oversize', ''],
      [3, null, '1,2'],
    ]);
  });

  it('an unclosed quote → its first line reported, framing resumes on the next line', () => {
    const text = 'h1,h2\n"open,1\n2,3\n4,5\n6,7\n8,9\n';
    expect(frame(Buffer.from(text), [3], true, 4).map((r) => [r.line, r.problem ?? r.text])).toEqual([
      [1, 'h1,h2'],
      [2, 'unclosed-quote'],
      [3, '2,3'],
      [4, '4,5'],
      [5, '6,7'],
      [6, '8,9'],
    ]);
  });

  it('a stray quote inside an unquoted field or after a closing quote → the record ends at its line', () => {
    const text = '1,ab"c,3\n"x"y,2\n7,8\n';
    expect(frame(Buffer.from(text), [2], true).map((r) => r.text)).toEqual(['1,ab"c,3', '"x"y,2', '7,8']);
  });

  it('a UTF-8 BOM and CRLF line ends → removed', () => {
    const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\r\n1,2\r\n')]);
    expect(frame(text, [1], true).map((r) => r.text)).toEqual(['a,b', '1,2']);
  });
});

const HEADER = 'carrier,msisdn,email,display_name,data_categories';

describe('readCsv', () => {
  it('rows → fields by API name, lists split on ";", empty cells absent, values verbatim', async () => {
    const { records } = await collect(
      readCsv(chunked(`${HEADER}\nnorthwind-mobile,+12025550142,,"Doe, Pat",call_records;location\n`)),
    );
    expect(records).toEqual([
      {
        line: 2,
        row: 1,
        value: {
          carrier: 'northwind-mobile',
          msisdn: '+12025550142',
          displayName: 'Doe, Pat',
          dataCategories: ['call_records', 'location'],
        },
      },
    ]);
  });

  it('camelCase or spaced headers → accepted as the same columns', async () => {
    const { records } = await collect(readCsv(chunked('Carrier,MSISDN,Display Name\nx,y,z\n')));
    expect(records[0]?.value).toEqual({ carrier: 'x', msisdn: 'y', displayName: 'z' });
  });

  it('wrong, repeated or missing header columns → 400 before any row is read', async () => {
    for (const header of [
      'carrier,phone',
      'carrier,msisdn,msisdn',
      'email,display_name',
      '"carrier,msisdn',
    ]) {
      const { stop } = await collect(readCsv(chunked(`${header}\nnorthwind-mobile,+12025550142\n`)));
      expect(stop, header).toBeInstanceOf(AppError);
      expect((stop as AppError).code).toBe('VALIDATION_FAILED');
      expect((stop as AppError).details[0]?.line).toBe(1);
    }
    const empty = await collect(readCsv(chunked('')));
    expect((empty.stop as AppError).code).toBe('VALIDATION_FAILED');
  });

  it('malformed rows → one error each with its line; the good rows around them still read', async () => {
    const bad = Buffer.concat([
      Buffer.from(`${HEADER}\n`),
      Buffer.from('a,b,c,d,e\n'), // 2: fine
      Buffer.from('a,b\n'), // 3: too few fields
      Buffer.from('"x"y,b,c,d,e\n'), // 4: text after a closing quote
      Buffer.from('a,b"q,c,d,e\n'), // 5: quote in an unquoted field
      Buffer.from('a,'),
      Buffer.from([0xc3, 0x28]), // 6: invalid UTF-8
      Buffer.from(',c,d,e\n'),
      Buffer.from('a,b,c,d,e,f\n'), // 7: too many fields
      Buffer.from('"open,b,c,d,e\n'), // 8: unclosed quote
      Buffer.from('a,b,c,d,e\n'), // 9: fine
    ]);
    const { records, stop } = await collect(readCsv(chunked(bad, 5), { maxRecordBytes: 1024 }));
    expect(stop).toBeUndefined();
    expect(errorsOf(records)).toEqual([
      [3, 'COLUMN_COUNT'],
      [4, 'MALFORMED_ROW'],
      [5, 'MALFORMED_ROW'],
      [6, 'BAD_ENCODING'],
      [7, 'COLUMN_COUNT'],
      [8, 'MALFORMED_ROW'],
    ]);
    expect(records.filter((r) => r.value).map((r) => r.line)).toEqual([2, 9]);
  });
});

describe('readNdjson', () => {
  it('objects per line → records; blank lines skipped but counted; bad lines refused alone', async () => {
    const text = Buffer.concat([
      Buffer.from('{"carrier":"a"}\n\n   \n'),
      Buffer.from('{"carrier":\n'), // 4: not JSON
      Buffer.from('{"x":"'),
      Buffer.from([0xff]),
      Buffer.from('"}\n'), // 5: not UTF-8
      Buffer.from(`{"x":"${'y'.repeat(2000)}"}\n`), // 6: oversize
      Buffer.from('[1,2]\r\n'), // 7: JSON, but not an object (validation refuses it)
      Buffer.from('{"carrier":"b"}'), // 8: no final newline
    ]);
    const { records } = await collect(readNdjson(chunked(text, 3), { maxRecordBytes: 1024 }));
    expect(records.map((r) => [r.line, r.row, r.error?.code ?? 'ok'])).toEqual([
      [1, 1, 'ok'],
      [4, 2, 'MALFORMED_ROW'],
      [5, 3, 'BAD_ENCODING'],
      [6, 4, 'OVERSIZE_ROW'],
      [7, 5, 'ok'],
      [8, 6, 'ok'],
    ]);
  });
});

describe('readJsonArray', () => {
  it('an array → one record per element, with the line it starts on', async () => {
    const text = '[\n  {"carrier": "a", "dataCategories": ["location"]},\n  {"carrier": "b"}\n]\n';
    const { records, stop } = await collect(readJsonArray(chunked(text, 4)));
    expect(stop).toBeUndefined();
    expect(records).toEqual([
      { line: 2, row: 1, value: { carrier: 'a', dataCategories: ['location'] } },
      { line: 3, row: 2, value: { carrier: 'b' } },
    ]);
  });

  it('oversize, too deep or badly encoded elements → refused alone; a "__proto__" key → dropped', async () => {
    const text = Buffer.concat([
      Buffer.from(`[{"a":"${'x'.repeat(3000)}"},\n{"a":{"b":{"c":1}}},\n{"a":"`),
      Buffer.from([0xfe]),
      Buffer.from('"},\n{"__proto__":{"carrier":"x"},"msisdn":"1"}]'),
    ]);
    const { records } = await collect(readJsonArray(chunked(text, 64), { maxRecordBytes: 1024 }));
    expect(records.map((r) => [r.line, r.error?.code ?? r.value])).toEqual([
      [1, 'OVERSIZE_ROW'],
      [2, 'MALFORMED_ROW'],
      [3, 'BAD_ENCODING'],
      [4, { msisdn: '1' }],
    ]);
    expect(Object.getPrototypeOf(records[3]!.value)).toBe(Object.prototype);
  });

  it('a syntax error, an object body or a truncated array → BodyStop with the line; earlier elements kept', async () => {
    const syntax = await collect(readJsonArray(chunked('[{"a":1},\n{"b":2,,}]')));
    expect(syntax.records).toHaveLength(1);
    expect(syntax.stop).toBeInstanceOf(BodyStop);
    expect((syntax.stop as BodyStop).line).toBe(2);
    for (const body of ['{"carrier":"a"}', '[{"a":1}', '', '[] []']) {
      const r = await collect(readJsonArray(chunked(body)));
      expect(r.stop, body).toBeInstanceOf(BodyStop);
      expect((r.stop as BodyStop).code).toBe('MALFORMED_BODY');
    }
  });
});
