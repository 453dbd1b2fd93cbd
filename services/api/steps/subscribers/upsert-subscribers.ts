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
// build and to parse than a JSON document, measured here. Lists go as comma-joined text; their values
// are closed vocabularies.
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
  return v.includes('"') || v.includes('\\') ? `"${v.replace(NEEDS_ESCAPE, '\\$&')}"` : `"${v}"`;
}

/**
 * The eleven column literals, built in one pass. Rows keep their input order: sorting them would give
 * concurrent imports of overlapping files one lock order, but cost more than the whole validation
 * (measured); the rare deadlock between two such imports is retried instead (import-subscribers.ts).
 */
function params(rows: readonly SubscriberInput[]): string[] {
  const cols: string[][] = Array.from({ length: 11 }, () => new Array<string>(rows.length));
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    cols[0]![i] = element(r.carrier);
    cols[1]![i] = element(r.msisdn);
    cols[2]![i] = element(r.email);
    cols[3]![i] = element(r.displayName);
    cols[4]![i] = element(r.locale);
    cols[5]![i] = element(r.region);
    cols[6]![i] = element(r.accountType);
    cols[7]![i] = `"${r.dataCategories.join(',')}"`;
    cols[8]![i] = `"${r.channels.join(',')}"`;
    cols[9]![i] = element(r.optedOutAt);
    cols[10]![i] = element(r.externalRef);
  }
  return cols.map((c) => `{${c.join(',')}}`);
}

/**
 * Upserts a batch in one set-based statement; (carrier, msisdn) must be unique within the batch.
 * Returns how many were new and how many changed; the rest were already registered exactly so.
 */
export async function upsertSubscribers(
  tx: Queryable,
  rows: readonly SubscriberInput[],
): Promise<{ inserted: number; updated: number; unchanged: number }> {
  if (rows.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  const r = await tx.query<{ inserted: number; updated: number }>(UPSERT_COUNTS, params(rows));
  const inserted = Number(r.rows[0]?.inserted ?? 0);
  const updated = Number(r.rows[0]?.updated ?? 0);
  return { inserted, updated, unchanged: rows.length - inserted - updated };
}

/** Upserts one subscriber and returns its stored row. */
export async function upsertSubscriber(
  tx: Queryable,
  row: SubscriberInput,
): Promise<{ row: SubscriberRow; outcome: 'created' | 'updated' | 'unchanged' }> {
  const r = await tx.query<SubscriberRow & { inserted: boolean }>(UPSERT_ROWS, params([row]));
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
