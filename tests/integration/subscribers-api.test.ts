import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, http, startApi, type ApiHarness } from '../helpers/api-harness';
import { verifyChain } from '../../shared/audit/verify-chain';
import { subscriberHash, type AuditRow } from '../../shared/audit/audit-event';
import { generatePopulation } from '../../shared/population/generate-population';
import { populationText, CONTENT_TYPES } from '../../shared/population/write-population';
import type { ImportResult, Subscriber } from '../../shared/api/subscribers.schema';

let api: ApiHarness;
let small: ApiHarness;
// Two apps, each migrating its own database: slow on PGlite when the machine is busy.
beforeAll(async () => {
  api = await startApi('subscribers');
  small = await startApi('subscriberslimits', { BULK_MAX_ROWS: '5', BULK_MAX_BYTES: '2048' });
}, 120_000);
afterAll(async () => {
  await api?.close();
  await small?.close();
});

const operator = () => authHeaders('operator');
const HEADER = 'carrier,msisdn,email,display_name,data_categories';

/** POST a raw body (string or bytes) with its content type. */
async function postRaw(
  h: ApiHarness,
  path: string,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...operator(), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function bulk(body: string | Buffer, type: string, headers: Record<string, string> = {}, h = api) {
  const r = await postRaw(h, '/v1/subscribers/bulk', body, type, headers);
  return r as {
    status: number;
    headers: Headers;
    body: ImportResult & { error?: { code: string; details: unknown[] } };
  };
}

const errorsOf = (r: ImportResult) => r.errors.map((e) => [e.line, e.field, e.code]);

async function auditRows(h = api): Promise<AuditRow[]> {
  return (await h.deps.db.query<AuditRow>('SELECT * FROM audit_log ORDER BY seq')).rows;
}

async function countSubscribers(h = api): Promise<number> {
  return Number(
    (await h.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM subscribers')).rows[0]!.n,
  );
}

describe('POST /v1/subscribers → one subscriber', () => {
  const pat = {
    carrier: 'bluecrest-wireless',
    msisdn: '+13035550111',
    email: 'pat.doe@bluecrest-wireless.test',
    displayName: 'Pat Doe',
    dataCategories: ['call_records', 'location'],
  };

  it('new → 201 (contacts masked for an operator); same carrier and number again → 200, same id', async () => {
    const first = await http(api.url, 'POST', '/v1/subscribers', pat, operator());
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ carrier: pat.carrier, msisdn: '+1********11', piiMasked: true });
    const again = await http(
      api.url,
      'POST',
      '/v1/subscribers',
      { ...pat, displayName: 'Pat Q. Doe' },
      operator(),
    );
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const events = (await auditRows()).filter(
      (e) => e.subscriber_hash === subscriberHash(Number(first.body.id)),
    );
    expect(events.map((e) => [e.type, e.outcome])).toEqual([
      ['subscriber.registered', 'created'],
      ['subscriber.updated', 'updated'],
    ]);
    expect(events.every((e) => e.contact_masked === null)).toBe(true);
  });

  it('an unsafe or malformed recipient → 400 with one detail per problem, audited without the contact', async () => {
    const r = await http(
      api.url,
      'POST',
      '/v1/subscribers',
      { carrier: 'bluecrest-wireless', msisdn: '+13035551234', email: 'victim@gmail.com' },
      operator(),
    );
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('UNSAFE_RECIPIENT');
    expect(r.body.error?.details).toEqual([
      expect.objectContaining({ path: 'body.msisdn', code: 'NOT_RESERVED_NUMBER' }),
      expect.objectContaining({ path: 'body.email', code: 'NOT_RESERVED_DOMAIN' }),
    ]);
    const structural = await http(api.url, 'POST', '/v1/subscribers', { msisdn: 13035550111 }, operator());
    expect(structural.status).toBe(400);
    expect(structural.body.error?.code).toBe('VALIDATION_FAILED');
    const rows = await auditRows();
    const rejected = rows.filter((e) => e.type === 'subscriber.rejected');
    expect(rejected.length).toBeGreaterThanOrEqual(2);
    expect(rejected[0]!.subscriber_hash).toMatch(/^[0-9a-f]{24}$/);
    const all = JSON.stringify(rows);
    expect(all).not.toContain('5551234');
    expect(all).not.toContain('victim');
  });

  it('read by a pii:read caller → contacts in clear and a pii.read event; by an operator → masked, no event', async () => {
    const created = await http(
      api.url,
      'POST',
      '/v1/subscribers',
      { ...pat, msisdn: '+13035550112' },
      operator(),
    );
    const id = Number(created.body.id);
    const before = (await auditRows()).filter((e) => e.type === 'pii.read').length;
    const masked = await http(api.url, 'GET', `/v1/subscribers/${id}`, undefined, authHeaders('auditor'));
    expect(masked.body).toMatchObject({
      msisdn: '+1********12',
      email: 'p***@bluecrest-wireless.test',
      displayName: 'P***',
    });
    expect((await auditRows()).filter((e) => e.type === 'pii.read')).toHaveLength(before);
    const clear = await http(api.url, 'GET', `/v1/subscribers/${id}`, undefined, authHeaders('auditor-pii'));
    expect(clear.body).toMatchObject({
      msisdn: '+13035550112',
      email: pat.email,
      displayName: 'Pat Doe',
      piiMasked: false,
    });
    const reads = (await auditRows()).filter((e) => e.type === 'pii.read');
    expect(reads).toHaveLength(before + 1);
    expect(reads.at(-1)).toMatchObject({ subscriber_hash: subscriberHash(id), outcome: 'revealed' });
  });
});

describe('POST /v1/subscribers/bulk → formats and per-row errors', () => {
  it('NDJSON with good and bad rows → counts, errors with line, field and code, and the rows registered', async () => {
    const lines = [
      { carrier: 'northwind-mobile', msisdn: '+12065550101', email: 'a@northwind-mobile.test' },
      { carrier: 'nowhere-telecom', msisdn: '+12065550102' },
      { carrier: 'northwind-mobile', msisdn: '+12065550103', dataCategories: ['call_records', 'dna'] },
      { carrier: 'northwind-mobile', msisdn: '+12065550101', displayName: 'again' },
      { carrier: 'northwind-mobile', msisdn: '2065550104' },
      { carrier: 'northwind-mobile', msisdn: '+12065550105', displayName: 'Ann', region: 'WA' },
    ].map((l) => JSON.stringify(l));
    const r = await bulk(`${lines.join('\n')}\n`, 'application/x-ndjson');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ format: 'ndjson', complete: true, rows: 6, accepted: 2, rejected: 4 });
    expect(errorsOf(r.body)).toEqual([
      [2, 'carrier', 'UNKNOWN_CARRIER'],
      [3, 'dataCategories', 'UNKNOWN_DATA_CATEGORY'],
      [4, 'msisdn', 'DUPLICATE_IN_FILE'],
      [5, 'msisdn', 'NOT_E164'],
    ]);
    expect(r.body.errors[2]!.message).toContain('line 1');
    const stored = await http(
      api.url,
      'GET',
      `/v1/subscribers/imports/${r.body.importId}`,
      undefined,
      operator(),
    );
    expect(stored.body).toEqual(r.body);
    const ann = await api.deps.db.query(`SELECT region FROM subscribers WHERE msisdn = '+12065550105'`);
    expect(ann.rows).toEqual([{ region: 'WA' }]);
  });

  it('the same population as NDJSON, CSV and a JSON array → new, then unchanged, then updated', async () => {
    const rows = [...generatePopulation({ count: 300, seed: 11, carriers: ['prairie-link'] })];
    const text = (f: 'ndjson' | 'csv' | 'json', rs = rows) => [...populationText(rs, f)].join('');
    const a = await bulk(text('ndjson'), CONTENT_TYPES.ndjson);
    expect(a.body).toMatchObject({ accepted: 300, updated: 0, unchanged: 0, rejected: 0 });
    const b = await bulk(text('csv'), CONTENT_TYPES.csv);
    expect(b.body).toMatchObject({ format: 'csv', accepted: 0, updated: 0, unchanged: 300, rejected: 0 });
    const renamed = rows.map((r, i) => (i < 10 ? { ...r, displayName: `Renamed ${i}` } : r));
    const c = await bulk(text('json', renamed), CONTENT_TYPES.json);
    expect(c.body).toMatchObject({
      format: 'json',
      accepted: 0,
      updated: 10,
      unchanged: 290,
      complete: true,
    });
  });

  it('rejections → audited in batches with line, hashed identifier and codes, never the refused value', async () => {
    const refused = '+12125551234';
    const body = `${JSON.stringify({ carrier: 'summitwave', msisdn: refused })}\n${JSON.stringify({ carrier: 'summitwave', msisdn: '+12125550150' })}\n`;
    const r = await bulk(body, 'application/x-ndjson');
    expect(r.body).toMatchObject({ accepted: 1, rejected: 1 });
    const events = (await auditRows()).filter(
      (e) => (e.details as { importId?: string }).importId === r.body.importId,
    );
    expect(events.map((e) => [e.type, e.outcome])).toEqual([
      ['subscriber.registered', 'bulk'],
      ['subscriber.rejected', 'rejected'],
      ['subscriber.registered', 'import-finished'],
    ]);
    const rejections = (events[1]!.details as { rejections: [number, string, string][] }).rejections;
    expect(rejections).toEqual([[1, expect.stringMatching(/^[0-9a-f]{24}$/), 'NOT_RESERVED_NUMBER']]);
    expect(JSON.stringify(await auditRows())).not.toContain('5551234');
  });

  it('more than 100 errors → the first 100 in the answer, the rest paged by cursor', async () => {
    const lines = Array.from({ length: 250 }, (_, i) =>
      JSON.stringify({ carrier: 'x', msisdn: `+1202555${1000 + i}` }),
    );
    const r = await bulk(lines.join('\n'), 'application/x-ndjson');
    expect(r.body).toMatchObject({ rejected: 250, errorsStored: 500, nextErrorsCursor: 100 });
    expect(r.body.errors).toHaveLength(100);
    const seen = [...r.body.errors];
    let after: number | null = r.body.nextErrorsCursor;
    while (after !== null) {
      const page = await http(
        api.url,
        'GET',
        `/v1/subscribers/imports/${r.body.importId}/errors?after=${after}&limit=150`,
        undefined,
        authHeaders('auditor'),
      );
      expect(page.status).toBe(200);
      seen.push(...(page.body.items as ImportResult['errors']));
      after = page.body.nextCursor as number | null;
    }
    expect(seen.map((e) => e.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(new Set(seen.map((e) => e.line)).size).toBe(250);
  });
});

describe('POST /v1/subscribers/bulk → malformed files give per-row errors, never a 500', () => {
  const good = (n: number) =>
    `northwind-mobile,+1425555${String(100 + n).padStart(4, '0')},p${n}@example.com,Pat ${n},call_records`;

  it('wrong columns → 400 naming the header line, nothing registered', async () => {
    const before = await countSubscribers();
    for (const header of ['carrier,phone,email', 'carrier,msisdn,msisdn', 'name,email']) {
      const r = await bulk(`${header}\n${good(1)}\n`, 'text/csv');
      expect(r.status, header).toBe(400);
      expect(r.body.error?.code).toBe('VALIDATION_FAILED');
      expect(r.body.error?.details[0]).toMatchObject({ line: 1 });
    }
    expect(await countSubscribers()).toBe(before);
  });

  it('rows with the wrong number of columns, bad quoting and invalid UTF-8 → one error each, the rest read', async () => {
    const body = Buffer.concat([
      Buffer.from(`${HEADER}\n${good(1)}\n`),
      Buffer.from('northwind-mobile,+14255550102\n'),
      Buffer.from(`${good(3)},extra\n`),
      Buffer.from('"northwind-mobile"x,+14255550104,,,\n'),
      Buffer.from('northwind-mobile,+14255550105,a"b@example.com,,\n'),
      Buffer.from('northwind-mobile,+14255550106,,Jos'),
      Buffer.from([0xe9]),
      Buffer.from(',\n'),
      Buffer.from('"northwind-mobile,+14255550107,,,\n'),
      Buffer.from(`${good(8)}\n`),
    ]);
    const r = await bulk(body, 'text/csv');
    expect(r.status).toBe(200);
    expect(errorsOf(r.body)).toEqual([
      [3, null, 'COLUMN_COUNT'],
      [4, null, 'COLUMN_COUNT'],
      [5, null, 'MALFORMED_ROW'],
      [6, null, 'MALFORMED_ROW'],
      [7, null, 'BAD_ENCODING'],
      [8, null, 'MALFORMED_ROW'],
    ]);
    expect(r.body).toMatchObject({ rows: 8, accepted: 2, rejected: 6, complete: true });
  });

  it('formula-like cells → FORMULA_LIKE_VALUE, refused rather than escaped', async () => {
    const body = [
      'carrier,msisdn,display_name,external_ref',
      'northwind-mobile,+14255550121,"=HYPERLINK(""http://evil.example"",""Pat"")",A1',
      'northwind-mobile,+14255550122,Pat,@SUM(A1:A9)',
      'northwind-mobile,+14255550123,-2+3,A3',
      'northwind-mobile,+14255550124,Pat,A4',
    ].join('\n');
    const r = await bulk(body, 'text/csv; charset=utf-8');
    expect(errorsOf(r.body)).toEqual([
      [2, 'display_name', 'FORMULA_LIKE_VALUE'],
      [3, 'external_ref', 'FORMULA_LIKE_VALUE'],
      [4, 'display_name', 'FORMULA_LIKE_VALUE'],
    ]);
    expect(r.body.accepted).toBe(1);
  });

  it('Unicode lookalike digits and spaced numbers → NOT_E164, never normalised', async () => {
    const numbers = ['+1４２５5550131', '+1425٥550132', '+1 425 555 0133', '+14255550134'];
    const body = numbers.map((msisdn) => JSON.stringify({ carrier: 'northwind-mobile', msisdn })).join('\n');
    const r = await bulk(body, 'application/x-ndjson');
    expect(errorsOf(r.body)).toEqual([
      [1, 'msisdn', 'NOT_E164'],
      [2, 'msisdn', 'NOT_E164'],
      [3, 'msisdn', 'NOT_E164'],
    ]);
    const stored = await api.deps.db.query<{ msisdn: string }>(
      `SELECT msisdn FROM subscribers WHERE msisdn LIKE '+142555501%' AND msisdn >= '+14255550131'`,
    );
    expect(stored.rows.map((x) => x.msisdn)).toEqual(['+14255550134']);
  });

  it('a 10 MB single line → OVERSIZE_ROW for that line, the next line registered (CSV and NDJSON)', async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const csv = await bulk(
      `${HEADER}\n${good(41)}\nnorthwind-mobile,+14255550142,,${huge},\n${good(43)}\n`,
      'text/csv',
    );
    expect(csv.status).toBe(200);
    expect(errorsOf(csv.body)).toEqual([[3, null, 'OVERSIZE_ROW']]);
    expect(csv.body).toMatchObject({ rows: 3, rejected: 1, complete: true });
    const nd = await bulk(
      `{"carrier":"northwind-mobile","msisdn":"+14255550144","displayName":"${huge}"}\n{"carrier":"northwind-mobile","msisdn":"+14255550145"}\n`,
      'application/x-ndjson',
    );
    expect(errorsOf(nd.body)).toEqual([[1, null, 'OVERSIZE_ROW']]);
    expect(nd.body.rows).toBe(2);
    const json = await bulk(
      `[{"carrier":"northwind-mobile","msisdn":"+14255550146","displayName":"${huge}"},\n{}]`,
      'application/json',
    );
    expect(errorsOf(json.body)).toEqual([
      [1, null, 'OVERSIZE_ROW'],
      [2, 'carrier', 'MISSING_FIELD'],
      [2, 'msisdn', 'MISSING_FIELD'],
    ]);
  });

  it('a JSON array broken mid-way → 200, complete: false, stopped at its line; the rows before registered', async () => {
    const r = await bulk(
      '[{"carrier":"lakeshore-mobile","msisdn":"+16165550101"},\n{"carrier":"lakeshore-mobile","msisdn":"+16165550102"},\n{"carrier": oops}]',
      'application/json',
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      complete: false,
      accepted: 2,
      stoppedBy: { code: 'MALFORMED_BODY', line: 3 },
    });
    expect(r.headers.get('connection')).toBe('close');
  });

  it('an unsupported or compressed body → 415; a body declared larger than BULK_MAX_BYTES → 413', async () => {
    expect((await bulk('a,b', 'text/plain')).status).toBe(415);
    expect((await bulk('a,b', 'text/csv; charset=latin1')).status).toBe(415);
    expect((await bulk('[]', 'application/json', { 'content-encoding': 'gzip' })).status).toBe(415);
    const big = await bulk('x'.repeat(4096), 'application/x-ndjson', {}, small);
    expect(big.status).toBe(413);
    expect(big.body.error?.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('more rows than BULK_MAX_ROWS, or a streamed body over BULK_MAX_BYTES → stopped, the rows before kept', async () => {
    const rows = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ carrier: 'cedar-valley', msisdn: `+15035550${110 + i}` }),
    );
    const many = await bulk(rows.join('\n'), 'application/x-ndjson', {}, small);
    expect(many.body).toMatchObject({
      complete: false,
      rows: 5,
      accepted: 5,
      stoppedBy: { code: 'TOO_MANY_ROWS', line: 6 },
    });
    // Chunked, so no Content-Length tells the server in advance.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode(`${'\n'.repeat(1000)}`));
        c.close();
      },
    });
    const res = await fetch(`${small.url}/v1/subscribers/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson', ...operator() },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ complete: false, stoppedBy: { code: 'BODY_TOO_LARGE' } });
  });
});

describe('Idempotency-Key', () => {
  const body = [
    ...populationText(
      generatePopulation({ count: 200, seed: 21, carriers: ['tidewater-telecom'] }),
      'ndjson',
    ),
  ].join('');

  it('a replay → the first answer again, marked as replayed, and nothing registered or audited twice', async () => {
    const key = { 'idempotency-key': `bulk-${Date.now()}` };
    const first = await bulk(body, 'application/x-ndjson', key);
    expect(first.body).toMatchObject({ accepted: 200 });
    const subscribers = await countSubscribers();
    const events = (await auditRows()).length;
    const imports = (await api.deps.db.query('SELECT id FROM subscriber_imports')).rows.length;
    const replay = await bulk(body, 'application/x-ndjson', key);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await countSubscribers()).toBe(subscribers);
    expect((await auditRows()).length).toBe(events);
    expect((await api.deps.db.query('SELECT id FROM subscriber_imports')).rows.length).toBe(imports);
  });

  it('the same key with another body → 409; another key with the same body → a new import', async () => {
    const key = { 'idempotency-key': `bulk-other-${Date.now()}` };
    await bulk(body, 'application/x-ndjson', key);
    const other = await bulk(body.replace('tidewater', 'TIDEWATER'), 'application/x-ndjson', key);
    expect(other.status).toBe(409);
    expect(other.body.error?.code).toBe('CONFLICT');
    const fresh = await bulk(body, 'application/x-ndjson', { 'idempotency-key': `bulk-fresh-${Date.now()}` });
    expect(fresh.body).toMatchObject({ accepted: 0, unchanged: 200 });
    const bad = await bulk(body, 'application/x-ndjson', { 'idempotency-key': 'has space' });
    expect(bad.status).toBe(400);
  });

  it('generate with a key → replayed; with another request under that key → 409', async () => {
    const key = { 'idempotency-key': `gen-${Date.now()}` };
    const req = { count: 50, seed: 99, carriers: ['redrock-comms'] };
    const a = await http(api.url, 'POST', '/v1/subscribers/generate', req, { ...operator(), ...key });
    const b = await http(api.url, 'POST', '/v1/subscribers/generate', req, { ...operator(), ...key });
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await http(
      api.url,
      'POST',
      '/v1/subscribers/generate',
      { ...req, seed: 100 },
      { ...operator(), ...key },
    );
    expect(c.status).toBe(409);
  });
});

describe('POST /v1/subscribers/generate', () => {
  it('a seeded population with defects → registered through the import path; the same seed again → unchanged', async () => {
    const req = {
      count: 2_000,
      seed: 5,
      carriers: ['harborview-cellular'],
      mix: { duplicates: 0.02, malformedNumbers: 0.02, optedOut: 0.1 },
    };
    const a = await http(api.url, 'POST', '/v1/subscribers/generate', req, operator());
    expect(a.status).toBe(200);
    const first = a.body as unknown as ImportResult;
    expect(first).toMatchObject({ format: 'generated', rows: 2_000, complete: true });
    expect(first.rejected).toBeGreaterThan(20);
    expect(new Set(first.errors.map((e) => e.code))).toEqual(
      new Set(['DUPLICATE_IN_FILE', 'NOT_E164', 'NOT_RESERVED_NUMBER']),
    );
    const b = (await http(api.url, 'POST', '/v1/subscribers/generate', req, operator()))
      .body as unknown as ImportResult;
    expect(b).toMatchObject({ accepted: 0, updated: 0, unchanged: first.accepted, rejected: first.rejected });
  });

  it('an unknown carrier → 400 UNKNOWN_CARRIER; more than the reserved range holds → 400', async () => {
    const a = await http(
      api.url,
      'POST',
      '/v1/subscribers/generate',
      { count: 10, seed: 1, carriers: ['acme'] },
      operator(),
    );
    expect(a.body.error?.code).toBe('UNKNOWN_CARRIER');
    const b = await http(
      api.url,
      'POST',
      '/v1/subscribers/generate',
      { count: 80_000, seed: 1, carriers: ['summitwave'] },
      operator(),
    );
    expect(b.status).toBe(400);
    expect(b.body.error?.message).toContain('79900');
  });
});

describe('GET /v1/subscribers → filters and cursor pagination', () => {
  beforeAll(async () => {
    const r = await http(
      api.url,
      'POST',
      '/v1/subscribers/generate',
      { count: 1_500, seed: 77, carriers: ['summitwave', 'cedar-valley'], mix: { optedOut: 0.1 } },
      operator(),
    );
    expect(r.status).toBe(200);
    await api.deps.db.query(
      `INSERT INTO opt_outs (msisdn) SELECT msisdn FROM subscribers WHERE carrier = 'cedar-valley' AND opted_out_at IS NULL ORDER BY id LIMIT 5`,
    );
  }, 120_000);

  async function walk(query: string): Promise<Subscriber[]> {
    const out: Subscriber[] = [];
    let after = 0;
    for (;;) {
      const page = await http(
        api.url,
        'GET',
        `/v1/subscribers?${query}&limit=200&after=${after}`,
        undefined,
        authHeaders('auditor'),
      );
      expect(page.status).toBe(200);
      out.push(...(page.body.items as Subscriber[]));
      if (page.body.nextCursor === null) return out;
      after = page.body.nextCursor as number;
    }
  }

  async function sqlCount(where: string): Promise<number> {
    const r = await api.deps.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM subscribers s LEFT JOIN opt_outs o ON o.msisdn = s.msisdn WHERE s.erased_at IS NULL AND ${where}`,
    );
    return Number(r.rows[0]!.n);
  }

  it('each filter → only matching subscribers, every one of them, across pages in id order', async () => {
    const cases: [string, string, (s: Subscriber) => boolean][] = [
      ['carrier=summitwave', `s.carrier = 'summitwave'`, (s) => s.carrier === 'summitwave'],
      ['region=CA', `s.region = 'CA'`, (s) => s.region === 'CA'],
      [
        'dataCategory=location',
        `'location' = ANY(s.data_categories)`,
        (s) => s.dataCategories.includes('location'),
      ],
      ['channel=email', `'email' = ANY(s.channels)`, (s) => s.channels.includes('email')],
      ['optedOut=true', '(s.opted_out_at IS NOT NULL OR o.msisdn IS NOT NULL)', (s) => s.optedOut],
      [
        'carrier=cedar-valley&optedOut=false&accountType=consumer',
        `s.carrier = 'cedar-valley' AND s.opted_out_at IS NULL AND o.msisdn IS NULL AND s.account_type = 'consumer'`,
        (s) => s.carrier === 'cedar-valley' && !s.optedOut && s.accountType === 'consumer',
      ],
    ];
    for (const [query, where, pred] of cases) {
      const items = await walk(query);
      expect(items.length, query).toBe(await sqlCount(where));
      expect(items.length, query).toBeGreaterThan(0);
      expect(items.every(pred), query).toBe(true);
      const ids = items.map((s) => s.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    }
    const stopped = await walk('optedOut=true&carrier=cedar-valley');
    expect(stopped.filter((s) => s.optedOutAt !== null).length).toBe(stopped.length);
  });

  it('an unknown filter value → 400', async () => {
    const r = await http(api.url, 'GET', '/v1/subscribers?dataCategory=dna', undefined, operator());
    expect(r.status).toBe(400);
  });
});

describe('DELETE /v1/subscribers/:id → erasure', () => {
  it('personal fields wiped, the row gone from reads, the audit keeps only the hashed id, the chain verifies', async () => {
    const created = await http(
      api.url,
      'POST',
      '/v1/subscribers',
      {
        carrier: 'tidewater-telecom',
        msisdn: '+18435550177',
        email: 'erase.me@tidewater-telecom.test',
        displayName: 'Erin Rase',
        externalRef: 'TID-1',
      },
      operator(),
    );
    const id = Number(created.body.id);
    expect(
      (await http(api.url, 'GET', `/v1/subscribers/${id}`, undefined, authHeaders('auditor-pii'))).status,
    ).toBe(200);
    const del = await http(api.url, 'DELETE', `/v1/subscribers/${id}`, undefined, operator());
    expect(del.status).toBe(204);
    expect((await http(api.url, 'GET', `/v1/subscribers/${id}`, undefined, operator())).status).toBe(404);
    expect((await http(api.url, 'DELETE', `/v1/subscribers/${id}`, undefined, operator())).status).toBe(404);
    const row = (await api.deps.db.query('SELECT * FROM subscribers WHERE id = $1', [id])).rows[0] as Record<
      string,
      unknown
    >;
    expect(row).toMatchObject({
      msisdn: null,
      email: null,
      display_name: null,
      region: null,
      external_ref: null,
    });
    expect(row.erased_at).not.toBeNull();
    const rows = await auditRows();
    const mine = rows.filter((e) => e.subscriber_hash === subscriberHash(id));
    expect(mine.map((e) => e.type)).toEqual(['subscriber.registered', 'pii.read', 'subscriber.erased']);
    const text = JSON.stringify(rows);
    for (const pii of ['5550177', 'erase.me', 'Erin', 'TID-1']) expect(text).not.toContain(pii);
    expect(verifyChain(rows)).toMatchObject({ ok: true, rows: rows.length });
    // The number is free again: registering it makes a new subscriber.
    const again = await http(
      api.url,
      'POST',
      '/v1/subscribers',
      { carrier: 'tidewater-telecom', msisdn: '+18435550177' },
      operator(),
    );
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(id);
  });
});
