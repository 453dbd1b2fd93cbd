import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { AUDIT_EVENT_TYPES, CHANNELS } from '../../shared/domain';
import {
  GENESIS_HASH,
  hashRow,
  toUnhashedRow,
  type AuditEventInput,
  type AuditRow,
} from '../../shared/audit/audit-event';
import { hashPreparedRow, prepareAuditRow } from '../../shared/audit/prepare-audit-row';
import { verifyChain } from '../../shared/audit/verify-chain';
import { checkCheckpoint, signCheckpoint, type SignedCheckpoint } from '../../shared/audit/checkpoint';
import { generateSigningKey, parseSigningKey } from '../../shared/audit/signing-key';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  bundleLine,
  verifyBundle,
  type BundleLine,
} from '../../shared/audit/audit-bundle';
import { neutralizeFormula, toSafeCsv, toSafeCsvFast } from '../../shared/audit/safe-csv';
import { loadConfig } from '../../shared/config';

/** fast-check seed: FC_SEED replays a failure; the seed is printed either way. */
function seedFor(label: string): number {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;
  console.log(`[fast-check] ${label}: seed=${seed} (replay with FC_SEED=${seed})`);
  return seed;
}

const KEY = generateSigningKey();
const CHECKPOINT_EVERY = 500;
const MAX_ROWS = 5_000;

const eventArb: fc.Arbitrary<AuditEventInput> = fc.record({
  type: fc.constantFrom(...AUDIT_EVENT_TYPES),
  actor: fc.string({ maxLength: 30 }),
  incidentId: fc.option(fc.integer({ min: 1, max: 2 ** 40 })),
  campaignId: fc.option(fc.integer({ min: 1, max: 2 ** 40 })),
  notificationId: fc.option(fc.integer({ min: 1, max: 2 ** 50 })),
  subscriberHash: fc.option(fc.stringMatching(/^[0-9a-f]{24}$/)),
  contactMasked: fc.option(fc.string({ maxLength: 40 })),
  carrier: fc.option(fc.string({ maxLength: 20 })),
  channel: fc.option(fc.constantFrom(...CHANNELS)),
  attempt: fc.option(fc.integer({ min: 0, max: 50 })),
  outcome: fc.option(fc.string({ maxLength: 20 })),
  details: fc.dictionary(
    fc.string({ maxLength: 12 }),
    fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<unknown>,
    { maxKeys: 5 },
  ) as fc.Arbitrary<Record<string, unknown>>,
});

/** A chain of `n` rows built with the reference hashRow, `at` 7 ms apart. */
function buildChain(n: number): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  const t0 = Date.parse('2026-03-01T12:00:00.000Z');
  for (let seq = 1; seq <= n; seq++) {
    const e: AuditEventInput = {
      type: AUDIT_EVENT_TYPES[seq % AUDIT_EVENT_TYPES.length]!,
      actor: seq % 97 === 0 ? 'key:k_auditor' : 'worker:deliver',
      incidentId: 1 + (seq % 3),
      campaignId: seq % 11 === 0 ? null : 1 + (seq % 5),
      notificationId: seq * 3,
      subscriberHash: (seq * 2654435761).toString(16).padStart(24, '0').slice(-24),
      contactMasked: `+1********${String(seq % 100).padStart(2, '0')}`,
      carrier: 'prairie-link',
      channel: seq % 2 === 0 ? 'sms' : 'email',
      attempt: 1 + (seq % 3),
      outcome: seq % 13 === 0 ? 'BLOCKED' : 'accepted',
      details: { latencyMs: seq % 250, nested: { k: [seq, 'x'] } },
    };
    const row = toUnhashedRow(seq, new Date(t0 + seq * 7).toISOString(), e);
    const hash = hashRow(row, prev);
    rows.push({ ...row, prev_hash: prev, hash });
    prev = hash;
  }
  return rows;
}

const BASE = buildChain(MAX_ROWS);
const BASE_CHECKPOINTS = new Map<number, SignedCheckpoint>();
for (let s = CHECKPOINT_EVERY; s <= MAX_ROWS; s += CHECKPOINT_EVERY) {
  BASE_CHECKPOINTS.set(
    s,
    signCheckpoint(KEY, { seq: s, hash: BASE[s - 1]!.hash, time: '2026-03-01T13:00:00Z' }),
  );
}

function checkpointsFor(n: number): SignedCheckpoint[] {
  const cps = [...BASE_CHECKPOINTS.values()].filter((c) => c.seq <= n);
  if (!BASE_CHECKPOINTS.has(n))
    cps.push(signCheckpoint(KEY, { seq: n, hash: BASE[n - 1]!.hash, time: '2026-03-01T14:00:00Z' }));
  return cps;
}

/** The bundle text an export of `rows` would be, checkpoints every 500 rows and one closing it. */
function bundleLines(
  rows: readonly AuditRow[],
  n: number,
  end?: { rows: number; headSeq: number; headHash: string },
) {
  const lines: string[] = [
    bundleLine({
      kind: 'header',
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      exportedAt: '2026-03-01T14:00:00Z',
      exportedBy: 'test',
      start: { seq: 0, hash: GENESIS_HASH },
      toSeq: n,
      filters: {},
      publicKeys: [{ keyId: KEY.keyId, publicKey: KEY.publicKeyPem }],
    }),
  ];
  for (const cp of checkpointsFor(n)) {
    const { publicKey: _pk, ...rest } = cp;
    lines.push(bundleLine({ kind: 'checkpoint', ...rest }));
  }
  for (const row of rows) lines.push(bundleLine({ kind: 'row', row }));
  const last = BASE[n - 1]!;
  lines.push(bundleLine({ kind: 'end', ...(end ?? { rows: n, headSeq: n, headHash: last.hash }) }));
  return lines.map((l) => l.trimEnd());
}

const TEXT_FIELDS = [
  'type',
  'actor',
  'outcome',
  'carrier',
  'channel',
  'contact_masked',
  'subscriber_hash',
] as const;
const NUMBER_FIELDS = ['incident_id', 'campaign_id', 'notification_id', 'attempt'] as const;
const HASH_FIELDS = ['prev_hash', 'hash'] as const;

type Edit =
  | { field: (typeof TEXT_FIELDS)[number] }
  | { field: (typeof NUMBER_FIELDS)[number] }
  | { field: (typeof HASH_FIELDS)[number] }
  | { field: 'details' }
  | { field: 'at' }
  | { field: 'seq'; by: number };

/** A change every field's meaning notices (a different value, not another spelling of the same). */
function applyEdit(r: AuditRow, e: Edit): AuditRow {
  const out: AuditRow = { ...r };
  switch (e.field) {
    case 'details':
      out.details = { ...r.details, tampered: true };
      break;
    case 'at':
      out.at = new Date(Date.parse(r.at) + 1).toISOString();
      break;
    case 'seq':
      out.seq = r.seq + e.by;
      break;
    case 'prev_hash':
    case 'hash':
      out[e.field] = `${r[e.field][0] === 'a' ? 'b' : 'a'}${r[e.field].slice(1)}`;
      break;
    case 'incident_id':
    case 'campaign_id':
    case 'notification_id':
    case 'attempt':
      out[e.field] = (r[e.field] ?? 0) + 1;
      break;
    default:
      out[e.field] = `${r[e.field] ?? ''}x`;
  }
  return out;
}

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.constantFrom(...TEXT_FIELDS).map((field) => ({ field })),
  fc.constantFrom(...NUMBER_FIELDS).map((field) => ({ field })),
  fc.constantFrom(...HASH_FIELDS).map((field) => ({ field })),
  fc.constant({ field: 'details' as const }),
  fc.constant({ field: 'at' as const }),
  fc
    .integer({ min: -3, max: 3 })
    .filter((by) => by !== 0)
    .map((by) => ({ field: 'seq' as const, by })),
);

/** Naive tampering: the hashes are left as they were. */
type NaiveOp =
  | { op: 'edit'; at: number; edit: Edit }
  | { op: 'delete'; at: number }
  | { op: 'insert-copy'; at: number; from: number }
  | { op: 'insert-garbage'; at: number; edit: Edit; from: number }
  | { op: 'move'; from: number; to: number };

function naiveOpArb(n: number): fc.Arbitrary<NaiveOp> {
  const idx = fc.integer({ min: 0, max: n - 1 });
  const gap = fc.integer({ min: 0, max: n });
  return fc.oneof(
    fc.record({ op: fc.constant('edit' as const), at: idx, edit: editArb }),
    fc.record({ op: fc.constant('delete' as const), at: idx }),
    fc.record({ op: fc.constant('insert-copy' as const), at: gap, from: idx }),
    fc.record({ op: fc.constant('insert-garbage' as const), at: gap, edit: editArb, from: idx }),
    fc.record({ op: fc.constant('move' as const), from: idx, to: idx }),
  );
}

function applyNaive(rows: AuditRow[], op: NaiveOp): AuditRow[] {
  const out = [...rows];
  switch (op.op) {
    case 'edit':
      if (op.at < out.length) out[op.at] = applyEdit(out[op.at]!, op.edit);
      break;
    case 'delete':
      if (op.at < out.length) out.splice(op.at, 1);
      break;
    case 'insert-copy':
      out.splice(Math.min(op.at, out.length), 0, { ...BASE[op.from]! });
      break;
    case 'insert-garbage':
      out.splice(Math.min(op.at, out.length), 0, applyEdit(BASE[op.from]!, op.edit));
      break;
    case 'move': {
      if (op.from >= out.length) break;
      const [r] = out.splice(op.from, 1);
      out.splice(Math.min(op.to, out.length), 0, r!);
      break;
    }
  }
  return out;
}

/** 1-based position (= seq) of the first row where the tampered log stops being the true log. */
function firstDifference(truth: readonly AuditRow[], log: readonly AuditRow[]): number | null {
  const n = Math.max(truth.length, log.length);
  for (let i = 0; i < n; i++) {
    const a = truth[i];
    const b = log[i];
    if (!a || !b || JSON.stringify(a) !== JSON.stringify(b)) return i + 1;
  }
  return null;
}

/** A row that is well formed: its hash matches its content and predecessor. */
function forge(seq: number, prevHash: string, edit: Edit): AuditRow {
  const base = applyEdit(BASE[(seq - 1) % MAX_ROWS]!, edit.field === 'seq' ? { field: 'actor' } : edit);
  const row = toUnhashedRow(seq, base.at, {
    type: base.type as AuditEventInput['type'],
    actor: `${base.actor}-forged`,
    incidentId: base.incident_id,
    campaignId: base.campaign_id,
    notificationId: base.notification_id,
    subscriberHash: base.subscriber_hash,
    contactMasked: base.contact_masked,
    carrier: base.carrier,
    channel: base.channel as AuditEventInput['channel'],
    attempt: base.attempt,
    outcome: base.outcome,
    details: base.details,
  });
  return { ...row, prev_hash: prevHash, hash: hashRow(row, prevHash) };
}

/** Rewrites the log from `from` (0-based) with valid hashes: only signed checkpoints can tell. */
function rehashFrom(rows: AuditRow[], from: number): AuditRow[] {
  const out = rows.slice(0, from);
  let prev = from === 0 ? GENESIS_HASH : out[from - 1]!.hash;
  for (let i = from; i < rows.length; i++) {
    const r = { ...rows[i]!, seq: i + 1, prev_hash: prev };
    r.hash = hashRow(r, prev);
    out.push(r);
    prev = r.hash;
  }
  return out;
}

describe('audit chain: hashing', () => {
  it('prepared row → any event → same hash as the reference hashRow', () => {
    fc.assert(
      fc.property(
        eventArb,
        fc.integer({ min: 1, max: 2 ** 52 }),
        fc.date({ noInvalidDate: true, min: new Date('2000-01-01'), max: new Date('2100-01-01') }),
        fc.stringMatching(/^[0-9a-f]{64}$/),
        (e, seq, at, prev) => {
          const iso = at.toISOString();
          const expected = hashRow(toUnhashedRow(seq, iso, e), prev);
          expect(hashPreparedRow(prepareAuditRow(e), JSON.stringify(iso), seq, prev)).toBe(expected);
        },
      ),
      { seed: seedFor('prepared hash'), numRuns: 500 },
    );
  });

  it('verifyChain → the built chain → verifies from genesis', () => {
    expect(verifyChain(BASE)).toMatchObject({ ok: true, rows: MAX_ROWS, headSeq: MAX_ROWS });
  });
});

describe('audit bundle: offline verification', () => {
  it('bundle → untouched, 1–5,000 rows → verified, pinned key trusted', async () => {
    for (const n of [1, 2, 499, 500, 501, 5000]) {
      const v = await verifyBundle(bundleLines(BASE.slice(0, n), n), { trustedKeyIds: [KEY.keyId] });
      expect(v, `n=${n}`).toMatchObject({ ok: true, rows: n, headSeq: n, firstBadSeq: null });
      expect(v.warnings).toEqual([]);
    }
  });

  it('bundle → naive tampering (edit, delete, insert, reorder; 1–3 changes) → fails at the first changed seq', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: MAX_ROWS })
          .chain((n) => fc.tuple(fc.constant(n), fc.array(naiveOpArb(n), { minLength: 1, maxLength: 3 }))),
        async ([n, ops]) => {
          const truth = BASE.slice(0, n);
          const log = ops.reduce(applyNaive, [...truth]);
          const expected = firstDifference(truth, log);
          fc.pre(expected !== null);
          const v = await verifyBundle(bundleLines(log, n), { trustedKeyIds: [KEY.keyId] });
          expect(v.ok).toBe(false);
          expect(v.firstBadSeq, `${v.reason}; ops ${JSON.stringify(ops)}`).toBe(expected);
        },
      ),
      { seed: seedFor('naive tampering'), numRuns: 200 },
    );
  }, 120_000);

  it('bundle → a well-formed forged row inserted before or after a genuine one → fails at the forged row', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: MAX_ROWS })
          .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n }), fc.boolean(), editArb)),
        async ([n, seq, before, edit]) => {
          const truth = BASE.slice(0, n);
          const forged = forge(seq, seq === 1 ? GENESIS_HASH : truth[seq - 2]!.hash, edit);
          const log = [...truth];
          log.splice(before ? seq - 1 : seq, 0, forged);
          const v = await verifyBundle(bundleLines(log, n), { trustedKeyIds: [KEY.keyId] });
          expect(v.ok).toBe(false);
          expect(v.firstBadSeq, v.reason ?? '').toBe(before ? seq : seq + 1);
        },
      ),
      { seed: seedFor('forged insertion'), numRuns: 100 },
    );
  }, 120_000);

  it('bundle → a suffix rewritten with recomputed hashes → fails at the first signed checkpoint after the change, or where the log now ends', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: MAX_ROWS })
          .chain((n) => fc.tuple(fc.constant(n), fc.array(naiveOpArb(n), { minLength: 1, maxLength: 2 }))),
        async ([n, ops]) => {
          const truth = BASE.slice(0, n);
          const naive = ops.reduce(applyNaive, [...truth]);
          const from = firstDifference(truth, naive);
          fc.pre(from !== null);
          const log = rehashFrom(naive, from! - 1);
          const changed = firstDifference(truth, log);
          fc.pre(changed !== null && changed <= n);
          // The first signed checkpoint the rewritten rows reach, or where a shortened log ends.
          const signedAt = Math.min(
            log.length + 1,
            ...checkpointsFor(n)
              .map((c) => c.seq)
              .filter((s) => s >= changed! && s <= log.length),
          );
          const v = await verifyBundle(bundleLines(log, n), { trustedKeyIds: [KEY.keyId] });
          expect(v.ok).toBe(false);
          expect(v.firstBadSeq, v.reason ?? '').toBe(signedAt);
        },
      ),
      { seed: seedFor('recomputed suffix'), numRuns: 60 },
    );
  }, 120_000);

  it('bundle → a line that is not JSON → fails at that row', async () => {
    const lines = bundleLines(BASE.slice(0, 1200), 1200);
    const firstRow = lines.findIndex((l) => l.includes('"kind":"row"'));
    lines[firstRow + 733] = '{"kind":"row","row":{"seq":734,';
    const v = await verifyBundle(lines, { trustedKeyIds: [KEY.keyId] });
    expect(v).toMatchObject({ ok: false, firstBadSeq: 734 });
  });

  it('bundle → checkpoint signature altered → fails at that checkpoint', async () => {
    const lines = bundleLines(BASE.slice(0, 1200), 1200);
    const i = lines.findIndex((l) => l.includes('"kind":"checkpoint"') && l.includes('"seq":1000'));
    const cp = JSON.parse(lines[i]!) as BundleLine & { signature: string };
    cp.signature = Buffer.from(
      Buffer.from(cp.signature, 'base64').map((b, k) => (k === 0 ? b ^ 1 : b)),
    ).toString('base64');
    lines[i] = JSON.stringify(cp);
    expect(await verifyBundle(lines, { trustedKeyIds: [KEY.keyId] })).toMatchObject({
      ok: false,
      firstBadSeq: 1000,
    });
  });

  it('bundle → re-signed by another key, that key not pinned → not verified', async () => {
    const forger = generateSigningKey();
    const lines = bundleLines(BASE.slice(0, 10), 10).map((l) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      if (o.kind === 'header') o.publicKeys = [{ keyId: forger.keyId, publicKey: forger.publicKeyPem }];
      if (o.kind === 'checkpoint') {
        const s = signCheckpoint(forger, o as unknown as SignedCheckpoint);
        return JSON.stringify({
          kind: 'checkpoint',
          seq: s.seq,
          hash: s.hash,
          time: s.time,
          keyId: s.keyId,
          signature: s.signature,
        });
      }
      return JSON.stringify(o);
    });
    const pinned = await verifyBundle(lines, { trustedKeyIds: [KEY.keyId] });
    expect(pinned).toMatchObject({ ok: false, firstBadSeq: 10 });
    const unpinned = await verifyBundle(lines);
    expect(unpinned.ok).toBe(true);
    expect(unpinned.warnings.join(' ')).toMatch(/not pinned/);
  });
});

describe('audit checkpoints: Ed25519', () => {
  it('signCheckpoint → checkCheckpoint → valid; any field changed → bad signature', () => {
    const cp = signCheckpoint(KEY, { seq: 42, hash: 'ab'.repeat(32), time: '2026-03-01T12:00:00.000Z' });
    expect(checkCheckpoint(cp, new Set([KEY.keyId]))).toEqual({ ok: true, keyId: KEY.keyId, trusted: true });
    for (const bad of [
      { ...cp, seq: 43 },
      { ...cp, hash: 'cd'.repeat(32) },
      { ...cp, time: '2026-03-01T12:00:01.000Z' },
    ]) {
      expect(checkCheckpoint(bad, new Set([KEY.keyId]))).toMatchObject({
        ok: false,
        reason: 'bad signature',
      });
    }
  });

  it('parseSigningKey → PKCS#8 PEM and base64 DER of the same key → same key id', () => {
    const pem = KEY.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const der = KEY.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    expect(parseSigningKey(pem).keyId).toBe(KEY.keyId);
    expect(parseSigningKey(der).keyId).toBe(KEY.keyId);
    expect(() => parseSigningKey('not a key')).toThrow();
  });
});

describe('CSV export: formula injection', () => {
  const DANGEROUS = /^[=+\-@\t\r\0\uFF1D\uFF0B\uFF0D\uFF20]/;

  it('toSafeCsv → hostile cells → parse back to the value, dangerous ones behind an apostrophe', () => {
    const hostile = fc.oneof(
      fc.string(),
      fc
        .tuple(fc.constantFrom('=', '+', '-', '@', '\t', '\r', '\0', '\n', '"', ',', '＝', "'"), fc.string())
        .map(([a, b]) => a + b),
      fc.constantFrom(
        "=cmd|'/C calc'!A0",
        '+1+1',
        '-2+3',
        '@SUM(A1:A2)',
        '=HYPERLINK("http://x")',
        '\t=1',
        '"=1"',
      ),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(hostile, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }),
        (rows) => {
          const width = Math.max(...rows.map((r) => r.length));
          const table = rows.map((r) => [...r, ...Array<string>(width - r.length).fill('x')]);
          const parsed = parse(toSafeCsv(table), { relax_column_count: false }) as string[][];
          expect(parsed).toHaveLength(table.length);
          parsed.forEach((row, i) =>
            row.forEach((cell, j) => {
              const original = table[i]![j]!;
              expect(cell).toBe(DANGEROUS.test(original) ? `'${original}` : original);
              expect(DANGEROUS.test(cell)).toBe(false);
            }),
          );
        },
      ),
      { seed: seedFor('csv injection'), numRuns: 400 },
    );
  });

  it('toSafeCsvFast (the export writer) → any cells → byte for byte what csv-stringify writes', () => {
    const cell = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.constantFrom(
        '=1',
        '+1',
        '-1',
        '@a',
        '\t=1',
        '\r=1',
        '\0=1',
        '＝1',
        'a,b',
        'a"b',
        'a\nb',
        'a\rb',
        '',
      ),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.constant(null),
      fc.boolean(),
    );
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 1, maxLength: 8 }), { maxLength: 6 }), (rows) => {
        expect(toSafeCsvFast(rows)).toBe(toSafeCsv(rows));
      }),
      { seed: seedFor('fast csv'), numRuns: 500 },
    );
  });

  it('neutralizeFormula → numbers are not touched, strings starting with - are', () => {
    expect(toSafeCsv([[-5, '-5', 3, null, true]])).toBe(`-5,'-5,3,,true\r\n`);
    expect(neutralizeFormula('plain')).toBe('plain');
  });
});

describe('audit retention', () => {
  it('RETENTION_DAYS → below 730 refused at startup; 730 and more accepted', () => {
    expect(() => loadConfig({ RETENTION_DAYS: '729' })).toThrow(/730/);
    expect(loadConfig({ RETENTION_DAYS: '730' }).RETENTION_DAYS).toBe(730);
    expect(loadConfig({}).RETENTION_DAYS).toBe(730);
  });
});
