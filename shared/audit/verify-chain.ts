import { GENESIS_HASH, hashRow, type AuditRow } from './audit-event';

export type ChainVerdict =
  | { ok: true; rows: number; headSeq: number; headHash: string }
  | { ok: false; rows: number; firstBadSeq: number; reason: string };

export interface ChainStart {
  seq: number;
  hash: string;
}

export const GENESIS: ChainStart = Object.freeze({ seq: 0, hash: GENESIS_HASH });

interface Accepted {
  seq: number;
  hash: string;
  prevHash: string;
}

/**
 * Walks rows in order, one at a time (bounded memory: it keeps the last row's hashes), and recomputes
 * every hash. It reports the first seq at which the log stops being the true log:
 *
 * - an edited row, a wrong prev_hash or a forged hash: that row's seq;
 * - a deleted row, a reordering, an inserted copy: the seq that should have come there;
 * - a well-formed forged row inserted beside a genuine one (same predecessor: a fork): the seq of the
 *   sibling the rest of the log does not continue from (decided by the next row, or the checkpoint);
 * - a rewritten suffix with recomputed hashes: the first signed checkpoint it contradicts;
 * - a log cut short: the seq after its last row, when a signed checkpoint lies beyond it.
 *
 * `checkpoints` maps seq → hash of signed checkpoints the caller has already checked.
 */
export class ChainVerifier {
  private expect: number;
  private prev: string;
  private last: Accepted | null = null;
  private fork: { a: Accepted; b: Accepted } | null = null;
  private failure: { firstBadSeq: number; reason: string } | null = null;
  private n = 0;

  constructor(
    start: ChainStart = GENESIS,
    private readonly checkpoints: ReadonlyMap<number, string> = new Map(),
  ) {
    this.expect = Number(start.seq) + 1;
    this.prev = start.hash;
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  get rows(): number {
    return this.n;
  }

  /** The failure found so far, without ending the walk. */
  get failureSoFar(): { firstBadSeq: number; reason: string } | null {
    return this.failure;
  }

  /** Feeds the next row; returns false once the chain is broken (later rows are ignored). */
  push(row: AuditRow): boolean {
    if (this.failure) return false;
    this.n += 1;
    if (this.fork) return this.resolveFork(row.prev_hash);
    const seq = Number(row.seq);
    if (seq !== this.expect) {
      if (this.isForkSibling(row, seq)) {
        this.fork = { a: this.last!, b: { seq, hash: row.hash, prevHash: row.prev_hash } };
        return true;
      }
      return this.fail(this.expect, `expected seq ${this.expect}, found ${String(row.seq)}`);
    }
    if (row.prev_hash !== this.prev) return this.fail(seq, 'prev_hash does not match the previous row');
    if (!this.contentMatches(row, this.prev)) return this.fail(seq, 'row content does not match its hash');
    const signed = this.checkpoints.get(seq);
    if (signed !== undefined && signed !== row.hash) {
      return this.fail(seq, 'row hash differs from the signed checkpoint at this seq (rewritten log)');
    }
    this.last = { seq, hash: row.hash, prevHash: row.prev_hash };
    this.prev = row.hash;
    this.expect += 1;
    return true;
  }

  /**
   * Ends the walk. `through`: the log must reach at least this seq (the last signed checkpoint, or a
   * head the exporter promised); a shorter log is reported as truncated after its last row.
   */
  finish(through = 0): ChainVerdict {
    if (!this.failure && this.fork) {
      // No row after the fork: the checkpoint at the fork's seq, if any, says which sibling is true.
      const signed = this.checkpoints.get(this.fork.a.seq);
      if (signed !== undefined && signed === this.fork.a.hash)
        this.fail(this.fork.a.seq + 1, 'a second row claims a seq already taken (inserted row)');
      else this.fail(this.fork.a.seq, 'two rows claim this seq with the same predecessor (inserted row)');
    }
    let maxSigned = 0;
    for (const s of this.checkpoints.keys()) maxSigned = Math.max(maxSigned, s);
    const mustReach = Math.max(through, maxSigned);
    if (!this.failure && this.expect - 1 < mustReach) {
      this.fail(
        this.expect,
        `log ends at seq ${this.expect - 1} but must reach seq ${mustReach} (truncated)`,
      );
    }
    if (this.failure) return { ok: false, rows: this.n, ...this.failure };
    return { ok: true, rows: this.n, headSeq: this.expect - 1, headHash: this.prev };
  }

  private isForkSibling(row: AuditRow, seq: number): boolean {
    const last = this.last;
    return (
      last !== null &&
      seq === last.seq &&
      row.prev_hash === last.prevHash &&
      row.hash !== last.hash &&
      this.contentMatches(row, row.prev_hash)
    );
  }

  private resolveFork(nextPrevHash: string): boolean {
    const { a, b } = this.fork!;
    if (nextPrevHash === b.hash)
      return this.fail(a.seq, 'an inserted row: the log continues from its sibling, not from it');
    return this.fail(a.seq + 1, 'a second row claims a seq already taken (inserted row)');
  }

  private contentMatches(row: AuditRow, prev: string): boolean {
    try {
      return hashRow(row, prev) === row.hash;
    } catch {
      return false; // unparseable time, circular details…: not the row that was hashed
    }
  }

  private fail(firstBadSeq: number, reason: string): false {
    this.failure = { firstBadSeq, reason };
    return false;
  }
}

/** Verifies a whole sequence of rows (see ChainVerifier for what is reported where). */
export function verifyChain(
  rows: Iterable<AuditRow>,
  start: ChainStart = GENESIS,
  checkpoints: ReadonlyMap<number, string> = new Map(),
  through = 0,
): ChainVerdict {
  const v = new ChainVerifier(start, checkpoints);
  for (const row of rows) if (!v.push(row)) break;
  return v.finish(through);
}
