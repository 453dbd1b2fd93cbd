import { stringify } from 'csv-stringify/sync';

/**
 * First characters that make a spreadsheet run a cell as a formula (CSV injection, OWASP; ASVS 5.0
 * V1.2.10): `=`, `+`, `-`, `@`, tab, carriage return, NUL, and the full-width forms of the first four,
 * which some spreadsheets fold to ASCII. The audit export checks the same list in SQL.
 */
export const FORMULA_START_CHARS: readonly string[] = [
  '=',
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\0',
  '\uFF1D',
  '\uFF0B',
  '\uFF0D',
  '\uFF20',
];
const FORMULA_START = new RegExp(
  `^[${FORMULA_START_CHARS.map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}]`,
);

/** Prefixes a dangerous cell with an apostrophe, which spreadsheets show as text and do not evaluate. */
export function neutralizeFormula(cell: string): string {
  return FORMULA_START.test(cell) ? `'${cell}` : cell;
}

export type CsvCell = string | number | boolean | null | undefined;

/**
 * CSV text for `rows` (RFC 4180 through csv-stringify: quotes doubled, fields with a comma, quote or
 * line break quoted), every string cell neutralised. Numbers are written as numbers; null is empty.
 */
export function toSafeCsv(
  rows: readonly (readonly CsvCell[])[],
  opts: { header?: readonly string[] } = {},
): string {
  const all = opts.header ? [opts.header, ...rows] : rows;
  return stringify(all as CsvCell[][], {
    eof: true,
    record_delimiter: 'windows',
    // csv-stringify quotes a lone LF or CR only when told to once record_delimiter is set.
    quote_record_delimiter: true,
    cast: {
      string: (v) => neutralizeFormula(v),
      boolean: (v) => (v ? 'true' : 'false'),
    },
  });
}

const NEEDS_QUOTES = /[",\r\n]/;

/** One cell as `toSafeCsv` writes it (null empty, numbers as numbers, strings neutralised and quoted). */
export function csvCell(v: CsvCell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const s = neutralizeFormula(v);
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The same text `toSafeCsv` (csv-stringify) writes for these rows, without its per-field option
 * machinery: the audit export writes millions of rows, at several times the speed. A property test
 * (tests/unit/audit-chain.test.ts) keeps the two byte-for-byte equal.
 */
export function toSafeCsvFast(rows: readonly (readonly CsvCell[])[]): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) out += ',';
      out += csvCell(row[i]);
    }
    out += '\r\n';
  }
  return out;
}
