import type { Db, Queryable } from './db';
import { appendAudit } from '../audit/append-audit';
import type { AuditSigningKey } from '../audit/signing-key';
import { writeCheckpoint } from '../audit/write-checkpoint';
import { assertRetentionDays } from '../regulatory/retention';

const DAY_MS = 86_400_000;
// Dropping a partition locks its parent: give up quickly under load and try again on the next run,
// rather than stall every append and claim (and never wait long enough to be a deadlock's victim
// of choice: PostgreSQL's deadlock_timeout is 1 s).
const LOCK_TIMEOUT = '800ms';

export interface RetentionInput {
  /** RETENTION_DAYS; refused below 730 (DOMAIN.md §5) even if a caller skipped the config check. */
  retentionDays: number;
  actor: string;
  /** @defaultValue the current time */
  now?: Date;
  /**
   * Loads the key that signs a checkpoint at the last dropped row, so exports and verifiers can anchor
   * there; called only when audit rows are dropped. A key that fails to load means no checkpoint.
   */
  signingKey?: () => Promise<AuditSigningKey>;
}

export interface RetentionReport {
  cutoff: string;
  /** Audit partitions dropped, oldest first. */
  auditPartitions: string[];
  auditRows: number;
  /** The chain now starts after this row: {seq, hash} of the last row removed (see readRetentionFloor). */
  floor: { seq: number; hash: string } | null;
  /** Campaigns whose ledger partition was dropped. */
  ledgerCampaigns: number[];
  /** Ledger rows of expired campaigns deleted from the DEFAULT partition (campaigns that had none). */
  ledgerDefaultRows: number;
}

export const RETENTION_EVENT = 'audit.retention_applied' as const;

interface AuditPartition {
  name: string;
  upper: Date | string;
}

// A partition's upper bound, read back from its definition ("FOR VALUES FROM (…) TO ('…')").
const AUDIT_PARTITIONS_SQL = `SELECT c.relname AS name,
    (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']+)''\\)'))[1]::timestamptz AS upper
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'audit_log'::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
 ORDER BY upper`;

// Campaigns over and done before the cutoff, with their own ledger partition when they have one.
const EXPIRED_CAMPAIGNS_SQL = `SELECT c.id, p.relname AS partition
  FROM campaigns c
  LEFT JOIN (SELECT pc.relname FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhrelid
              WHERE i.inhparent = 'notification'::regclass) p ON p.relname = 'notification_c' || c.id
 WHERE c.state IN ('completed', 'cancelled') AND COALESCE(c.completed_at, c.updated_at) < $1
 ORDER BY c.id`;

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Where the stored chain begins after retention: the seq and hash of the last row removed, as the
 * latest `audit.retention_applied` event recorded them. null while nothing was ever removed (the
 * chain starts at genesis). The event is itself a row of the chain, so a verifier that walks from
 * the floor re-checks the claim along with everything after it.
 */
export async function readRetentionFloor(db: Queryable): Promise<{ seq: number; hash: string } | null> {
  const r = await db.query<{ details: { floor?: { seq: number; hash: string } | null } }>(
    `SELECT details FROM audit_log WHERE type = '${RETENTION_EVENT}' ORDER BY seq DESC LIMIT 1`,
  );
  const floor = r.rows[0]?.details.floor;
  return floor ? { seq: Number(floor.seq), hash: floor.hash } : null;
}

/**
 * Retention (DOMAIN.md §5, issue 7 item 6): drops whole partitions older than `retentionDays`:
 *
 * - the ledger partitions of campaigns completed or cancelled before the cutoff (and deletes such
 *   campaigns' rows from the ledger's DEFAULT partition); the campaigns rows, with their totals, stay;
 * - the monthly audit partitions whose whole range ends before the cutoff and before the head row's
 *   time, oldest first. The append-only triggers refuse UPDATE, DELETE and TRUNCATE; DROP is DDL, which
 *   only the tables' owner may run (the application role may not), so this runs as the migrating role.
 *
 * One transaction: the drops and the `audit.retention_applied` event that records them (partitions,
 * cutoff, and the chain's new floor) commit together. Locks are taken in the order the ledger and the
 * appenders take them (ledger, then the chain head, then the audit log), so it cannot deadlock with
 * them. Returns null when nothing was old enough.
 */
export async function applyRetention(db: Db, input: RetentionInput): Promise<RetentionReport | null> {
  assertRetentionDays(input.retentionDays);
  const now = input.now ?? new Date();
  const cutoff = new Date(now.getTime() - input.retentionDays * DAY_MS);
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const ledger = await dropExpiredLedger(tx, cutoff);
    const head = await tx.query<{ seq: number; hash: string }>(
      'SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE',
    );
    const audit = await dropExpiredAudit(tx, cutoff, Number(head.rows[0]?.seq ?? 0));
    if (audit.partitions.length === 0 && ledger.campaigns.length === 0 && ledger.defaultRows === 0)
      return null;

    const floor = audit.floor ?? (await readRetentionFloor(tx));
    const key = audit.floor && input.signingKey ? await input.signingKey().catch(() => null) : null;
    if (audit.floor && key) await writeCheckpoint(tx, key, audit.floor);
    const report: RetentionReport = {
      cutoff: cutoff.toISOString(),
      auditPartitions: audit.partitions,
      auditRows: audit.rows,
      floor,
      ledgerCampaigns: ledger.campaigns,
      ledgerDefaultRows: ledger.defaultRows,
    };
    await appendAudit(tx, [
      {
        type: RETENTION_EVENT,
        actor: input.actor,
        outcome: 'applied',
        details: { retentionDays: input.retentionDays, ...report },
      },
    ]);
    return report;
  });
}

async function dropExpiredLedger(
  tx: Queryable,
  cutoff: Date,
): Promise<{ campaigns: number[]; defaultRows: number }> {
  const expired = await tx.query<{ id: number; partition: string | null }>(EXPIRED_CAMPAIGNS_SQL, [
    cutoff.toISOString(),
  ]);
  const campaigns: number[] = [];
  for (const c of expired.rows) {
    if (!c.partition) continue;
    await tx.query(`DROP TABLE ${quoteIdent(c.partition)}`);
    campaigns.push(Number(c.id));
  }
  // Campaigns that outran the partitions made ahead keep their rows in the DEFAULT partition: those
  // rows go one campaign at a time (the ledger is not append-only; its DEFAULT is normally empty).
  const orphans = expired.rows.filter((c) => !c.partition).map((c) => Number(c.id));
  const deleted =
    orphans.length === 0
      ? 0
      : (await tx.query('DELETE FROM notification_default WHERE campaign_id = ANY($1::bigint[])', [orphans]))
          .rowCount;
  return { campaigns, defaultRows: deleted };
}

async function dropExpiredAudit(
  tx: Queryable,
  cutoff: Date,
  headSeq: number,
): Promise<{ partitions: string[]; rows: number; floor: { seq: number; hash: string } | null }> {
  const none = { partitions: [], rows: 0, floor: null };
  if (headSeq === 0) return none;
  const headRow = await tx.query<{ at: Date | string }>('SELECT at FROM audit_log WHERE seq = $1', [headSeq]);
  if (!headRow.rows[0]) return none;
  // The head row's partition, and every later one, stays: the next append reads that row.
  const limit = Math.min(cutoff.getTime(), new Date(headRow.rows[0].at).getTime());
  const parts = (await tx.query<AuditPartition>(AUDIT_PARTITIONS_SQL)).rows.filter(
    (p) => new Date(p.upper).getTime() <= limit,
  );
  const partitions: string[] = [];
  let rows = 0;
  let floor: { seq: number; hash: string } | null = null;
  for (const p of parts) {
    const span = await tx.query<{ lo: number | null; hi: number | null }>(
      `SELECT min(seq) AS lo, max(seq) AS hi FROM ${quoteIdent(p.name)}`,
    );
    const { lo, hi } = span.rows[0] ?? { lo: null, hi: null };
    if (lo !== null && hi !== null) {
      rows += Number(hi) - Number(lo) + 1; // seq is gap-free within a month
      const last = await tx.query<{ hash: string }>(`SELECT hash FROM ${quoteIdent(p.name)} WHERE seq = $1`, [
        hi,
      ]);
      if (!floor || Number(hi) > floor.seq) floor = { seq: Number(hi), hash: last.rows[0]!.hash };
    }
    await tx.query(`DROP TABLE ${quoteIdent(p.name)}`);
    partitions.push(p.name);
  }
  return { partitions, rows, floor };
}
