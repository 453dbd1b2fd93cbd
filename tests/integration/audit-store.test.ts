import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, databaseUrl, testLogger, uniqueName, type TestDb } from '../helpers/world';
import { appendAudit } from '../../shared/audit/append-audit';
import type { AuditEventInput, AuditRow } from '../../shared/audit/audit-event';
import { verifyChain } from '../../shared/audit/verify-chain';
import { checkCheckpoint } from '../../shared/audit/checkpoint';
import { generateSigningKey, loadSigningKey, SIGNING_KEY_FILE } from '../../shared/audit/signing-key';
import { latestCheckpoint, readHead } from '../../shared/audit/write-checkpoint';
import { startAuditCheckpointer } from '../../workers/audit/start-audit-checkpointer';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const kinds = databaseUrl() ? (['postgres', 'pglite'] as const) : (['pglite'] as const);

function event(i: number, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type: 'notification.sent',
    actor: 'worker:deliver',
    campaignId: 1 + (i % 3),
    notificationId: i,
    carrier: 'prairie-link',
    channel: i % 2 ? 'sms' : 'email',
    attempt: 1,
    outcome: 'accepted',
    details: { i },
    ...extra,
  };
}

async function allRows(t: TestDb): Promise<AuditRow[]> {
  return (await t.db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
}

function expectGapFree(rows: AuditRow[], count: number) {
  expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: count }, (_, i) => i + 1));
  expect(verifyChain(rows)).toMatchObject({ ok: true, rows: count });
}

describe.each(kinds)('audit store on %s', (kind) => {
  let t: TestDb;
  const role = uniqueName('auditrole');
  beforeAll(async () => {
    t = await createTestDb('auditstore', { kind });
    await t.db.query(`CREATE ROLE ${role} NOLOGIN IN ROLE breach_drill_app`);
  }, 120_000);
  afterAll(async () => {
    await t.db.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await t.drop();
  });

  /** Runs `fn` as the throwaway member of the application role. */
  const asAppRole = <T>(fn: (tx: Parameters<Parameters<TestDb['db']['transaction']>[0]>[0]) => Promise<T>) =>
    t.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE ${role}`);
      return fn(tx);
    });

  it('application role → appends through appendAudit → allowed', async () => {
    await asAppRole((tx) => appendAudit(tx, [event(1), event(2)]));
    expectGapFree(await allRows(t), 2);
  });

  it('application role → UPDATE, DELETE or TRUNCATE of the audit tables → permission denied', async () => {
    for (const sql of [
      `UPDATE audit_log SET actor = 'mallory' WHERE seq = 1`,
      'DELETE FROM audit_log WHERE seq = 2',
      'TRUNCATE audit_log',
      `UPDATE audit_checkpoints SET hash = 'x'`,
      'DELETE FROM audit_checkpoints',
      'DELETE FROM audit_head',
    ]) {
      await expect(
        asAppRole((tx) => tx.query(sql)),
        sql,
      ).rejects.toThrow(/permission denied/);
    }
    const privs = await t.db.query<{ u: boolean; d: boolean; i: boolean }>(
      `SELECT has_table_privilege($1, 'audit_log', 'UPDATE') AS u,
              has_table_privilege($1, 'audit_log', 'DELETE') AS d,
              has_table_privilege($1, 'audit_log', 'INSERT') AS i`,
      [role],
    );
    expect(privs.rows[0]).toEqual({ u: false, d: false, i: true });
    expectGapFree(await allRows(t), 2);
  });

  it('application role → ledger tables → still writable (the grants only close the audit log)', async () => {
    await asAppRole((tx) => tx.query(`INSERT INTO opt_outs (msisdn) VALUES ('+12025550177')`));
    await asAppRole((tx) => tx.query(`DELETE FROM opt_outs WHERE msisdn = '+12025550177'`));
  });

  it('table owner → UPDATE or DELETE → refused by the trigger all the same', async () => {
    await expect(t.db.query(`UPDATE audit_log SET actor = 'mallory' WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(t.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(t.db.query('TRUNCATE audit_checkpoints')).rejects.toThrow(/append-only/);
  });

  it('audit_head → rewound, or pointed at a row that is not there → refused', async () => {
    await expect(t.db.query('UPDATE audit_head SET seq = 1')).rejects.toThrow(/only moves forward/);
    await expect(t.db.query(`UPDATE audit_head SET seq = 99, hash = 'x'`)).rejects.toThrow(/stored row/);
  });

  it('a row whose time is earlier than the head row → the head refuses to move onto it', async () => {
    const head = await readHead(t.db);
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO audit_log (seq, at, type, actor, details, prev_hash, hash)
           VALUES ($1, '2001-01-01T00:00:00Z', 'pii.read', 'mallory', '{}', $2, 'h')`,
          [head.seq + 1, head.hash],
        );
        await tx.query(`UPDATE audit_head SET seq = $1, hash = 'h'`, [head.seq + 1]);
      }),
    ).rejects.toThrow(/backwards/);
  });

  it('appendAudit → 25 transactions at once on one pool, some rolled back → gap-free, verifiable chain', async () => {
    const before = (await readHead(t.db)).seq;
    let committed = 0;
    await Promise.all(
      Array.from({ length: 25 }, (_, k) =>
        t.db
          .transaction(async (tx) => {
            const n = 1 + (k % 7) * 13;
            await appendAudit(
              tx,
              Array.from({ length: n }, (_, i) => event(k * 1000 + i)),
            );
            if (k % 5 === 4) throw new Error('rolled back');
            committed += n;
          })
          .catch((err: Error) => expect(err.message).toBe('rolled back')),
      ),
    );
    expectGapFree(await allRows(t), before + committed);
    const times = (await allRows(t)).map((r) => new Date(r.at).getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b)); // time follows seq
  });

  it('checkpointer → every N events or M seconds → signs {seq, hash, time} with Ed25519', async () => {
    const key = generateSigningKey();
    const cp = startAuditCheckpointer({
      db: t.db,
      key,
      policy: { every: 10, seconds: 3600 },
      logger: testLogger,
      pollMs: 60_000,
    });
    try {
      const head = await readHead(t.db);
      const first = await cp.tick();
      expect(first).toBe(head.seq); // none yet: the first one comes at once
      await t.db.transaction((tx) => appendAudit(tx, [event(1), event(2), event(3)]));
      expect(await cp.tick()).toBeNull(); // 3 < 10 events, and not an hour old
      await t.db.transaction((tx) =>
        appendAudit(
          tx,
          Array.from({ length: 7 }, (_, i) => event(10 + i)),
        ),
      );
      expect(await cp.tick()).toBe(head.seq + 10);
      const latest = (await latestCheckpoint(t.db))!;
      expect(latest).toMatchObject({
        seq: head.seq + 10,
        hash: (await readHead(t.db)).hash,
        keyId: key.keyId,
      });
      expect(checkCheckpoint(latest, new Set([key.keyId]))).toMatchObject({ ok: true, trusted: true });
    } finally {
      await cp.close();
    }
    const byTime = startAuditCheckpointer({
      db: t.db,
      key,
      policy: { every: 1_000_000, seconds: 1 },
      logger: testLogger,
      pollMs: 60_000,
    });
    try {
      await t.db.transaction((tx) => appendAudit(tx, [event(99)]));
      expect(await byTime.tick()).toBeNull();
      await new Promise((r) => setTimeout(r, 1_200)); // its own 1 s timer signs it, or this tick does
      await byTime.tick();
      expect((await latestCheckpoint(t.db))!.seq).toBe((await readHead(t.db)).seq);
    } finally {
      await byTime.close();
    }
  });
});

describe.runIf(databaseUrl())('audit store: appends from several processes (PostgreSQL)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('auditprocs', { kind: 'postgres' });
  });
  afterAll(async () => {
    await t.drop();
  });

  /** A child process appending `txs` batches of 1–60 events, every 7th transaction rolled back. */
  function appender(id: number, txs: number): Promise<number> {
    const code = `
      const { openDb } = await import(${JSON.stringify(path.join(ROOT, 'shared/store/open-db.ts'))});
      const { appendAudit } = await import(${JSON.stringify(path.join(ROOT, 'shared/audit/append-audit.ts'))});
      const [url, schema, id, txs] = process.argv.slice(1);
      const db = await openDb({ databaseUrl: url, schema, poolSize: 3, dataDir: 'memory' });
      let committed = 0;
      await Promise.all([0, 1, 2].map(async (lane) => {
        for (let k = lane; k < Number(txs); k += 3) {
          const n = 1 + ((k * 7 + Number(id) * 3) % 60);
          try {
            await db.transaction(async (tx) => {
              await tx.query('UPDATE campaigns SET updated_at = now() WHERE id = -1');
              await appendAudit(tx, Array.from({ length: n }, (_, i) => ({
                type: 'notification.sent', actor: 'worker:proc-' + id, notificationId: k * 100 + i,
                campaignId: Number(id), details: { k, i } })));
              if (k % 7 === 6) throw new Error('rollback');
            });
            committed += n;
          } catch (e) { if (e.message !== 'rollback') throw e; }
        }
      }));
      await db.close();
      console.log(committed);`;
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          code,
          databaseUrl(),
          t.schema,
          String(id),
          String(txs),
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) =>
        code === 0
          ? resolve(Number(out.trim().split('\n').pop()))
          : reject(new Error(`appender ${id}: ${err}`)),
      );
    });
  }

  it('4 processes × 3 connections appending at once → one gap-free chain, every hash verified', async () => {
    const committed = await Promise.all([1, 2, 3, 4].map((id) => appender(id, 60)));
    const total = committed.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(1000);
    const rows = await allRows(t);
    expectGapFree(rows, total);
    expect(await readHead(t.db)).toEqual({ seq: total, hash: rows[rows.length - 1]!.hash });
    // Every process got in: the appends interleaved on the one chain.
    expect(new Set(rows.map((r) => r.actor))).toEqual(
      new Set(['worker:proc-1', 'worker:proc-2', 'worker:proc-3', 'worker:proc-4']),
    );
  }, 120_000);
});

describe('audit signing key', () => {
  it('loadSigningKey → no key configured → one generated under DATA_DIR (0600), the same for every caller', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bd-audit-key-'));
    try {
      const keys = await Promise.all(Array.from({ length: 5 }, () => loadSigningKey({ dataDir: dir })));
      expect(new Set(keys.map((k) => k.keyId)).size).toBe(1);
      const file = path.join(dir, SIGNING_KEY_FILE);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await readFile(file, 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
      expect((await loadSigningKey({ dataDir: dir })).keyId).toBe(keys[0]!.keyId);
      const configured = generateSigningKey();
      const pem = configured.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      expect((await loadSigningKey({ configured: pem, dataDir: dir })).keyId).toBe(configured.keyId);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
