import { GENESIS_HASH, hashRow, type AuditRow } from './audit-event';

export type ChainVerdict =
  | { ok: true; rows: number; headSeq: number; headHash: string }
  | { ok: false; rows: number; firstBadSeq: number; reason: string };

/**
 * Walks rows in order and recomputes every hash. Reports the first seq at which the chain breaks:
 * an edited row, a gap, a reordering, an insertion or a deletion all show there.
 */
export function verifyChain(
  rows: Iterable<AuditRow>,
  start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
): ChainVerdict {
  let expectSeq = start.seq + 1;
  let prev = start.hash;
  let n = 0;
  for (const row of rows) {
    n += 1;
    const seq = Number(row.seq);
    if (seq !== expectSeq) {
      return {
        ok: false,
        rows: n,
        firstBadSeq: expectSeq,
        reason: `expected seq ${expectSeq}, found ${seq}`,
      };
    }
    if (row.prev_hash !== prev) {
      return { ok: false, rows: n, firstBadSeq: seq, reason: 'prev_hash does not match the previous row' };
    }
    if (hashRow(row, prev) !== row.hash) {
      return { ok: false, rows: n, firstBadSeq: seq, reason: 'row content does not match its hash' };
    }
    prev = row.hash;
    expectSeq += 1;
  }
  return { ok: true, rows: n, headSeq: expectSeq - 1, headHash: prev };
}
