import type { AuditRow } from './audit-event';
import { checkCheckpoint, type SignedCheckpoint } from './checkpoint';
import { ChainVerifier, GENESIS, type ChainStart } from './verify-chain';

/**
 * An export bundle (GET /v1/audit/export?format=bundle), verifiable offline by
 * `npm run audit:verify -- <file>`. NDJSON, one object per line, in this order:
 *
 *   {"kind":"header", format, version, exportedAt, exportedBy, start:{seq,hash}, toSeq, filters,
 *    publicKeys:[{keyId, publicKey}]}
 *   {"kind":"checkpoint", seq, hash, time, keyId, signature}     every checkpoint in (start.seq, toSeq]
 *   {"kind":"row", "row": {…AuditRow}}                           every row in (start.seq, toSeq], in seq order
 *   {"kind":"end", rows, headSeq, headHash}
 *
 * The rows are one unbroken stretch of the chain: it starts at genesis or at a signed checkpoint and
 * ends at a checkpoint the exporter signed for this export, so a cut, a forged tail or a rewritten
 * log shows. Filters choose the stretch (from the first matching row's checkpoint to the last
 * matching row); the rows inside it are all there, because a chain with holes cannot be checked.
 */

export const BUNDLE_FORMAT = 'breach-drill-audit-bundle';
export const BUNDLE_VERSION = 1;

export interface BundleHeader {
  kind: 'header';
  format: typeof BUNDLE_FORMAT;
  version: number;
  exportedAt: string;
  exportedBy: string;
  start: ChainStart;
  toSeq: number;
  filters: Record<string, unknown>;
  publicKeys: { keyId: string; publicKey: string }[];
}

export type BundleCheckpoint = { kind: 'checkpoint' } & Omit<SignedCheckpoint, 'publicKey'>;

export interface BundleEnd {
  kind: 'end';
  rows: number;
  headSeq: number;
  headHash: string;
}

export type BundleLine = BundleHeader | BundleCheckpoint | { kind: 'row'; row: AuditRow } | BundleEnd;

export function bundleLine(line: BundleLine): string {
  return `${JSON.stringify(line)}\n`;
}

export interface BundleVerdict {
  ok: boolean;
  rows: number;
  /** The first seq at which the exported log is not the true log. */
  firstBadSeq: number | null;
  reason: string | null;
  headSeq: number | null;
  headHash: string | null;
  checkpoints: { verified: number; trusted: number };
  keyIds: string[];
  /** Things that do not break the chain but limit what the verdict proves. */
  warnings: string[];
}

export interface VerifyBundleOptions {
  /** Key ids the auditor trusts (pinned out of band); default: the keys the bundle names, with a warning. */
  trustedKeyIds?: readonly string[];
}

class BundleError extends Error {
  constructor(
    message: string,
    readonly seq: number | null = null,
  ) {
    super(message);
  }
}

/** Verifies a bundle line by line; memory holds the checkpoints, never the rows. */
export async function verifyBundle(
  lines: AsyncIterable<string> | Iterable<string>,
  opts: VerifyBundleOptions = {},
): Promise<BundleVerdict> {
  const warnings: string[] = [];
  let header: BundleHeader | null = null;
  const keys = new Map<string, string>();
  const signed = new Map<number, string>();
  let verified = 0;
  let trusted = 0;
  let verifier: ChainVerifier | null = null;
  let end: BundleEnd | null = null;
  let lineNo = 0;
  let trustedIds: Set<string> = new Set(opts.trustedKeyIds ?? []);
  const verdict = (ok: boolean, rest: Partial<BundleVerdict>): BundleVerdict => ({
    ok,
    rows: verifier?.rows ?? 0,
    firstBadSeq: null,
    reason: null,
    headSeq: null,
    headHash: null,
    checkpoints: { verified, trusted },
    keyIds: [...keys.keys()],
    warnings,
    ...rest,
  });

  try {
    for await (const raw of lines) {
      lineNo += 1;
      if (raw.trim() === '') continue;
      if (end) throw new BundleError(`line ${lineNo}: content after the end line`, end.headSeq + 1);
      let line: BundleLine;
      try {
        line = JSON.parse(raw) as BundleLine;
      } catch {
        throw new BundleError(`line ${lineNo}: not JSON`, verifier ? expectedSeq(verifier, header) : null);
      }
      switch (line.kind) {
        case 'header': {
          if (header) throw new BundleError(`line ${lineNo}: a second header`);
          if (line.format !== BUNDLE_FORMAT || line.version !== BUNDLE_VERSION)
            throw new BundleError(`not a ${BUNDLE_FORMAT} v${BUNDLE_VERSION}`);
          header = line;
          for (const k of line.publicKeys ?? []) keys.set(k.keyId, k.publicKey);
          if (!opts.trustedKeyIds) {
            trustedIds = new Set(keys.keys());
            warnings.push(
              'signing key not pinned: trusting the key the bundle names; compare its keyId with GET /v1/audit/public-key',
            );
          }
          break;
        }
        case 'checkpoint': {
          if (!header) throw new BundleError('the header must come first');
          if (verifier) throw new BundleError(`line ${lineNo}: checkpoints must precede the rows`);
          const publicKey = keys.get(line.keyId);
          if (!publicKey)
            throw new BundleError(`checkpoint ${line.seq} names an unknown key ${line.keyId}`, line.seq);
          const check = checkCheckpoint({ ...line, publicKey }, trustedIds);
          if (!check.ok) throw new BundleError(`checkpoint ${line.seq}: ${check.reason}`, line.seq);
          verified += 1;
          if (!check.trusted) {
            warnings.push(`checkpoint ${line.seq} is signed by key ${check.keyId}, which is not trusted`);
            break;
          }
          trusted += 1;
          signed.set(Number(line.seq), line.hash);
          break;
        }
        case 'row': {
          if (!header) throw new BundleError('the header must come first');
          if (!verifier) {
            const start = header.start ?? GENESIS;
            if (start.seq > 0 && signed.get(Number(start.seq)) !== start.hash)
              throw new BundleError(
                `the bundle starts after seq ${start.seq}, which no trusted checkpoint anchors`,
                Number(start.seq) + 1,
              );
            verifier = new ChainVerifier(start, signed);
          }
          if (!line.row || typeof line.row !== 'object')
            throw new BundleError(`line ${lineNo}: a row line without a row`, expectedSeq(verifier, header));
          verifier.push(line.row);
          break;
        }
        case 'end':
          end = line;
          break;
        default:
          throw new BundleError(
            `line ${lineNo}: unknown kind`,
            verifier ? expectedSeq(verifier, header) : null,
          );
      }
    }
  } catch (err) {
    if (!(err instanceof BundleError)) throw err;
    // A chain failure seen before the malformed line wins: it is earlier in the log.
    const early = verifier?.failureSoFar;
    if (early) return verdict(false, early);
    return verdict(false, { firstBadSeq: err.seq, reason: err.message });
  }

  if (!header) return verdict(false, { reason: 'no header: not an audit bundle' });
  verifier ??= new ChainVerifier(header.start ?? GENESIS, signed);
  const v = verifier.finish(Number(header.toSeq));
  if (!v.ok) return verdict(false, { firstBadSeq: v.firstBadSeq, reason: v.reason });
  if (!end)
    return verdict(false, { firstBadSeq: v.headSeq + 1, reason: 'no end line: the file is cut short' });
  if (Number(end.headSeq) !== v.headSeq || end.headHash !== v.headHash || Number(end.rows) !== v.rows)
    return verdict(false, {
      firstBadSeq: Math.min(v.headSeq, Number(end.headSeq)) + 1,
      reason: 'the end line does not match the rows',
    });
  if (Number(header.toSeq) > Number(header.start.seq) && signed.get(Number(header.toSeq)) !== v.headHash)
    return verdict(false, {
      firstBadSeq: Number(header.toSeq),
      reason: `no trusted checkpoint closes the export at seq ${header.toSeq}: nothing signed vouches for its end`,
    });
  return verdict(true, { headSeq: v.headSeq, headHash: v.headHash });
}

function expectedSeq(v: ChainVerifier, header: BundleHeader | null): number {
  return Number(header?.start.seq ?? 0) + v.rows + 1;
}
