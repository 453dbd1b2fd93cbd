import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { authHeaders, http, startApi, type ApiHarness } from '../helpers/api-harness';
import { appendAudit } from '../../shared/audit/append-audit';
import {
  maskMsisdn,
  subscriberHash,
  type AuditEventInput,
  type AuditRow,
} from '../../shared/audit/audit-event';
import { generateSigningKey } from '../../shared/audit/signing-key';
import { checkCheckpoint } from '../../shared/audit/checkpoint';
import { writeCheckpoint } from '../../shared/audit/write-checkpoint';
import { verifyBundle } from '../../shared/audit/audit-bundle';
import type { AuditFilters } from '../../shared/api/audit.schema';
import { toSafeCsv, toSafeCsvFast } from '../../shared/audit/safe-csv';
import { CSV_COLUMNS } from '../../services/api/steps/audit/export-audit';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = generateSigningKey();
const KEY_PEM = KEY.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const auditor = authHeaders('auditor');

/** fast-check seed: FC_SEED replays a failure; the seed is printed either way. */
function seedFor(label: string): number {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;
  console.log(`[fast-check] ${label}: seed=${seed} (replay with FC_SEED=${seed})`);
  return seed;
}
const get = (api: ApiHarness, p: string, headers = auditor) => http(api.url, 'GET', p, undefined, headers);

/** Raw GET: status, headers and body text (exports are not JSON). */
async function fetchText(api: ApiHarness, p: string, headers = auditor) {
  const res = await fetch(`${api.url}${p}`, { headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const HOSTILE = {
  actor: `=cmd|'/C calc'!A0`,
  outcome: '+1+1',
  carrier: '@SUM(A1:A9)',
  contact: '-2+3,"quoted"',
  reason: 'line one\nline two\t=HYPERLINK("http://x.example")',
};

interface World {
  incidents: [number, number];
  /** campaigns[0] and [1] belong to incident 0, campaigns[2] to incident 1. */
  campaigns: [number, number, number];
  subscribers: { id: number; msisdn: string; hash: string }[];
  notifications: { id: number; campaign: number; subscriber: number }[];
  /** Times between event batches, for time-range filters. */
  marks: string[];
}

async function seed(api: ApiHarness): Promise<World> {
  const db = api.deps.db;
  const inc = await db.query<{ id: number }>(
    `INSERT INTO incidents (exercise_id, title, threat_actor, carriers, data_categories, window_start, window_end,
       determined_at, regime, tlp, advisory_id)
     SELECT 'EX-AUDIT-' || g, 'Simulated exposure', 'SIMULATED-APT', '{prairie-link}', '{call_records}', now(), now(),
            now(), 'amended', 'TLP:CLEAR', 'SIM-AA26-001A' FROM generate_series(1, 2) g RETURNING id`,
  );
  const [i0, i1] = inc.rows.map((r) => Number(r.id)) as [number, number];
  const camp = await db.query<{ id: number }>(
    `INSERT INTO campaigns (incident_id, kind, channels) VALUES ($1, 'carrier-notice', '{sms}'),
       ($1, 'carrier-notice', '{sms}'), ($2, 'carrier-notice', '{sms}') RETURNING id`,
    [i0, i1],
  );
  const campaigns = camp.rows.map((r) => Number(r.id)) as [number, number, number];
  const subs = await db.query<{ id: number; msisdn: string }>(
    `INSERT INTO subscribers (carrier, msisdn) SELECT 'prairie-link', '+120255501' || lpad(g::text, 2, '0')
       FROM generate_series(10, 15) g RETURNING id, msisdn`,
  );
  const subscribers = subs.rows.map((r) => ({
    id: Number(r.id),
    msisdn: r.msisdn,
    hash: subscriberHash(Number(r.id)),
  }));
  const notifications: World['notifications'] = [];
  for (const c of campaigns)
    for (const s of subscribers) {
      const n = await db.query<{ id: number }>(
        `INSERT INTO notification (campaign_id, subscriber_id, channel, carrier) VALUES ($1, $2, 'sms', 'prairie-link') RETURNING id`,
        [c, s.id],
      );
      notifications.push({ id: Number(n.rows[0]!.id), campaign: c, subscriber: s.id });
    }
  const incidentOf = (c: number) => (c === campaigns[2] ? i1 : i0);
  const marks: string[] = [];
  const batches: AuditEventInput[][] = [
    [
      { type: 'incident.created', actor: 'key:k_operator', incidentId: i0, outcome: 'created' },
      { type: 'incident.created', actor: 'key:k_operator', incidentId: i1, outcome: 'created' },
      ...campaigns.map((c) => ({
        type: 'campaign.created' as const,
        actor: 'key:k_operator',
        incidentId: incidentOf(c),
        campaignId: c,
        outcome: 'draft',
      })),
    ],
    notifications.map((n) => {
      const s = subscribers.find((x) => x.id === n.subscriber)!;
      return {
        type: 'notification.queued' as const,
        actor: 'worker:fan-out',
        incidentId: incidentOf(n.campaign),
        campaignId: n.campaign,
        notificationId: n.id,
        subscriberHash: s.hash,
        contactMasked: maskMsisdn(s.msisdn),
        carrier: 'prairie-link',
        channel: 'sms' as const,
      };
    }),
    notifications.map((n, k) => {
      const s = subscribers.find((x) => x.id === n.subscriber)!;
      const failed = k % 4 === 0;
      return {
        type: failed ? ('notification.failed' as const) : ('notification.sent' as const),
        actor: k === 1 ? HOSTILE.actor : 'worker:deliver',
        incidentId: incidentOf(n.campaign),
        campaignId: n.campaign,
        notificationId: n.id,
        subscriberHash: s.hash,
        contactMasked: k === 1 ? HOSTILE.contact : maskMsisdn(s.msisdn),
        carrier: k === 1 ? HOSTILE.carrier : 'prairie-link',
        channel: 'sms' as const,
        attempt: 1,
        outcome: failed ? 'BLOCKED' : k === 1 ? HOSTILE.outcome : 'accepted',
        details: { reason: failed ? HOSTILE.reason : null, latencyMs: k },
      };
    }),
    // Receipts: campaign and notification only, like apply-receipts.ts writes them.
    notifications
      .filter((_, k) => k % 4 !== 0)
      .map((n, k) => ({
        type: k % 3 === 0 ? ('notification.undelivered' as const) : ('notification.delivered' as const),
        actor: 'worker:receipts',
        campaignId: n.campaign,
        notificationId: n.id,
        carrier: 'prairie-link',
        channel: 'sms' as const,
        outcome: k % 3 === 0 ? 'undeliverable' : 'delivered',
      })),
    // A subscriber's own event, tied to no notification: the subscriber filter finds it by its hash.
    [
      {
        type: 'subscriber.erased',
        actor: 'key:k_admin',
        subscriberHash: subscribers[2]!.hash,
        outcome: 'erased',
      },
    ],
  ];
  for (const b of batches) {
    await new Promise((r) => setTimeout(r, 15));
    marks.push(new Date().toISOString());
    await new Promise((r) => setTimeout(r, 15));
    await db.transaction((tx) => appendAudit(tx, b));
  }
  return { incidents: [i0, i1], campaigns, subscribers, notifications, marks };
}

/** What a filter means, computed from all rows in JavaScript: the oracle for the SQL. */
function oracle(rows: AuditRow[], w: World, f: AuditFilters): number[] {
  const campaignsOf = (i: number) =>
    i === w.incidents[0] ? [w.campaigns[0], w.campaigns[1]] : [w.campaigns[2]];
  return rows
    .filter((r) => {
      const n = (v: unknown) => (v === null ? null : Number(v));
      if (f.campaign !== undefined && n(r.campaign_id) !== f.campaign) return false;
      if (
        f.incident !== undefined &&
        !(
          n(r.incident_id) === f.incident ||
          (r.campaign_id !== null && campaignsOf(f.incident).includes(Number(r.campaign_id)))
        )
      )
        return false;
      if (f.subscriber) {
        const mine = w.notifications
          .filter((x) => subscriberHash(x.subscriber) === f.subscriber)
          .map((x) => x.id);
        const ok =
          r.subscriber_hash === f.subscriber ||
          (r.subscriber_hash === null &&
            r.notification_id !== null &&
            mine.includes(Number(r.notification_id)));
        if (!ok) return false;
      }
      if (f.notification !== undefined && n(r.notification_id) !== f.notification) return false;
      if (f.type && r.type !== f.type) return false;
      if (f.carrier && r.carrier !== f.carrier) return false;
      if (f.channel && r.channel !== f.channel) return false;
      if (f.outcome && r.outcome !== f.outcome) return false;
      if (f.actor && r.actor !== f.actor) return false;
      if (f.from && new Date(r.at).getTime() < Date.parse(f.from)) return false;
      if (f.to && new Date(r.at).getTime() >= Date.parse(f.to)) return false;
      return true;
    })
    .map((r) => Number(r.seq));
}

function qs(f: Record<string, unknown>): string {
  return new URLSearchParams(
    Object.entries(f)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
}

let api: ApiHarness;
let w: World;
let rows: AuditRow[];
beforeAll(async () => {
  api = await startApi('auditapi', {
    AUDIT_SIGNING_KEY: KEY_PEM,
    AUDIT_CHECKPOINT_EVERY: '20',
  });
  w = await seed(api);
  rows = (await api.deps.db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
}, 120_000); // PGlite starts in seconds, more on a busy machine
afterAll(async () => {
  await api?.close();
});

describe('GET /v1/audit', () => {
  it('no key → 401; an operator or an auditor → 200', async () => {
    expect((await get(api, '/v1/audit', {})).status).toBe(401);
    expect((await get(api, '/v1/audit', authHeaders('operator'))).status).toBe(200);
    expect((await get(api, '/v1/audit')).status).toBe(200);
  });

  it('every filter, alone and combined, paged 7 at a time → exactly the rows the filter means, in seq order', async () => {
    const [, , c2] = w.campaigns;
    const s = w.subscribers[2]!.hash;
    const cases: AuditFilters[] = [
      {},
      { campaign: w.campaigns[0] },
      { incident: w.incidents[0] },
      { incident: w.incidents[1], type: 'notification.delivered' },
      { incident: w.incidents[0], campaign: c2 },
      { subscriber: s },
      { subscriber: s, incident: w.incidents[1] },
      { notification: w.notifications[5]!.id },
      { type: 'notification.failed' },
      // The delivery types have no type index (migration 052): walked by the primary key or campaign.
      { type: 'notification.delivered' },
      { campaign: w.campaigns[0], type: 'notification.failed' },
      { incident: w.incidents[0], type: 'notification.failed' },
      { campaign: w.campaigns[1], type: 'notification.sent', channel: 'sms' },
      { outcome: 'BLOCKED' },
      { campaign: w.campaigns[0], outcome: 'BLOCKED' },
      { campaign: w.campaigns[1], outcome: 'BLOCKED', from: w.marks[1] },
      { campaign: w.campaigns[2], outcome: 'no-such-code' },
      { campaign: w.campaigns[0], actor: HOSTILE.actor },
      { campaign: 999_999, outcome: 'BLOCKED' },
      { outcome: 'delivered', carrier: 'prairie-link' },
      { carrier: HOSTILE.carrier },
      { actor: 'key:k_operator' },
      { actor: 'worker:receipts', campaign: w.campaigns[2] },
      { from: w.marks[2] },
      { to: w.marks[1] },
      { from: w.marks[1], to: w.marks[3], type: 'notification.queued' },
      { from: w.marks[3], campaign: w.campaigns[0] },
      { from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00Z' },
    ];
    for (const f of cases) {
      const seqs: number[] = [];
      let after: number | null = 0;
      for (let guard = 0; after !== null && guard < 100; guard++) {
        const r = await get(api, `/v1/audit?${qs({ ...f, limit: 7, after })}`);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        const page = r.body as unknown as { items: { seq: number }[]; nextCursor: number | null };
        seqs.push(...page.items.map((i) => i.seq));
        after = page.nextCursor;
      }
      expect(seqs, JSON.stringify(f)).toEqual(oracle(rows, w, f));
    }
  });

  it('subscriber filter → includes the receipts of that subscriber’s notifications', async () => {
    const s = w.subscribers[1]!;
    const r = await get(api, `/v1/audit?subscriber=${s.hash}&limit=1000`);
    const types = (r.body.items as { type: string; subscriberHash: string | null }[]).map((i) => i.type);
    expect(types).toContain('notification.queued');
    expect(types.some((t) => t === 'notification.delivered' || t === 'notification.undelivered')).toBe(true);
  });

  it('reveal=contact → 403 for an auditor; the pii:read scope gets clear numbers and the read is audited', async () => {
    const f = `campaign=${w.campaigns[0]}&type=notification.queued&limit=3&reveal=contact`;
    expect((await get(api, `/v1/audit?${f}`)).status).toBe(403);
    const masked = await get(api, `/v1/audit?campaign=${w.campaigns[0]}&type=notification.queued&limit=3`);
    expect((masked.body.items as { contact?: string }[]).every((i) => i.contact === undefined)).toBe(true);
    const r = await get(api, `/v1/audit?${f}`, authHeaders('auditor-pii'));
    expect(r.status).toBe(200);
    const items = r.body.items as { contact: string; contactMasked: string; notificationId: number }[];
    for (const i of items) {
      const n = w.notifications.find((x) => x.id === i.notificationId)!;
      const s = w.subscribers.find((x) => x.id === n.subscriber)!;
      expect(i.contact).toBe(s.msisdn);
      expect(i.contactMasked).toBe(maskMsisdn(s.msisdn));
    }
    const read = await get(api, '/v1/audit?type=pii.read&limit=10');
    const ev = (
      read.body.items as { actor: string; details: { contacts: number; subscriberHashes: string[] } }[]
    )[0]!;
    expect(ev.actor).toMatch(/^key:k_/);
    expect(ev.details.contacts).toBe(3);
    expect(ev.details.subscriberHashes).toHaveLength(3);
  });

  it('invalid filters → 400', async () => {
    for (const q of ['subscriber=nothex', 'channel=fax', 'type=made.up', 'from=yesterday', 'limit=5000']) {
      expect((await get(api, `/v1/audit?${q}`)).status, q).toBe(400);
    }
  });
});

describe('GET /v1/audit/export', () => {
  it('ndjson → the same events as the query, streamed, and the export is audited with its digest', async () => {
    const f = { incident: w.incidents[0] };
    const page = await get(api, `/v1/audit?${qs({ ...f, limit: 1000 })}`);
    const res = await fetchText(api, `/v1/audit/export?format=ndjson&${qs(f)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const lines = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((l) => l.seq)).toEqual(oracle(rows, w, f));
    expect(lines).toEqual(page.body.items);
    const ev = (await get(api, '/v1/audit?type=audit.exported&limit=1000')).body.items as {
      outcome: string;
      incidentId: number;
      details: { rows: number; sha256: string; format: string };
    }[];
    const mine = ev.find((e) => e.details.sha256 === createHash('sha256').update(res.text).digest('hex'));
    expect(mine).toMatchObject({
      outcome: 'complete',
      incidentId: w.incidents[0],
      details: { rows: lines.length, format: 'ndjson' },
    });
  });

  it('csv of hostile values → every cell reads back as text: formulas behind an apostrophe, quotes and newlines intact', async () => {
    const res = await fetchText(api, `/v1/audit/export?format=csv&type=notification.sent`);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    const table = parse(res.text) as string[][];
    const [header, ...body] = table;
    expect(header).toEqual(
      expect.arrayContaining(['seq', 'actor', 'outcome', 'carrier', 'contactMasked', 'details']),
    );
    const col = (name: string) => header!.indexOf(name);
    const hostileRow = body.find((r) => r[col('actor')] === `'${HOSTILE.actor}`);
    expect(hostileRow, 'the row with hostile values').toBeDefined();
    expect(hostileRow![col('outcome')]).toBe(`'${HOSTILE.outcome}`);
    expect(hostileRow![col('carrier')]).toBe(`'${HOSTILE.carrier}`);
    expect(hostileRow![col('contactMasked')]).toBe(`'${HOSTILE.contact}`);
    for (const r of body) for (const cell of r) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(body.map((r) => Number(r[col('seq')]))).toEqual(oracle(rows, w, { type: 'notification.sent' }));
    const failed = parse(
      (await fetchText(api, '/v1/audit/export?format=csv&type=notification.failed')).text,
      {
        columns: true,
      },
    ) as Record<string, string>[];
    expect(JSON.parse(failed[0]!.details!)).toMatchObject({ reason: HOSTILE.reason });
  });

  it('bundle → npm run audit:verify verifies it offline; one edited byte → reported at that seq', async () => {
    const res = await fetchText(api, '/v1/audit/export?format=bundle');
    expect(res.status).toBe(200);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'bd-audit-bundle-'));
    try {
      const file = path.join(dir, 'bundle.ndjson');
      const keyFile = path.join(dir, 'key.pem');
      const pub = await get(api, '/v1/audit/public-key', {});
      expect(pub.body).toMatchObject({ algorithm: 'Ed25519', keyId: KEY.keyId });
      await writeFile(keyFile, pub.body.publicKey as string);
      await writeFile(file, res.text);
      const ok = await runVerify([file, '--key', keyFile]);
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toMatch(/^VERIFIED: /);

      const lines = res.text.split('\n');
      const target = rows[9]!;
      const i = lines.findIndex((l) => l.includes('"kind":"row"') && l.includes(`"seq":${target.seq},`));
      lines[i] = lines[i]!.replace('"actor":"', '"actor":"X');
      await writeFile(file, lines.join('\n'));
      const bad = await runVerify([file, '--key-id', KEY.keyId, '--json']);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.out)).toMatchObject({ ok: false, firstBadSeq: Number(target.seq) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('bundle with a filter → the unbroken stretch of chain around the matches, anchored by signed checkpoints', async () => {
    const res = await fetchText(api, `/v1/audit/export?format=bundle&campaign=${w.campaigns[2]}`);
    const lines = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; row?: AuditRow });
    const inBundle = lines.filter((l) => l.kind === 'row').map((l) => Number(l.row!.seq));
    const wanted = oracle(rows, w, { campaign: w.campaigns[2] });
    expect(inBundle).toEqual(expect.arrayContaining(wanted));
    expect(inBundle[inBundle.length - 1]).toBe(wanted[wanted.length - 1]);
    const v = await verifyBundle(res.text.split('\n'), { trustedKeyIds: [KEY.keyId] });
    expect(v).toMatchObject({ ok: true, headSeq: wanted[wanted.length - 1] });
  });
});

describe('GET /v1/audit/verify and the public key', () => {
  it('public key → no key needed; its latest checkpoint verifies with it', async () => {
    const r = await get(api, '/v1/audit/public-key', {});
    expect(r.status).toBe(200);
    const cp = r.body.latestCheckpoint as {
      seq: number;
      hash: string;
      time: string;
      keyId: string;
      signature: string;
    };
    expect(cp).not.toBeNull();
    expect(
      checkCheckpoint({ ...cp, publicKey: r.body.publicKey as string }, new Set([KEY.keyId])),
    ).toMatchObject({ ok: true, trusted: true });
    const list = await get(api, '/v1/audit/checkpoints');
    expect((list.body.items as { seq: number }[]).map((c) => c.seq)).toContain(cp.seq);
  });

  it('verify → from genesis and from the latest checkpoint → ok, and each verification is audited', async () => {
    const full = await get(api, '/v1/audit/verify');
    expect(full.body).toMatchObject({ ok: true, firstBadSeq: null, fromSeq: 1 });
    expect(full.body.rowsChecked).toBe(full.body.headSeq);
    const fromCp = await get(api, '/v1/audit/verify?from=checkpoint');
    expect(fromCp.body).toMatchObject({ ok: true });
    expect(fromCp.body.fromSeq as number).toBeGreaterThan(1);
    const ev = await get(api, '/v1/audit?type=audit.verified&limit=10');
    expect((ev.body.items as { outcome: string }[]).map((e) => e.outcome)).toEqual(['ok', 'ok']);
    expect((await get(api, '/v1/audit/verify?from=999999')).status).toBe(404);
  });

  it('a row edited behind the trigger’s back → verify reports its seq (and bundles stop verifying)', async () => {
    const target = Number(rows[17]!.seq);
    const db = api.deps.db;
    await db.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await tx.query(`UPDATE audit_log SET outcome = 'tampered' WHERE seq = $1`, [target]);
      await tx.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    });
    const r = await get(api, '/v1/audit/verify');
    expect(r.body).toMatchObject({
      ok: false,
      firstBadSeq: target,
      reason: 'row content does not match its hash',
    });
    const ev = await get(api, '/v1/audit?type=audit.verified&outcome=broken&limit=10');
    expect((ev.body.items as { details: { firstBadSeq: number } }[])[0]!.details.firstBadSeq).toBe(target);
    const bundle = await fetchText(api, '/v1/audit/export?format=bundle');
    expect(await verifyBundle(bundle.text.split('\n'), { trustedKeyIds: [KEY.keyId] })).toMatchObject({
      ok: false,
      firstBadSeq: target,
    });
  });
});

describe('export limits', () => {
  let small: ApiHarness;
  beforeAll(async () => {
    small = await startApi('auditexportcap', { AUDIT_SIGNING_KEY: KEY_PEM, EXPORT_MAX_ROWS: '5' });
    await small.deps.db.transaction((tx) =>
      appendAudit(
        tx,
        Array.from({ length: 12 }, (_, i) => ({
          type: 'subscriber.registered' as const,
          actor: 'api',
          details: { i },
        })),
      ),
    );
  }, 120_000);
  afterAll(async () => {
    await small?.close();
  });

  it('more rows than EXPORT_MAX_ROWS → stops there and says where to continue; the bundle is refused', async () => {
    const nd = (await fetchText(small, '/v1/audit/export?format=ndjson')).text.trim().split('\n');
    expect(nd).toHaveLength(6);
    expect(JSON.parse(nd[5]!)).toMatchObject({ truncated: true, limit: 5, nextCursor: 5 });
    const next = (await fetchText(small, '/v1/audit/export?format=ndjson&after=5')).text.trim().split('\n');
    expect(JSON.parse(next[0]!)).toMatchObject({ seq: 6 });
    const csv = parse((await fetchText(small, '/v1/audit/export?format=csv')).text, {
      relax_column_count: true,
    }) as string[][];
    expect(csv[csv.length - 1]![0]).toMatch(/^# truncated after 5 rows/);
    expect((await fetchText(small, '/v1/audit/export?format=bundle')).status).toBe(400);
  });

  it('rows cut from the end and the head wound back, behind the triggers → verify reports the cut', async () => {
    const db = small.deps.db;
    const cp = await writeCheckpoint(db, KEY);
    expect((await get(small, '/v1/audit/verify')).body).toMatchObject({ ok: true });
    await db.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_log DISABLE TRIGGER USER');
      await tx.query('ALTER TABLE audit_head DISABLE TRIGGER USER');
      await tx.query('DELETE FROM audit_log WHERE seq > 8');
      await tx.query('UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_log WHERE seq = 8)');
      await tx.query('ALTER TABLE audit_log ENABLE TRIGGER USER');
      await tx.query('ALTER TABLE audit_head ENABLE TRIGGER USER');
    });
    const r = await get(small, '/v1/audit/verify');
    expect(r.body).toMatchObject({ ok: false, firstBadSeq: 9 });
    expect(r.body.reason).toMatch(new RegExp(`covers seq ${cp!.seq}`));
  });
});

describe('GET /v1/audit/verify from a checkpoint', () => {
  let v: ApiHarness;
  /** Rewrites one row's outcome behind the append-only trigger (what an attacker with the owner role could do). */
  const tamper = (seq: number) =>
    v.deps.db.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only');
      await tx.query(`UPDATE audit_log SET outcome = 'tampered' WHERE seq = $1`, [seq]);
      await tx.query('ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only');
    });
  beforeAll(async () => {
    v = await startApi('auditverifycp', { AUDIT_SIGNING_KEY: KEY_PEM, AUDIT_CHECKPOINT_EVERY: '1000000' });
    const events = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        type: 'notification.sent' as const,
        actor: 'worker:deliver',
        campaignId: 1,
        notificationId: from + i,
        carrier: 'prairie-link',
        channel: 'sms' as const,
        attempt: 1,
        outcome: 'accepted',
      }));
    // 30 rows with signed checkpoints at 10 and 20.
    for (const [from, n] of [
      [1, 10],
      [11, 10],
      [21, 10],
    ] as const) {
      await v.deps.db.transaction((tx) => appendAudit(tx, events(from, n)));
      if (from < 21) await writeCheckpoint(v.deps.db, KEY);
    }
  }, 120_000);
  afterAll(async () => {
    await v?.close();
  });

  it('untouched → from genesis, from seq 10, from the latest checkpoint → ok, each walk starting where asked', async () => {
    // Each verification appends its own audit.verified event, so the head grows by one per call.
    for (const [from, fromSeq] of [
      ['genesis', 1],
      ['10', 10],
      ['checkpoint', 20],
    ] as const) {
      const r = (await get(v, `/v1/audit/verify?from=${from}`)).body as {
        ok: boolean;
        fromSeq: number;
        headSeq: number;
        rowsChecked: number;
      };
      expect(r, from).toMatchObject({ ok: true, fromSeq });
      expect(r.headSeq, from).toBeGreaterThanOrEqual(30);
      expect(r.rowsChecked, from).toBe(r.headSeq - fromSeq + 1);
    }
  });

  it('rows edited after and before a checkpoint, then the checkpoint row itself → each walk reports the first broken seq it covers', async () => {
    await tamper(25);
    for (const from of ['10', '20', 'checkpoint', 'genesis'])
      expect((await get(v, `/v1/audit/verify?from=${from}`)).body, from).toMatchObject({
        ok: false,
        firstBadSeq: 25,
      });
    // Before checkpoint 10: the full walk finds it; a walk from 10 trusts what the signature covers.
    await tamper(5);
    expect((await get(v, '/v1/audit/verify')).body).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect((await get(v, '/v1/audit/verify?from=10')).body).toMatchObject({ ok: false, firstBadSeq: 25 });
    // The checkpoint's own row is re-hashed and held against the signed hash.
    await tamper(20);
    expect((await get(v, '/v1/audit/verify?from=20')).body).toMatchObject({
      ok: false,
      firstBadSeq: 20,
    });
    expect((await get(v, '/v1/audit/verify?from=10')).body).toMatchObject({ ok: false, firstBadSeq: 20 });
    const verdicts = await get(v, '/v1/audit?type=audit.verified&outcome=broken&limit=100');
    expect(
      (verdicts.body.items as { details: { firstBadSeq: number } }[]).map((e) => e.details.firstBadSeq),
    ).toEqual([25, 25, 25, 25, 5, 25, 20, 20]);
  });
});

describe('CSV export of hostile values in every text column', () => {
  let c: ApiHarness;
  // Cells a spreadsheet would evaluate, or that would break a naive CSV writer, in columns that are
  // written as they are (not inside the details JSON).
  const CELLS = {
    actor: '@SUM(1+1)*cmd|/C calc',
    outcome: '\t=1+2',
    carrier: '\r=HYPERLINK("http://x.example","click")',
    contactMasked: '+1 555 0100\nsecond line, "quoted"',
    subscriberHash: "=cmd|' /C calc'!A0",
  };
  beforeAll(async () => {
    c = await startApi('auditcsvhostile', { AUDIT_SIGNING_KEY: KEY_PEM });
    await c.deps.db.transaction((tx) =>
      appendAudit(tx, [
        {
          type: 'notification.failed',
          actor: CELLS.actor,
          campaignId: 7,
          notificationId: 1,
          subscriberHash: CELLS.subscriberHash,
          contactMasked: CELLS.contactMasked,
          carrier: CELLS.carrier,
          channel: 'sms',
          attempt: 1,
          outcome: CELLS.outcome,
          details: { reason: '-1+1\n=2' },
        },
        {
          type: 'notification.sent',
          actor: 'worker:deliver',
          campaignId: 7,
          notificationId: 2,
          outcome: 'accepted',
        },
      ]),
    );
  }, 120_000);
  afterAll(async () => {
    await c?.close();
  });

  it('every cell parses back to its value, dangerous ones behind an apostrophe; embedded newlines stay in their cell', async () => {
    const res = await fetchText(c, '/v1/audit/export?format=csv&campaign=7');
    expect(res.status).toBe(200);
    const records = parse(res.text, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => r.seq)).toEqual(['1', '2']);
    const [hostile] = records;
    for (const [col, value] of Object.entries(CELLS)) {
      expect(hostile![col], col).toBe(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
    }
    expect(JSON.parse(hostile!.details!)).toEqual({ reason: '-1+1\n=2' });
    // No cell of any record, once parsed, starts with a character that makes it a formula.
    for (const r of records) for (const cell of Object.values(r)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });

  it('exports rendered by PostgreSQL → any text → CSV byte for byte what toSafeCsv writes, NDJSON the query’s events', async () => {
    // Text PostgreSQL can store (no NUL, no lone surrogate), biased towards what CSV and JSON escape.
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom(
          '=',
          '+',
          '-',
          '@',
          '\t',
          '\r',
          '\n',
          '"',
          ',',
          "'",
          '\\',
          '/',
          '＝',
          '＋',
          '\u0001',
          '\u001f',
          '\u2028',
          'é',
          '😀',
        ),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
      ),
      maxLength: 12,
    });
    const eventArb = fc.record({
      actor: text,
      outcome: fc.option(text),
      carrier: fc.option(text),
      contactMasked: fc.option(text),
      subscriberHash: fc.option(text),
      attempt: fc.option(fc.integer({ min: 0, max: 9 })),
      details: fc.dictionary(text, fc.oneof(text, fc.integer(), fc.constant(null)), { maxKeys: 3 }),
    });
    let campaign = 1000;
    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 1, maxLength: 15 }), async (events) => {
        campaign += 1;
        await c.deps.db.transaction((tx) =>
          appendAudit(
            tx,
            events.map((e) => ({ ...e, type: 'notification.failed' as const, campaignId: campaign })),
          ),
        );
        const stored = (
          await c.deps.db.query<AuditRow & { details_text: string }>(
            'SELECT *, details::text AS details_text FROM audit_log WHERE campaign_id = $1 ORDER BY seq',
            [campaign],
          )
        ).rows;
        const csv = await fetchText(c, `/v1/audit/export?format=csv&campaign=${campaign}`);
        const expected = toSafeCsvFast(
          stored.map((r) => [
            Number(r.seq),
            new Date(r.at).toISOString(),
            r.type,
            r.actor,
            r.incident_id === null ? null : Number(r.incident_id),
            Number(r.campaign_id),
            r.notification_id === null ? null : Number(r.notification_id),
            r.subscriber_hash,
            r.contact_masked,
            r.carrier,
            r.channel,
            r.attempt,
            r.outcome,
            r.details_text,
            r.prev_hash,
            r.hash,
          ]),
        );
        expect(csv.text).toBe(toSafeCsv([], { header: CSV_COLUMNS }) + expected);
        // Each export is audited under its campaign filter: keep to the events written above.
        const f = `campaign=${campaign}&type=notification.failed`;
        const nd = await fetchText(c, `/v1/audit/export?format=ndjson&${f}`);
        const page = await get(c, `/v1/audit?${f}&limit=100`);
        expect(nd.text.endsWith('\n')).toBe(true);
        expect(
          nd.text
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l) as unknown),
        ).toEqual(page.body.items);
      }),
      { seed: seedFor('export rendered by PostgreSQL'), numRuns: 25 },
    );
  }, 120_000);
});

function runVerify(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/audit-verify.ts', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}
