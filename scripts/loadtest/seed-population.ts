import type { Db } from '../../shared/store/db';
import { generatePopulation } from '../../shared/population/generate-population';

export interface SeedOptions {
  count: number;
  seed: number;
  /** Restrict to these carriers; all nine by default. */
  carriers?: readonly string[];
  /** Rows per INSERT statement. @defaultValue 10_000 */
  batchSize?: number;
  onProgress?: (done: number) => void;
}

export interface SeedResult {
  /** Rows inserted now (rows already present, same carrier and number, are kept as they are). */
  inserted: number;
  seconds: number;
}

// One statement per batch: the rows travel as one JSON parameter and are unpacked by the server.
const INSERT_SQL = `INSERT INTO subscribers (carrier, msisdn, email, display_name, locale, region, account_type,
    data_categories, channels)
  SELECT carrier, msisdn, email, display_name, locale, region, account_type,
         ARRAY(SELECT json_array_elements_text(data_categories)), ARRAY(SELECT json_array_elements_text(channels))
    FROM json_to_recordset($1::json) AS p(carrier text, msisdn text, email text, display_name text, locale text,
         region text, account_type text, data_categories json, channels json)
  ON CONFLICT (carrier, msisdn) DO NOTHING`;

/**
 * Seeds a synthetic population straight into the store with bulk INSERTs (the load test measures
 * delivery, not registration; registration throughput has its own benchmark). The same seed gives
 * the same people as `POST /v1/subscribers` of `generatePopulation` would register.
 */
export async function seedPopulation(db: Db, opts: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const batchSize = opts.batchSize ?? 10_000;
  let batch: string[] = [];
  let inserted = 0;
  let done = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const r = await db.query(INSERT_SQL, [`[${batch.join(',')}]`]);
    inserted += r.rowCount;
    done += batch.length;
    batch = [];
    opts.onProgress?.(done);
  };
  const population = generatePopulation({
    count: opts.count,
    seed: opts.seed,
    ...(opts.carriers ? { carriers: opts.carriers } : {}),
  });
  for (const p of population) {
    batch.push(
      JSON.stringify({
        carrier: p.carrier,
        msisdn: p.msisdn,
        email: p.email ?? null,
        display_name: p.displayName ?? null,
        locale: p.locale,
        region: p.region ?? null,
        account_type: p.accountType,
        data_categories: p.dataCategories,
        channels: p.channels,
      }),
    );
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  // Statistics for the fresh rows, as autovacuum would give them in time (it may be off, as on a
  // shared test server): without them the fan-out's pages are planned for an empty table (a
  // sequential scan and a sort per page of 1,000).
  await db.query('ANALYZE subscribers').catch(() => undefined);
  return { inserted, seconds: (performance.now() - started) / 1000 };
}

/** Notifications a campaign over the whole population would create, per channel. */
export async function audienceSize(
  db: Db,
  channels: readonly string[],
  regions?: readonly string[],
): Promise<Record<string, number>> {
  const r = await db.query<{ email: number; sms: number }>(
    `SELECT count(*) FILTER (WHERE 'email' = ANY(channels) AND email IS NOT NULL)::int AS email,
            count(*) FILTER (WHERE 'sms' = ANY(channels) AND msisdn IS NOT NULL)::int AS sms
       FROM subscribers WHERE erased_at IS NULL AND ($1::text[] IS NULL OR region = ANY($1::text[]))`,
    [regions ?? null],
  );
  const row = r.rows[0] ?? { email: 0, sms: 0 };
  return Object.fromEntries(channels.map((c) => [c, c === 'email' ? row.email : row.sms]));
}
