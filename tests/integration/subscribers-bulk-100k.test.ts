import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, startApi, type ApiHarness } from '../helpers/api-harness';
import { databaseUrl } from '../helpers/world';
import { generatePopulation, type PopulationOptions } from '../../shared/population/generate-population';
import {
  CONTENT_TYPES,
  populationText,
  type PopulationFileFormat,
} from '../../shared/population/write-population';
import { validateSubscriber } from '../../services/api/steps/subscribers/validate-subscriber';
import { verifyChain } from '../../shared/audit/verify-chain';
import type { AuditRow } from '../../shared/audit/audit-event';
import type { ImportResult } from '../../shared/api/subscribers.schema';

// 100,000 rows through the real API into PostgreSQL. Embedded PGlite (no DATABASE_URL) is a
// single-process WASM engine about ten times slower here, so that run imports 20,000 rows instead.
const COUNT = databaseUrl() ? 100_000 : 20_000;
const POPULATION: PopulationOptions = {
  count: COUNT,
  seed: 2024,
  mix: { duplicates: 0.005, malformedNumbers: 0.005, sharedEmails: 0.02, optedOut: 0.02 },
};

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi('subscribers100k');
}, 120_000);
afterAll(async () => {
  await api?.close();
});

/** Streams a generated file to the bulk endpoint without holding it whole in memory. */
async function upload(format: PopulationFileFormat): Promise<{ status: number; body: ImportResult }> {
  const encoder = new TextEncoder();
  const chunks = populationText(generatePopulation(POPULATION), format);
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
  const res = await fetch(`${api.url}/v1/subscribers/bulk`, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPES[format], ...authHeaders('operator') },
    body,
    duplex: 'half',
  } as RequestInit);
  return { status: res.status, body: (await res.json()) as ImportResult };
}

/** What the import must answer, worked out independently: validate each row, first of a pair wins. */
function expected(): { accepted: number; rejected: number } {
  const seen = new Set<string>();
  let accepted = 0;
  let rejected = 0;
  for (const row of generatePopulation(POPULATION)) {
    const v = validateSubscriber(row);
    const key = `${row.carrier}|${row.msisdn}`;
    if (!v.ok || seen.has(key)) rejected += 1;
    else {
      seen.add(key);
      accepted += 1;
    }
  }
  return { accepted, rejected };
}

describe(`bulk import of ${COUNT.toLocaleString('en-US')} rows through the API`, () => {
  it(
    'NDJSON into an empty registry → every valid row registered, every refusal counted and stored',
    { timeout: 300_000 },
    async () => {
      const want = expected();
      expect(want.rejected).toBeGreaterThan(COUNT * 0.005);
      const r = await upload('ndjson');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        complete: true,
        rows: COUNT,
        accepted: want.accepted,
        updated: 0,
        unchanged: 0,
        rejected: want.rejected,
      });
      const n = await api.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscribers');
      expect(Number(n.rows[0]!.n)).toBe(want.accepted);
      const stored = await api.deps.db.query<{ n: number; rows: number }>(
        'SELECT count(*)::int AS n, count(DISTINCT line)::int AS rows FROM subscriber_import_errors WHERE import_id = $1',
        [r.body.importId],
      );
      expect(Number(stored.rows[0]!.rows)).toBe(want.rejected);
      expect(Number(stored.rows[0]!.n)).toBe(r.body.errorsStored);
    },
  );

  it(
    'the same population as CSV → all upserts of existing subscribers, none new; the audit chain verifies',
    { timeout: 300_000 },
    async () => {
      const want = expected();
      const r = await upload('csv');
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        format: 'csv',
        complete: true,
        rows: COUNT,
        accepted: 0,
        updated: 0,
        unchanged: want.accepted,
        rejected: want.rejected,
      });
      const rows = (await api.deps.db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
      expect(verifyChain(rows)).toMatchObject({ ok: true });
      // Batched audit: a few events per 5,000 rows, not one per row.
      expect(rows.length).toBeLessThan((2 * COUNT * 3) / 5_000 + 10);
    },
  );
});
