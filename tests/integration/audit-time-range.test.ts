import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, databaseUrl, type TestDb } from '../helpers/world';
import { seqAtOrAfter } from '../../services/api/steps/audit/plan-audit-query';

/**
 * Time ranges of GET /v1/audit and the exports become seq ranges (seqAtOrAfter): a binary search
 * within the UTC month of the bound, deferring to a later month when that one holds no row. Checked
 * here against the definition, over a log whose months are uneven: some empty, some of one row, the
 * first and last rows on month boundaries, several rows sharing a time.
 */

const kinds = databaseUrl() ? (['postgres', 'pglite'] as const) : (['pglite'] as const);

const TIMES = [
  '2026-01-01T00:00:00.000Z', // the first instant of a month
  '2026-01-15T10:00:00.000Z',
  '2026-01-15T10:00:00.000Z', // same time as the row before
  '2026-01-31T23:59:59.999Z', // the last instant of a month
  // February empty
  '2026-03-01T00:00:00.000Z',
  '2026-03-02T00:00:00.000Z',
  '2026-03-31T12:00:00.000Z',
  // April empty
  '2026-05-20T08:30:00.000Z', // a month of one row
  '2026-06-01T00:00:00.001Z',
  '2026-06-01T00:00:00.001Z',
];

/** The definition: the first seq whose row has `at` >= t (later ones follow), or the head + 1. */
function oracle(t: string): number {
  const i = TIMES.findIndex((x) => Date.parse(x) >= Date.parse(t));
  return i === -1 ? TIMES.length + 1 : i + 1;
}

describe.each(kinds)('audit time bounds on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('audittimerange', { kind });
    // Rows written directly, with the times above (appendAudit stamps the current time); the
    // partitions for those months first, when the log is partitioned (migration 050).
    const partitioned = await t.db.query<{ ok: boolean }>(
      `SELECT to_regproc('ensure_audit_partitions') IS NOT NULL AS ok`,
    );
    if (partitioned.rows[0]?.ok) await t.db.query(`SELECT ensure_audit_partitions(0, '2026-01-01')`);
    for (const [i, at] of TIMES.entries()) {
      await t.db.query(
        `INSERT INTO audit_log (seq, at, type, actor, details, prev_hash, hash)
         VALUES ($1, $2, 'incident.created', 'test', '{}', $3, $4)`,
        [i + 1, at, `h${i}`, `h${i + 1}`],
      );
    }
    await t.db.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [
      TIMES.length,
      `h${TIMES.length}`,
    ]);
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('seqAtOrAfter → any time, before, inside, between and after the months → the first seq at or after it', async () => {
    const probes = new Set<string>([
      '2025-06-01T00:00:00.000Z',
      '2026-02-10T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
    for (const at of TIMES) {
      const ms = Date.parse(at);
      for (const d of [-1, 0, 1]) probes.add(new Date(ms + d).toISOString());
    }
    for (const p of probes) expect(await seqAtOrAfter(t.db, p), p).toBe(oracle(p));
  });
});
