import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb, databaseUrl, testLogger, uniqueName, type TestDb } from '../helpers/world';
import type { Db, Queryable } from '../../shared/store/db';
import { appendAudit } from '../../shared/audit/append-audit';
import { hashRow, toUnhashedRow, type AuditEventInput, type AuditRow } from '../../shared/audit/audit-event';
import { verifyChain } from '../../shared/audit/verify-chain';
import { generateSigningKey } from '../../shared/audit/signing-key';
import { readHead } from '../../shared/audit/write-checkpoint';
import { migrate } from '../../shared/store/migrate';
import { createPgliteDb } from '../../shared/store/pglite-db';
import { createPostgresDb } from '../../shared/store/postgres-db';
import { ensurePartitions, LEDGER_CAMPAIGNS_AHEAD } from '../../shared/store/ensure-partitions';
import { applyRetention, readRetentionFloor } from '../../shared/store/apply-retention';
import { verifyLiveChain } from '../../services/api/steps/audit/verify-live-chain';
import { loadConfig } from '../../shared/config';
import { startStoreMaintenance } from '../../workers/reconcile/start-store-maintenance';

// Partitioned audit log and ledger, partitions made ahead, retention by dropping partitions (issue 12
// item 3, issue 7 item 6). On PostgreSQL and PGlite alike, like the other store tests.
const kinds = databaseUrl() ? (['postgres', 'pglite'] as const) : (['pglite'] as const);
const MIGRATIONS = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../shared/store/migrations',
);

const KEY = generateSigningKey();
// A fixed "now" for retention: 730 days before it is 2023-01-16.
const RETENTION_NOW = new Date('2025-01-15T00:00:00Z');

function monthName(d: Date): string {
  return `audit_log_${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function event(i: number, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    type: 'notification.sent',
    actor: 'worker:deliver',
    campaignId: 1,
    notificationId: i,
    carrier: 'prairie-link',
    channel: 'sms',
    attempt: 1,
    outcome: 'accepted',
    details: { i },
    ...extra,
  };
}

/**
 * Appends events with a time of our choosing (the chain's rules otherwise: next seq, prev hash, head
 * moved in the same statement), to build a log that reaches back years.
 */
async function appendAt(
  db: Db,
  at: string,
  events: AuditEventInput[],
  /** false: a database from before migration 051, whose head has no time column. */
  headAt = true,
): Promise<void> {
  await db.transaction(async (tx) => {
    const h = (
      await tx.query<{ seq: number; hash: string }>(
        'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE',
      )
    ).rows[0]!;
    let seq = Number(h.seq);
    let prev = h.hash;
    const rows = events.map((e) => {
      seq += 1;
      const u = toUnhashedRow(seq, at, e);
      const hash = hashRow(u, prev);
      const row = { ...u, prev_hash: prev, hash };
      prev = hash;
      return row;
    });
    await tx.query(
      `WITH ins AS (INSERT INTO audit_log SELECT * FROM json_populate_recordset(NULL::audit_log, $1::json) RETURNING 1)
       UPDATE audit_head SET seq = $2, hash = $3${headAt ? ', at = $4' : ''} WHERE id = 1`,
      [JSON.stringify(rows), seq, prev, ...(headAt ? [at] : [])],
    );
  });
}

async function partitionOf(db: Queryable, table: string, where: string): Promise<string[]> {
  const r = await db.query<{ p: string }>(
    `SELECT DISTINCT tableoid::regclass::text AS p FROM ${table} WHERE ${where} ORDER BY 1`,
  );
  return r.rows.map((x) => x.p);
}

async function partitions(db: Queryable, parent: string): Promise<string[]> {
  const r = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [parent],
  );
  return r.rows.map((x) => x.name);
}

let incidentSeq = 0;
async function incident(db: Queryable): Promise<number> {
  incidentSeq += 1;
  const r = await db.query<{ id: number }>(
    `INSERT INTO incidents (exercise_id, title, threat_actor, carriers, data_categories, window_start,
       window_end, determined_at, regime, tlp, advisory_id)
     VALUES ($1, 'partition test', 'SIM-ACTOR', '{prairie-link}', '{call_records}', now(), now(), now(),
       'amended', 'TLP:CLEAR', 'SIM-AA24-001A') RETURNING id`,
    [`EX-${incidentSeq}`],
  );
  return Number(r.rows[0]!.id);
}

async function campaign(
  db: Queryable,
  incidentId: number,
  opts: { id?: number; state?: string; completedAt?: string | null; updatedAt?: string } = {},
): Promise<number> {
  const r = await db.query<{ id: number }>(
    `INSERT INTO campaigns (${opts.id ? 'id, ' : ''}incident_id, kind, channels, state, completed_at, updated_at)
     VALUES (${opts.id ? '$5, ' : ''}$1, 'carrier-notice', '{sms}', $2, $3, COALESCE($4::timestamptz, now()))
     RETURNING id`,
    [
      incidentId,
      opts.state ?? 'running',
      opts.completedAt ?? null,
      opts.updatedAt ?? null,
      ...(opts.id ? [opts.id] : []),
    ],
  );
  return Number(r.rows[0]!.id);
}

async function subscribers(db: Queryable, n: number): Promise<number[]> {
  const r = await db.query<{ id: number }>(
    `INSERT INTO subscribers (carrier, msisdn)
     SELECT 'prairie-link', '+1202555' || lpad((100 + g)::text, 4, '0') || '-' || $2 || '-' || g
       FROM generate_series(1, $1) g RETURNING id`,
    [n, uniqueName('s')],
  );
  return r.rows.map((x) => Number(x.id));
}

async function ledgerRows(db: Queryable, campaignId: number, subs: number[]): Promise<number> {
  const r = await db.query(
    `INSERT INTO notification (campaign_id, subscriber_id, channel, carrier)
     SELECT $1, s, 'sms', 'prairie-link' FROM unnest($2::bigint[]) s
     ON CONFLICT (campaign_id, subscriber_id, channel) DO NOTHING`,
    [campaignId, subs],
  );
  return r.rowCount;
}

describe.each(kinds)('store partitions on %s', (kind) => {
  let t: TestDb;
  const role = uniqueName('partrole');
  const asAppRole = <T>(fn: (tx: Queryable) => Promise<T>) =>
    t.db.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE ${role}`);
      return fn(tx);
    });

  beforeAll(async () => {
    t = await createTestDb('partitions', { kind });
    await t.db.query(`CREATE ROLE ${role} NOLOGIN IN ROLE breach_drill_app`);
  }, 120_000);
  afterAll(async () => {
    await t.db.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await t.drop();
  });

  it('fresh database → this month, the next two and a DEFAULT exist for the audit log; campaigns ahead for the ledger', async () => {
    const now = new Date();
    const audit = await partitions(t.db, 'audit_log');
    const months = [0, 1, 2].map((k) =>
      monthName(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + k, 1))),
    );
    expect(audit).toEqual(expect.arrayContaining([...months, 'audit_log_default']));
    const ledger = await partitions(t.db, 'notification');
    expect(ledger).toContain('notification_default');
    expect(ledger.filter((p) => /^notification_c\d+$/.test(p)).length).toBeGreaterThanOrEqual(
      LEDGER_CAMPAIGNS_AHEAD,
    );
    // Twice: nothing more to do.
    expect(await ensurePartitions(t.db)).toEqual({ audit: 0, ledger: 0 });
  });

  it('appendAudit → rows land in this month’s partition, and every partition has the parent’s indexes', async () => {
    await t.db.transaction((tx) => appendAudit(tx, [event(1), event(2), event(3)]));
    expect(await partitionOf(t.db, 'audit_log', 'true')).toEqual([monthName(new Date())]);
    const idx = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1`,
      [monthName(new Date())],
    );
    // The primary key and the ten query indexes of 001, 020 and 030.
    expect(idx.rows[0]!.n).toBe(11);
  });

  it('a new campaign → its ledger rows land in its own partition; one past the lookahead → DEFAULT, never an error', async () => {
    const inc = await incident(t.db);
    const c = await campaign(t.db, inc);
    const subs = await subscribers(t.db, 5);
    expect(await ledgerRows(t.db, c, subs)).toBe(5);
    expect(await partitionOf(t.db, 'notification', `campaign_id = ${c}`)).toEqual([`notification_c${c}`]);
    // The upsert key still holds across the partitioned table.
    expect(await ledgerRows(t.db, c, subs)).toBe(0);

    const far = await campaign(t.db, inc, { id: 900_000 + Math.floor(Math.random() * 1000) });
    expect(await ledgerRows(t.db, far, subs.slice(0, 2))).toBe(2);
    expect(await partitionOf(t.db, 'notification', `campaign_id = ${far}`)).toEqual(['notification_default']);
    // Its rows are in the DEFAULT partition: maintenance leaves it there rather than fail.
    await ensurePartitions(t.db);
    expect(await partitionOf(t.db, 'notification', `campaign_id = ${far}`)).toEqual(['notification_default']);
  });

  it('audit partitions → UPDATE, DELETE and TRUNCATE refused on a partition itself; the application role may not DROP one', async () => {
    const p = monthName(new Date());
    await expect(t.db.query(`UPDATE ${p} SET actor = 'mallory'`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM ${p}`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`TRUNCATE ${p}`)).rejects.toThrow(/append-only/);
    await expect(t.db.query('TRUNCATE audit_log_default')).rejects.toThrow(/append-only/);
    await expect(asAppRole((tx) => tx.query(`DROP TABLE ${p}`))).rejects.toThrow(/must be owner/);
    await expect(asAppRole((tx) => tx.query(`DELETE FROM ${p}`))).rejects.toThrow(/permission denied/);
    const privs = await t.db.query<{ d: boolean; i: boolean }>(
      `SELECT has_table_privilege($1, $2, 'DELETE') AS d, has_table_privilege($1, 'audit_log', 'INSERT') AS i`,
      [role, p],
    );
    expect(privs.rows[0]).toEqual({ d: false, i: true });
  });

  it('a row planted ahead of the head at the next seq → the next append fails, as the unique seq did', async () => {
    const head = await readHead(t.db);
    await t.db.query(
      `INSERT INTO audit_log (seq, at, type, actor, details, prev_hash, hash)
       VALUES ($1, '2020-06-01T00:00:00Z', 'pii.read', 'mallory', '{}', $2, 'forged')`,
      [head.seq + 1, head.hash],
    );
    await expect(t.db.transaction((tx) => appendAudit(tx, [event(99)]))).rejects.toThrow(
      /exactly one row per seq/,
    );
    expect((await readHead(t.db)).seq).toBe(head.seq);
  });
});

describe.each(kinds)('retention on %s', (kind) => {
  let t: TestDb;
  let old: { floorSeq: number; kept: number };
  const ids = { expired: 0, recent: 0, running: 0, orphan: 0 };

  beforeAll(async () => {
    t = await createTestDb('retention', { kind });
    await t.db.query(`SELECT ensure_audit_partitions(2, '2022-12-01T00:00:00Z')`);
    // Four stretches of the chain: December 2022 (wholly before the cutoff of 2023-01-16), January
    // 2023 (partly before it), June 2023, and today.
    await appendAt(t.db, '2022-12-10T12:00:00Z', [event(1), event(2), event(3), event(4)]);
    await appendAt(t.db, '2023-01-10T12:00:00Z', [event(5), event(6)]);
    await appendAt(t.db, '2023-06-10T12:00:00Z', [event(7)]);
    await t.db.transaction((tx) => appendAudit(tx, [event(8), event(9)]));
    old = { floorSeq: 4, kept: 5 };

    const inc = await incident(t.db);
    const subs = await subscribers(t.db, 3);
    ids.expired = await campaign(t.db, inc, { state: 'completed', completedAt: '2022-12-20T00:00:00Z' });
    ids.recent = await campaign(t.db, inc, { state: 'completed', completedAt: '2023-02-01T00:00:00Z' });
    ids.running = await campaign(t.db, inc, { state: 'running', updatedAt: '2022-01-01T00:00:00Z' });
    ids.orphan = await campaign(t.db, inc, {
      id: 800_000 + Math.floor(Math.random() * 1000),
      state: 'cancelled',
      updatedAt: '2022-01-01T00:00:00Z',
    });
    await ensurePartitions(t.db);
    for (const c of [ids.expired, ids.recent, ids.running]) await ledgerRows(t.db, c, subs);
    // Rows for the orphan land in DEFAULT: its partition is never made once rows sit there.
    await t.db.query('DROP TABLE IF EXISTS notification_c' + ids.orphan);
    await ledgerRows(t.db, ids.orphan, subs);
  }, 180_000);
  afterAll(async () => {
    await t.drop();
  });

  it('RETENTION_DAYS below 730 → refused at config parse and by the step itself', async () => {
    expect(() => loadConfig({ RETENTION_DAYS: '729' })).toThrow(
      /RETENTION_DAYS: records are kept at least 730 days/,
    );
    await expect(
      applyRetention(t.db, { retentionDays: 729, actor: 'test', now: RETENTION_NOW }),
    ).rejects.toThrow(/at least 730 days/);
    expect(await partitions(t.db, 'audit_log')).toContain('audit_log_2022_12');
  });

  it('applyRetention → drops only partitions wholly older than the period, records it, signs the new floor', async () => {
    const before = await partitions(t.db, 'audit_log');
    const report = await applyRetention(t.db, {
      retentionDays: 730,
      actor: 'test:retention',
      now: RETENTION_NOW,
      signingKey: async () => KEY,
    });
    expect(report).not.toBeNull();
    expect(report!.auditPartitions).toEqual(['audit_log_2022_12']);
    expect(report!.auditRows).toBe(4);
    expect(report!.floor?.seq).toBe(old.floorSeq);
    expect(report!.ledgerCampaigns).toEqual([ids.expired]);
    expect(report!.ledgerDefaultRows).toBe(3);

    const after = await partitions(t.db, 'audit_log');
    expect(after).toEqual(before.filter((p) => p !== 'audit_log_2022_12'));
    // January 2023 holds rows older than the cutoff but ends after it: kept whole.
    expect(after).toContain('audit_log_2023_01');
    expect(after).toContain(monthName(new Date()));
    const seqs = (await t.db.query<{ seq: number }>('SELECT seq FROM audit_log ORDER BY seq')).rows.map((r) =>
      Number(r.seq),
    );
    expect(seqs[0]).toBe(old.floorSeq + 1);
    expect(seqs).toHaveLength(old.kept + 1); // + the retention event itself

    const ledger = await partitions(t.db, 'notification');
    expect(ledger).not.toContain(`notification_c${ids.expired}`);
    expect(ledger).toContain(`notification_c${ids.recent}`);
    expect(ledger).toContain(`notification_c${ids.running}`);
    const counts = await t.db.query<{ campaign_id: number; n: number }>(
      'SELECT campaign_id, count(*)::int AS n FROM notification GROUP BY 1 ORDER BY 1',
    );
    expect(Object.fromEntries(counts.rows.map((r) => [Number(r.campaign_id), r.n]))).toEqual({
      [ids.recent]: 3,
      [ids.running]: 3,
    });
    // The campaigns themselves, with their totals, stay.
    const camp = await t.db.query('SELECT id FROM campaigns WHERE id = $1', [ids.expired]);
    expect(camp.rows).toHaveLength(1);

    const ev = await t.db.query<AuditRow>(`SELECT * FROM audit_log WHERE type = 'audit.retention_applied'`);
    expect(ev.rows).toHaveLength(1);
    expect(ev.rows[0]!.details).toMatchObject({
      retentionDays: 730,
      cutoff: '2023-01-16T00:00:00.000Z',
      auditPartitions: ['audit_log_2022_12'],
      floor: { seq: old.floorSeq },
    });
    expect(await readRetentionFloor(t.db)).toEqual(report!.floor);
    const cp = await t.db.query<{ hash: string }>('SELECT hash FROM audit_checkpoints WHERE seq = $1', [
      old.floorSeq,
    ]);
    expect(cp.rows[0]?.hash).toBe(report!.floor!.hash);
  });

  it('after retention → the live chain verifies from its first remaining row, from genesis or a checkpoint', async () => {
    const rows = (await t.db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
    const floor = (await readRetentionFloor(t.db))!;
    expect(verifyChain(rows, floor)).toMatchObject({ ok: true });
    // Without the floor the same rows do not verify: the anchor is what makes the shortened log whole.
    expect(verifyChain(rows)).toMatchObject({ ok: false, firstBadSeq: 1 });

    for (const from of ['genesis', 'checkpoint'] as const) {
      const v = await verifyLiveChain({ db: t.db, key: KEY }, { from }, 'test:auditor');
      expect(v, from).toMatchObject({ ok: true, firstBadSeq: null, fromSeq: floor.seq + 1 });
    }
  });

  it('applyRetention again → nothing older is left: no drop, no event; the current partitions untouched', async () => {
    const before = await partitions(t.db, 'audit_log');
    const events = (await readHead(t.db)).seq;
    expect(
      await applyRetention(t.db, { retentionDays: 730, actor: 'test:retention', now: RETENTION_NOW }),
    ).toBeNull();
    // Even with "now" years ahead, the partition holding the head row stays.
    const far = await applyRetention(t.db, {
      retentionDays: 730,
      actor: 'test:retention',
      now: new Date(Date.now() + 5 * 365 * 86_400_000),
    });
    const after = await partitions(t.db, 'audit_log');
    expect(after).toContain(monthName(new Date()));
    expect(after).toContain('audit_log_default');
    expect(far!.auditPartitions).not.toContain(monthName(new Date()));
    expect((await readHead(t.db)).seq).toBeGreaterThan(events);
    const v = await verifyLiveChain({ db: t.db, key: KEY }, { from: 'genesis' }, 'test:auditor');
    expect(v).toMatchObject({ ok: true });
    expect(before.length).toBeGreaterThan(after.length);
  });

  it('store maintenance tick → makes ledger partitions for the campaign ids ahead once the lookahead is used up', async () => {
    const inc = await incident(t.db);
    for (let i = 0; i < LEDGER_CAMPAIGNS_AHEAD + 2; i++) await campaign(t.db, inc, { state: 'draft' });
    const nextId = async () =>
      Number(
        (
          await t.db.query<{ v: number }>(
            'SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END AS v FROM campaigns_id_seq',
          )
        ).rows[0]!.v,
      );
    const next = await nextId();
    expect(await partitions(t.db, 'notification')).not.toContain(`notification_c${next}`);
    const m = startStoreMaintenance({
      db: t.db,
      retentionDays: 730,
      intervalMs: 3_600_000,
      logger: testLogger,
    });
    await expect(m.tick()).resolves.toBeNull(); // nothing past retention now, nothing re-made to drop
    await m.close();
    const ledger = await partitions(t.db, 'notification');
    for (let id = next; id < next + LEDGER_CAMPAIGNS_AHEAD; id++)
      expect(ledger).toContain(`notification_c${id}`);
  });
});

/** A database as the code before 050 left it: migrations up to 040 applied by hand. */
async function legacyDb(
  kind: 'postgres' | 'pglite',
): Promise<{ db: Db; schema: string; drop(): Promise<void> }> {
  const schema = kind === 'pglite' ? 'public' : uniqueName('legacy');
  const db =
    kind === 'pglite'
      ? await createPgliteDb()
      : createPostgresDb({ url: databaseUrl(), schema, poolSize: 3 });
  const files = (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql') && f < '050').sort();
  await db.transaction(async (tx) => {
    await tx.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await tx.query(`SET LOCAL search_path TO "${schema}"`);
    await tx.query(
      'CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    for (const f of files) {
      await tx.exec(await readFile(path.join(MIGRATIONS, f), 'utf8'));
      await tx.query('INSERT INTO schema_migrations (name) VALUES ($1)', [f]);
    }
  });
  return {
    db,
    schema,
    async drop() {
      if (kind === 'postgres') await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    },
  };
}

describe.each(kinds)('migration 050 on an existing %s database', (kind) => {
  let l: Awaited<ReturnType<typeof legacyDb>>;
  beforeAll(async () => {
    l = await legacyDb(kind);
  }, 120_000);
  afterAll(async () => {
    await l.drop();
  });

  it('unpartitioned tables with rows → converted, every row kept, chain and upsert key intact', async () => {
    const { db } = l;
    expect(
      (
        await db.query<{ k: string }>(
          `SELECT relkind::text AS k FROM pg_class WHERE relname = 'audit_log' AND relnamespace = current_schema()::regnamespace`,
        )
      ).rows[0]?.k,
    ).toBe('r');
    await appendAt(db, '2024-03-05T00:00:00Z', [event(1), event(2)], false);
    // (appendAudit itself needs 051's head column: the legacy rows are written the way it did then.)
    await appendAt(db, new Date().toISOString(), [event(3), event(4), event(5)], false);
    const inc = await incident(db);
    const c1 = await campaign(db, inc);
    const c2 = await campaign(db, inc, { state: 'completed', completedAt: '2024-03-06T00:00:00Z' });
    const subs = await subscribers(db, 4);
    await ledgerRows(db, c1, subs);
    await ledgerRows(db, c2, subs.slice(0, 2));
    const before = {
      audit: (await db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows,
      ledger: (await db.query('SELECT * FROM notification ORDER BY id')).rows,
      maxId: (await db.query<{ m: number }>('SELECT max(id) AS m FROM notification')).rows[0]!.m,
    };

    // 050 and every migration after it (052's index changes run on the converted tables too).
    const from050 = (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql') && f >= '050').sort();
    expect(from050.slice(0, 2)).toEqual(['050_partitions.sql', '051_partition_upkeep.sql']);
    expect(await migrate(db, l.schema)).toEqual(from050);

    const audit = (await db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
    expect(audit).toEqual(before.audit);
    expect(verifyChain(audit)).toMatchObject({ ok: true, rows: 5 });
    expect(await partitionOf(db, 'audit_log', 'seq <= 2')).toEqual(['audit_log_2024_03']);
    expect(await partitionOf(db, 'audit_log', 'seq > 2')).toEqual([monthName(new Date())]);
    expect(await db.query('SELECT * FROM notification ORDER BY id').then((r) => r.rows)).toEqual(
      before.ledger,
    );
    expect(await partitionOf(db, 'notification', `campaign_id = ${c1}`)).toEqual([`notification_c${c1}`]);
    expect(await partitionOf(db, 'notification', `campaign_id = ${c2}`)).toEqual([`notification_c${c2}`]);

    // Appends continue the chain; new ledger ids continue the old sequence; the upsert key holds.
    await db.transaction((tx) => appendAudit(tx, [event(6)]));
    expect(
      verifyChain((await db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows),
    ).toMatchObject({
      ok: true,
      rows: 6,
    });
    // The head keeps its row's time (051); a writer that moves it without the time leaves it unknown,
    // and the next append finds the time by seq instead.
    const headAt = async () =>
      (await db.query<{ at: Date | null }>('SELECT at FROM audit_head WHERE id = 1')).rows[0]!.at;
    const lastAt = async () =>
      (await db.query<{ at: Date }>('SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1')).rows[0]!.at;
    expect(await headAt()).toEqual(await lastAt());
    await appendAt(db, new Date().toISOString(), [event(7)], false);
    expect(await headAt()).toBeNull();
    await db.transaction((tx) => appendAudit(tx, [event(8)]));
    expect(await headAt()).toEqual(await lastAt());
    expect(
      verifyChain((await db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows),
    ).toMatchObject({
      ok: true,
      rows: 8,
    });
    const more = await subscribers(db, 1);
    await ledgerRows(db, c1, [...subs, ...more]);
    const ids = await db.query<{ id: number }>('SELECT id FROM notification WHERE subscriber_id = $1', [
      more[0],
    ]);
    expect(Number(ids.rows[0]!.id)).toBeGreaterThan(Number(before.maxId));
    expect(await ledgerRows(db, c1, subs)).toBe(0);
    // The old tables are gone, their sequence kept by the new one.
    const left = await db.query(
      `SELECT relname FROM pg_class WHERE relname IN ('audit_log_v1', 'notification_v1') AND relnamespace = current_schema()::regnamespace`,
    );
    expect(left.rows).toEqual([]);
  });
});

describe.runIf(databaseUrl())('connections per process', () => {
  it('DB_POOL_SIZE 3 → 12 slow queries at once never hold more than 3 server connections', async () => {
    const schema = uniqueName('pool');
    const db = createPostgresDb({ url: databaseUrl(), schema, poolSize: 3 });
    const marker = uniqueName('poolmark');
    const observer = createPostgresDb({ url: databaseUrl(), schema, poolSize: 1 });
    let peak = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        const r = await observer.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE state = 'active' AND query LIKE $1 AND pid <> pg_backend_pid()`,
          [`%${marker}%pg_sleep%`],
        );
        peak = Math.max(peak, r.rows[0]!.n);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    try {
      await Promise.all(
        Array.from({ length: 12 }, () => db.query(`SELECT '${marker}' AS m, pg_sleep(0.15)`)),
      );
    } finally {
      done = true;
      await watch;
      await db.close();
      await observer.close();
    }
    expect(peak).toBe(3);
  });
});
