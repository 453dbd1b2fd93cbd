import type { Db } from '../../../../shared/store/db';
import type { AuditVerifyQuery, AuditVerifyResult } from '../../../../shared/api/audit.schema';
import type { AuditRow } from '../../../../shared/audit/audit-event';
import { GENESIS_HASH } from '../../../../shared/audit/audit-event';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { checkCheckpoint, type SignedCheckpoint } from '../../../../shared/audit/checkpoint';
import type { AuditSigningKey } from '../../../../shared/audit/signing-key';
import { ChainVerifier } from '../../../../shared/audit/verify-chain';
import { checkpointsBetween, readHead, toSignedCheckpoint } from '../../../../shared/audit/write-checkpoint';
import { AppError } from '../../../../shared/errors';
import { readRetentionFloor } from '../../../../shared/store/apply-retention';

const BATCH_ROWS = 5_000;

interface Start {
  /** The walk re-checks this row and everything after it. */
  fromSeq: number;
  prevHash: string;
  anchor: SignedCheckpoint | null;
}

async function checkpointAt(db: Db, seq: number): Promise<SignedCheckpoint | null> {
  const r = await db.query<Parameters<typeof toSignedCheckpoint>[0]>(
    'SELECT * FROM audit_checkpoints WHERE seq = $1',
    [seq],
  );
  return r.rows[0] ? toSignedCheckpoint(r.rows[0]) : null;
}

async function resolveStart(db: Db, key: AuditSigningKey, from: AuditVerifyQuery['from']): Promise<Start> {
  // Genesis, or after retention dropped the oldest partitions, the first row still stored: the floor
  // comes from the latest audit.retention_applied event, which the walk itself re-checks.
  const floor = await readRetentionFloor(db);
  const origin: Start = floor
    ? { fromSeq: floor.seq + 1, prevHash: floor.hash, anchor: null }
    : { fromSeq: 1, prevHash: GENESIS_HASH, anchor: null };
  if (from === 'genesis' || from === 0) return origin;
  let cp: SignedCheckpoint | null;
  if (from === 'checkpoint') {
    const r = await db.query<Parameters<typeof toSignedCheckpoint>[0]>(
      'SELECT * FROM audit_checkpoints WHERE key_id = $1 ORDER BY seq DESC LIMIT 1',
      [key.keyId],
    );
    cp = r.rows[0] ? toSignedCheckpoint(r.rows[0]) : null;
    if (!cp || (floor && cp.seq <= floor.seq)) return origin;
  } else {
    cp = await checkpointAt(db, from);
    if (!cp) throw new AppError('NOT_FOUND', `no checkpoint at seq ${from}; see GET /v1/audit/checkpoints`);
    if (floor && cp.seq <= floor.seq) return origin; // its row is gone with the dropped partitions
  }
  // Start at the checkpoint's own row: its content is re-hashed and compared with the signed hash.
  const row = await db.query<{ prev_hash: string }>('SELECT prev_hash FROM audit_log WHERE seq = $1', [
    cp.seq,
  ]);
  return { fromSeq: cp.seq, prevHash: row.rows[0]?.prev_hash ?? GENESIS_HASH, anchor: cp };
}

/**
 * GET /v1/audit/verify: re-hashes the stored chain from genesis or a checkpoint to the committed
 * head, in keyset batches, checking every signed checkpoint on the way; reports the first seq at
 * which the stored log is not the true log. The verification is itself audited (`audit.verified`).
 */
export async function verifyLiveChain(
  deps: { db: Db; key: AuditSigningKey },
  q: AuditVerifyQuery,
  actor: string,
): Promise<AuditVerifyResult> {
  const t0 = performance.now();
  const { db, key } = deps;
  const head = await readHead(db);
  const start = await resolveStart(db, key, q.from);
  const trustedIds = new Set([key.keyId]);

  // Checkpoints from the start on: bad signatures are breaks; foreign keys are reported, not used.
  const cps = await checkpointsBetween(db, start.fromSeq - 1, head.seq);
  const signed = new Map<number, string>();
  const untrusted = new Set<string>();
  let checked = 0;
  let badCheckpoint: { seq: number; reason: string } | null = null;
  for (const cp of cps) {
    const c = checkCheckpoint(cp, trustedIds);
    checked += 1;
    if (!c.ok) {
      badCheckpoint ??= { seq: cp.seq, reason: `checkpoint ${cp.seq}: ${c.reason}` };
      continue;
    }
    if (!c.trusted) {
      untrusted.add(c.keyId);
      continue;
    }
    signed.set(cp.seq, cp.hash);
  }

  const verifier = new ChainVerifier({ seq: start.fromSeq - 1, hash: start.prevHash }, signed);
  // Windows of BATCH_ROWS seqs (seq is gap-free, so each holds that many rows unless some were
  // removed, which the verifier then reports): small ranges keep every plan cheap, whatever the
  // table statistics say.
  for (let after = start.fromSeq - 1; after < head.seq;) {
    const upto = Math.min(head.seq, after + BATCH_ROWS);
    const batch = await db.query<AuditRow>(
      'SELECT * FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq',
      [after, upto],
    );
    let go = true;
    for (const row of batch.rows) if (!(go = verifier.push(row))) break;
    if (!go) break;
    after = upto;
  }
  const v = verifier.finish(head.seq);
  let failure: { seq: number; reason: string } | null = v.ok
    ? null
    : { seq: v.firstBadSeq, reason: v.reason };
  if (v.ok && v.headHash !== head.hash && head.seq >= start.fromSeq) {
    failure = { seq: head.seq, reason: 'audit_head does not match the last row' };
  }
  if (badCheckpoint && (!failure || badCheckpoint.seq < failure.seq)) failure = badCheckpoint;
  // A signed checkpoint past the head means rows were cut from the end and the head wound back.
  const beyond = await db.query<{ seq: number | null }>(
    'SELECT max(seq) AS seq FROM audit_checkpoints WHERE seq > $1',
    [head.seq],
  );
  const cut = beyond.rows[0]?.seq;
  if (cut !== null && cut !== undefined && (!failure || head.seq + 1 < failure.seq)) {
    failure = {
      seq: head.seq + 1,
      reason: `a signed checkpoint covers seq ${Number(cut)}, past the head: the log was cut short`,
    };
  }

  const result: AuditVerifyResult = {
    ok: failure === null,
    firstBadSeq: failure?.seq ?? null,
    reason: failure?.reason ?? null,
    fromSeq: start.fromSeq,
    headSeq: head.seq,
    headHash: head.hash,
    rowsChecked: v.rows,
    checkpoints: { checked, trusted: signed.size, untrustedKeyIds: [...untrusted] },
    durationMs: Math.round(performance.now() - t0),
  };
  await db.transaction((tx) =>
    appendAudit(tx, [
      {
        type: 'audit.verified',
        actor,
        outcome: result.ok ? 'ok' : 'broken',
        details: {
          from: q.from,
          fromSeq: result.fromSeq,
          headSeq: result.headSeq,
          headHash: result.headHash,
          firstBadSeq: result.firstBadSeq,
          reason: result.reason,
          rowsChecked: result.rowsChecked,
          checkpoints: result.checkpoints,
          anchor: start.anchor?.seq ?? null,
        },
      },
    ]),
  );
  return result;
}
