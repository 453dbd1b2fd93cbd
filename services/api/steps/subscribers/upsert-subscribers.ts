import type { Queryable } from '../../../../shared/store/db';
import type { SubscriberInput } from '../../../../shared/api/subscribers.schema';

/** A subscribers row as stored (001_core.sql). */
export interface SubscriberRow {
  id: number;
  carrier: string;
  msisdn: string | null;
  email: string | null;
  display_name: string | null;
  locale: string;
  region: string | null;
  account_type: string;
  data_categories: string[];
  channels: string[];
  opted_out_at: Date | string | null;
  external_ref: string | null;
  erased_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

// The rows travel as eleven parallel arrays (unnest), each sent as one array literal: cheaper to
// build and to parse than a JSON document, measured here (SubscriberColumns builds them).
const SOURCE = `SELECT carrier, msisdn, email, display_name, locale, region, account_type,
         string_to_array(data_categories, ',') AS data_categories, string_to_array(channels, ',') AS channels,
         opted_out_at, external_ref
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                $8::text[], $9::text[], $10::timestamptz[], $11::text[])
      AS r(carrier, msisdn, email, display_name, locale, region, account_type, data_categories, channels,
           opted_out_at, external_ref)`;

// Upsert by (carrier, msisdn). A row replaces the registered fields, but an opt-out is never undone
// by a registration. A row identical to what is stored is left alone (no new tuple, no updated_at):
// re-importing a file writes only what changed.
const UPSERT = `INSERT INTO subscribers (carrier, msisdn, email, display_name, locale, region, account_type,
                         data_categories, channels, opted_out_at, external_ref)
  ${SOURCE}
  ON CONFLICT (carrier, msisdn) DO UPDATE SET
    email = EXCLUDED.email, display_name = EXCLUDED.display_name, locale = EXCLUDED.locale,
    region = EXCLUDED.region, account_type = EXCLUDED.account_type,
    data_categories = EXCLUDED.data_categories, channels = EXCLUDED.channels,
    opted_out_at = COALESCE(subscribers.opted_out_at, EXCLUDED.opted_out_at),
    external_ref = EXCLUDED.external_ref, updated_at = now()
  WHERE (subscribers.email, subscribers.display_name, subscribers.locale, subscribers.region,
         subscribers.account_type, subscribers.data_categories, subscribers.channels,
         subscribers.external_ref, subscribers.opted_out_at IS NULL)
        IS DISTINCT FROM
        (EXCLUDED.email, EXCLUDED.display_name, EXCLUDED.locale, EXCLUDED.region,
         EXCLUDED.account_type, EXCLUDED.data_categories, EXCLUDED.channels,
         EXCLUDED.external_ref, subscribers.opted_out_at IS NULL AND EXCLUDED.opted_out_at IS NULL)`;

const UPSERT_COUNTS = `WITH up AS (${UPSERT} RETURNING (xmax = 0) AS inserted)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated
  FROM up`;

const UPSERT_ROWS = `${UPSERT} RETURNING *, (xmax = 0) AS inserted`;

const NEEDS_ESCAPE = /["\\]/g;

/** One element of a PostgreSQL array literal: quoted, with " and \ escaped; NULL for null. */
function element(v: string | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  return `"${v.replace(NEEDS_ESCAPE, '\\$&')}"`;
}

/** Elements of an array literal, comma-separated; one join when nothing needs escaping (most columns). */
function elements(values: readonly (string | null | undefined)[]): string {
  for (const v of values) {
    if (v === null || v === undefined || v.includes('"') || v.includes('\\')) {
      return values.map(element).join(',');
    }
  }
  return `"${values.join('","')}"`;
}

/** The eleven columns of a batch as array literals, ready to bind; `rows` values each. */
export interface SubscriberLiterals {
  readonly rows: number;
  readonly params: string[];
}

const COLUMNS = 11;
/**
 * Rows per piece: each column's values are joined into text every PIECE_ROWS rows, so a row's objects
 * and strings die young instead of living until the batch commits. A batch of 5,000 parsed rows held
 * to its commit outlived two scavenges and was promoted to the old generation, ≈ 0.8 KB a row, which
 * is what made the api's heap (and RSS) swell between full collections during an import.
 */
const PIECE_ROWS = 256;

/**
 * Collects a batch column by column as PostgreSQL array literals. Rows keep their input order:
 * sorting them would give concurrent imports of overlapping files one lock order, but cost more than
 * the whole validation (measured); the rare deadlock between two such imports is retried instead
 * (import-subscribers.ts).
 */
export class SubscriberColumns {
  private readonly pending: (string | null | undefined)[][] = Array.from({ length: COLUMNS }, () => []);
  private readonly pieces: string[][] = Array.from({ length: COLUMNS }, () => []);
  private count = 0;

  get rows(): number {
    return this.count;
  }

  add(r: SubscriberInput): void {
    const p = this.pending;
    p[0]!.push(r.carrier);
    p[1]!.push(r.msisdn);
    p[2]!.push(r.email);
    p[3]!.push(r.displayName);
    p[4]!.push(r.locale);
    p[5]!.push(r.region);
    p[6]!.push(r.accountType);
    // Lists go as comma-joined text; their values are closed vocabularies.
    p[7]!.push(r.dataCategories.join(','));
    p[8]!.push(r.channels.join(','));
    p[9]!.push(r.optedOutAt);
    p[10]!.push(r.externalRef);
    this.count += 1;
    if (p[0]!.length >= PIECE_ROWS) this.seal();
  }

  private seal(): void {
    if (this.pending[0]!.length === 0) return;
    for (let i = 0; i < COLUMNS; i++) {
      this.pieces[i]!.push(elements(this.pending[i]!));
      this.pending[i] = [];
    }
  }

  /** The eleven literals; the collector is spent afterwards. */
  literals(): SubscriberLiterals {
    this.seal();
    const params = this.pieces.map((p) => {
      if (p.length === 0) return '{}';
      // Braces on the end pieces, so that one join makes the literal as one flat string (a
      // concatenation around it would be flattened again, a second copy of a large string).
      p[0] = `{${p[0]!}`;
      p[p.length - 1] = `${p[p.length - 1]!}}`;
      return p.join(',');
    });
    for (const p of this.pieces) p.length = 0;
    return { rows: this.count, params };
  }
}

function literalsOf(rows: readonly SubscriberInput[]): SubscriberLiterals {
  const cols = new SubscriberColumns();
  for (const r of rows) cols.add(r);
  return cols.literals();
}

const INSERT_ONLY = `INSERT INTO subscribers (carrier, msisdn, email, display_name, locale, region, account_type,
                         data_categories, channels, opted_out_at, external_ref)
  ${SOURCE}`;

const UNIQUE_VIOLATION = '23505';

export interface UpsertCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/**
 * Upserts a batch in one set-based statement; (carrier, msisdn) must be unique within the batch.
 * Returns how many were new and how many changed; the rest were already registered exactly so.
 *
 * `tryInsertFirst`: the batch is probably all new (a first import), so try a plain INSERT under a
 * savepoint before the upsert. ON CONFLICT costs each row an extra index probe and WAL record —
 * measured here, 21–27 µs of PostgreSQL CPU a row against 15 for a plain insert. The first row that
 * exists fails the INSERT; the savepoint is rolled back and the batch upserted, so at worst the
 * attempt is wasted. The caller must have opened the savepoint `bulk_insert` (one round trip less).
 */
export async function upsertSubscribers(
  tx: Queryable,
  batch: SubscriberLiterals,
  opts: { tryInsertFirst?: boolean } = {},
): Promise<UpsertCounts> {
  const { rows, params: p } = batch;
  if (rows === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  if (opts.tryInsertFirst) {
    try {
      const r = await tx.query(INSERT_ONLY, p);
      return { inserted: r.rowCount, updated: 0, unchanged: 0 };
    } catch (err) {
      if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
      await tx.query('ROLLBACK TO SAVEPOINT bulk_insert');
    }
  }
  const r = await tx.query<{ inserted: number; updated: number }>(UPSERT_COUNTS, p);
  const inserted = Number(r.rows[0]?.inserted ?? 0);
  const updated = Number(r.rows[0]?.updated ?? 0);
  return { inserted, updated, unchanged: rows - inserted - updated };
}

/** Upserts one subscriber and returns its stored row. */
export async function upsertSubscriber(
  tx: Queryable,
  row: SubscriberInput,
): Promise<{ row: SubscriberRow; outcome: 'created' | 'updated' | 'unchanged' }> {
  const r = await tx.query<SubscriberRow & { inserted: boolean }>(UPSERT_ROWS, literalsOf([row]).params);
  const hit = r.rows[0];
  if (hit) {
    const { inserted, ...stored } = hit;
    return { row: stored, outcome: inserted ? 'created' : 'updated' };
  }
  const same = await tx.query<SubscriberRow>('SELECT * FROM subscribers WHERE carrier = $1 AND msisdn = $2', [
    row.carrier,
    row.msisdn,
  ]);
  return { row: same.rows[0]!, outcome: 'unchanged' };
}
