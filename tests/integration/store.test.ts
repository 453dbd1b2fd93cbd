import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, databaseUrl, type TestDb } from '../helpers/world';
import { appendAudit } from '../../shared/audit/append-audit';
import { verifyChain } from '../../shared/audit/verify-chain';
import type { AuditRow } from '../../shared/audit/audit-event';
import { migrate } from '../../shared/store/migrate';

// The same store tests run against PostgreSQL and PGlite (DESIGN.md "Stores").
const kinds = databaseUrl() ? (['postgres', 'pglite'] as const) : (['pglite'] as const);

describe.each(kinds)('store on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('store', { kind });
  });
  afterAll(async () => {
    await t.drop();
  });

  it('migrate → run twice → applies nothing the second time', async () => {
    expect(await migrate(t.db, t.schema)).toEqual([]);
    const r = await t.db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
    expect(r.rows.map((x) => x.name)).toContain('001_core.sql');
  });

  it('query → array and json parameters → round-trip', async () => {
    const r = await t.db.query<{ a: number[]; j: { x: number } }>(
      'SELECT $1::bigint[] AS a, $2::jsonb AS j',
      [[1, 2, 3], JSON.stringify({ x: 1 })],
    );
    expect(r.rows[0]).toEqual({ a: [1, 2, 3], j: { x: 1 } });
  });

  it('transaction → throw inside → rolls back', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO opt_outs (msisdn) VALUES ('+12025550111')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const r = await t.db.query(`SELECT 1 FROM opt_outs WHERE msisdn = '+12025550111'`);
    expect(r.rows).toHaveLength(0);
  });

  it('audit append → several batches → chain verifies from genesis', async () => {
    for (let b = 0; b < 3; b++) {
      await t.db.transaction((tx) =>
        appendAudit(
          tx,
          Array.from({ length: 5 }, (_, i) => ({
            type: 'notification.queued' as const,
            actor: 'test',
            campaignId: b,
            notificationId: i,
            details: { batch: b, nested: { z: 1, a: [1, 'x'] } },
          })),
        ),
      );
    }
    const rows = (await t.db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    const v = verifyChain(rows);
    expect(v.ok).toBe(true);
  });

  it('audit log → UPDATE or DELETE → refused by the database', async () => {
    await expect(t.db.query(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(t.db.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(/append-only/);
  });

  it('verifyChain → an edited row → reports its seq', async () => {
    const rows = (await t.db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
    const tampered = rows.map((r) => (Number(r.seq) === 7 ? { ...r, actor: 'mallory' } : r));
    const v = verifyChain(tampered);
    expect(v).toMatchObject({ ok: false, firstBadSeq: 7 });
  });
});
