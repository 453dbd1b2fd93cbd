import type { Channel, NotificationState } from '../domain';
import { idempotencyKey, messageIdFor, parseIdempotencyKey } from '../queues';

/**
 * The ground-truth checker: compares what our ledger says with what the carrier-sim received (its
 * `/arrivals`, never our own audit log). Pure: no I/O, no clock. It is fed incrementally so a run of
 * millions of notifications is checked without holding every arrival in memory:
 * `createGroundTruthChecker(rows)`, then `addArrival(a)` for each arrival, then `verdict()`;
 * `checkGroundTruth(rows, arrivals)` does all three for small inputs (tests, the chaos suite).
 *
 * Definitions (each must be 0 for a passing run):
 * - lost: a ledger row that says the carrier accepted it (`sent`, `delivered`, `undelivered`) with
 *   no arrival, plus every row still not terminal (`pending`, `sending`, `sent` with no receipt yet
 *   counts as `unresolved` too), since nothing guarantees those will ever arrive.
 * - duplicated: copies beyond the first of any key that arrived more than once.
 * - unexpected: an arrival of one of the checked campaigns whose key matches no ledger row, or that
 *   matches a row which ended `failed`, `suppressed` or `cancelled` (the ledger says it never left).
 */

/** One ledger row, as much as the checker needs. */
export interface LedgerFact {
  id: number;
  campaignId: number;
  channel: Channel;
  state: NotificationState | string;
}

/** One arrival at the carrier-sim (a line of `GET /arrivals`). */
export interface ArrivalFact {
  channel: Channel;
  /** SMS: the idempotency key. Email: the Message-ID without angle brackets. */
  key: string;
  campaignId: number | null;
}

export interface GroundTruthSample {
  key: string;
  notificationId: number | null;
  state: string | null;
}

export interface GroundTruthVerdict {
  ok: boolean;
  /** Ledger rows checked and arrivals seen (of the checked campaigns). */
  rows: number;
  arrivals: number;
  /** Rows that should have arrived (sent, delivered, undelivered). */
  expected: number;
  /** Distinct expected rows that did arrive. */
  matched: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  /** Rows not terminal when checked (included in `lost`). */
  unresolved: number;
  /** Rows that ended without a send (failed, suppressed, cancelled): accounted for, not arrivals. */
  notSent: number;
  byChannel: Record<
    string,
    { rows: number; arrivals: number; lost: number; duplicated: number; unexpected: number }
  >;
  /** Up to `sampleSize` examples of each kind of problem, for the report. */
  samples: { lost: GroundTruthSample[]; duplicated: GroundTruthSample[]; unexpected: GroundTruthSample[] };
}

/** States in which the carrier accepted the message: it must have arrived. */
const ACCEPTED = new Set(['sent', 'delivered', 'undelivered']);
/** Terminal states in which nothing was sent: it must not have arrived. */
const NOT_SENT = new Set(['failed', 'suppressed', 'cancelled']);
const TERMINAL = new Set(['delivered', 'undelivered', 'failed', 'suppressed', 'cancelled']);

/** The key under which a notification arrives at the carrier-sim (SMS idempotency key, email Message-ID). */
export function arrivalKeyOf(row: Pick<LedgerFact, 'id' | 'campaignId' | 'channel'>): string {
  return row.channel === 'sms'
    ? idempotencyKey(row.campaignId, row.id)
    : messageIdFor(row.campaignId, row.id).replace(/^<|>$/g, '');
}

interface Tally {
  rows: number;
  arrivals: number;
  lost: number;
  duplicated: number;
  unexpected: number;
}

export interface GroundTruthChecker {
  /** Feeds one arrival; arrivals of campaigns not being checked are ignored. */
  addArrival(a: ArrivalFact): void;
  verdict(): GroundTruthVerdict;
}

export function createGroundTruthChecker(
  rows: Iterable<LedgerFact>,
  opts: { sampleSize?: number } = {},
): GroundTruthChecker {
  const sampleSize = opts.sampleSize ?? 10;
  // Indexed by notification id (numbers, not key strings): a million rows stay a few tens of MB.
  const facts: LedgerFact[] = [];
  const index = new Map<number, number>();
  const campaigns = new Set<number>();
  const tallies = new Map<string, Tally>();
  const tally = (channel: string): Tally => {
    let t = tallies.get(channel);
    if (!t) tallies.set(channel, (t = { rows: 0, arrivals: 0, lost: 0, duplicated: 0, unexpected: 0 }));
    return t;
  };
  for (const row of rows) {
    index.set(row.id, facts.length);
    facts.push(row);
    campaigns.add(row.campaignId);
    tally(row.channel).rows++;
  }
  const seen = new Uint32Array(facts.length);
  let arrivals = 0;
  let duplicated = 0;
  let unexpected = 0;
  const samples: GroundTruthVerdict['samples'] = { lost: [], duplicated: [], unexpected: [] };
  const keep = (list: GroundTruthSample[], s: GroundTruthSample) => {
    if (list.length < sampleSize) list.push(s);
  };
  /** The ledger row this arrival is for: its key parses to one of ours and is exactly that row's key. */
  const rowOf = (a: ArrivalFact): number => {
    // Email keys are Message-IDs without their angle brackets.
    const parsed = parseIdempotencyKey(a.channel === 'email' ? `<${a.key}>` : a.key);
    if (!parsed) return -1;
    const i = index.get(parsed.notificationId);
    if (i === undefined) return -1;
    const row = facts[i]!;
    return row.channel === a.channel && arrivalKeyOf(row) === a.key ? i : -1;
  };

  return {
    addArrival(a) {
      if (a.campaignId === null || !campaigns.has(Number(a.campaignId))) return;
      arrivals++;
      const t = tally(a.channel);
      t.arrivals++;
      const i = rowOf(a);
      if (i < 0) {
        unexpected++;
        t.unexpected++;
        keep(samples.unexpected, { key: a.key, notificationId: null, state: null });
        return;
      }
      const row = facts[i]!;
      seen[i]! += 1;
      if (seen[i]! > 1) {
        duplicated++;
        t.duplicated++;
        keep(samples.duplicated, { key: a.key, notificationId: row.id, state: row.state });
        return;
      }
      if (NOT_SENT.has(row.state)) {
        unexpected++;
        t.unexpected++;
        keep(samples.unexpected, { key: a.key, notificationId: row.id, state: row.state });
      }
    },
    verdict() {
      let expected = 0;
      let matched = 0;
      let lost = 0;
      let unresolved = 0;
      let notSent = 0;
      for (let i = 0; i < facts.length; i++) {
        const row = facts[i]!;
        if (NOT_SENT.has(row.state)) notSent++;
        const open = !TERMINAL.has(row.state);
        if (open) unresolved++;
        const accepted = ACCEPTED.has(row.state);
        if (accepted) {
          expected++;
          if (seen[i]! > 0) matched++;
        }
        if (open || (accepted && seen[i] === 0)) {
          lost++;
          tally(row.channel).lost++;
          keep(samples.lost, { key: arrivalKeyOf(row), notificationId: row.id, state: row.state });
        }
      }
      return {
        ok: lost === 0 && duplicated === 0 && unexpected === 0,
        rows: facts.length,
        arrivals,
        expected,
        matched,
        lost,
        duplicated,
        unexpected,
        unresolved,
        notSent,
        byChannel: Object.fromEntries([...tallies].sort(([a], [b]) => a.localeCompare(b))),
        samples,
      };
    },
  };
}

/** The whole check in one call, for inputs that fit in memory. */
export function checkGroundTruth(
  rows: Iterable<LedgerFact>,
  arrivals: Iterable<ArrivalFact>,
  opts: { sampleSize?: number } = {},
): GroundTruthVerdict {
  const checker = createGroundTruthChecker(rows, opts);
  for (const a of arrivals) checker.addArrival(a);
  return checker.verdict();
}
