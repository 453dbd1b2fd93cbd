import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, http as rawHttp, startApi, type ApiHarness } from '../helpers/api-harness';

// Every call below is made as an operator unless it passes its own headers.
const http = (
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = authHeaders('operator'),
) => rawHttp(url, method, path, body, headers);
import { toOpenApiPath } from '../../services/api/http/openapi';
import { ERROR_CODES } from '../../shared/errors';
import { signBody } from '../../shared/webhook-signature';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi('contract');
});
afterAll(async () => {
  await api.close();
});

const person = {
  carrier: 'northwind-mobile',
  msisdn: '+12025550142',
  email: 'pat.doe@northwind-mobile.test',
  displayName: 'Pat Doe',
};
const incidentBody = {
  exerciseId: 'EX-CONTRACT-1',
  title: 'Simulated metadata exposure',
  threatActor: 'SIMULATED-APT',
  carriers: ['northwind-mobile', 'bluecrest-wireless'],
  dataCategories: ['call_records'],
  window: { start: '2024-03-01T00:00:00Z', end: '2024-09-01T00:00:00Z' },
  determinedAt: '2024-10-01T12:00:00Z',
};

function expectError(
  r: { status: number; body: { error?: { code: string; message: string; details: unknown[] } } },
  status: number,
  code: string,
) {
  expect(r.status).toBe(status);
  expect(r.body.error).toMatchObject({ code });
  expect(typeof r.body.error!.message).toBe('string');
  expect(Array.isArray(r.body.error!.details)).toBe(true);
}

describe('OpenAPI document', () => {
  it('every mounted route → appears in /openapi.json with its method', async () => {
    const doc = (await http(api.url, 'GET', '/openapi.json')).body as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const r of api.routes) {
      expect(doc.paths[toOpenApiPath(r.path)]?.[r.method], `${r.method} ${r.path}`).toBeDefined();
    }
    const specCount = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
    expect(specCount).toBe(api.routes.length);
  });

  it('every error code in the registry → is documented in the spec', async () => {
    const doc = (await http(api.url, 'GET', '/openapi.json')).body as { info: { description: string } };
    for (const code of Object.keys(ERROR_CODES)) expect(doc.info.description).toContain(code);
  });

  it('/docs → renders from locally served assets', async () => {
    const page = await fetch(`${api.url}/docs`);
    const html = await page.text();
    expect(html).toContain('/docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect((await fetch(`${api.url}/docs/assets/swagger-ui-bundle.js`)).status).toBe(200);
    expect((await fetch(`${api.url}/docs/assets/swagger-ui.css`)).status).toBe(200);
  });
});

describe('skeleton routes → valid input → bodies match their schemas', () => {
  // validateResponses is on: a body that does not match its declared schema answers 500.
  it('subscribers, incidents, campaigns, trigger, audit, ops', async () => {
    const s = await http(api.url, 'POST', '/v1/subscribers', person);
    expect(s.status).toBe(201);
    const again = await http(api.url, 'POST', '/v1/subscribers', { ...person, displayName: 'Pat Q. Doe' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(s.body.id);
    expect((await http(api.url, 'GET', `/v1/subscribers/${s.body.id}`)).status).toBe(200);
    expect((await http(api.url, 'GET', '/v1/subscribers?limit=5')).status).toBe(200);

    const inc = await http(api.url, 'POST', '/v1/incidents', incidentBody);
    expect(inc.status).toBe(201);
    expect(inc.body.advisoryId).toMatch(/^SIM-AA24-\d{3}A$/);
    expect((await http(api.url, 'GET', `/v1/incidents/${inc.body.id}`)).status).toBe(200);

    const c = await http(api.url, 'POST', '/v1/campaigns', {
      incidentId: inc.body.id,
      kind: 'carrier-notice',
      channels: ['email', 'sms'],
    });
    expect(c.status).toBe(201);
    expect(c.body.state).toBe('draft');
    // Lifecycle (issue 6): a second operator approves; customer notices wait for the law-enforcement
    // report, recorded here straight in the store (sending it needs the SMTP sink: see incident tests).
    expectError(await http(api.url, 'POST', `/v1/campaigns/${c.body.id}/trigger`), 409, 'CONFLICT');
    expect(
      (await http(api.url, 'POST', `/v1/campaigns/${c.body.id}/approve`, undefined, authHeaders('operator2')))
        .status,
    ).toBe(200);
    await api.deps.db.query('UPDATE incidents SET le_report_sent_at = now() WHERE id = $1', [inc.body.id]);
    const t = await http(api.url, 'POST', `/v1/campaigns/${c.body.id}/trigger`);
    expect(t.status).toBe(202);
    expect(t.body.state).toBe('triggered');
    expectError(await http(api.url, 'POST', `/v1/campaigns/${c.body.id}/trigger`), 409, 'CONFLICT');
    expect((await http(api.url, 'GET', `/v1/campaigns/${c.body.id}`)).status).toBe(200);
    expectError(
      await http(api.url, 'POST', `/v1/campaigns/${c.body.id}/reconcile`),
      503,
      'DEPENDENCY_UNAVAILABLE',
    );

    const audit = await http(api.url, 'GET', `/v1/audit?campaign=${c.body.id}`);
    expect(audit.status).toBe(200);
    expect((audit.body.items as { type: string }[]).map((e) => e.type)).toEqual([
      'campaign.created',
      'campaign.approved',
      'campaign.triggered',
    ]);

    expect((await http(api.url, 'GET', '/healthz')).status).toBe(200);
    expect((await http(api.url, 'GET', '/readyz')).body).toMatchObject({ status: 'ready' });
    const metrics = await fetch(`${api.url}/metrics`);
    const text = await metrics.text();
    expect(text).toContain('http_request_duration_seconds');
    expect(text).toContain('queue_jobs');
    expect(text).toContain('notifications');
    // The audit head and the unsigned tail, read from the store.
    const head = await api.deps.db.query<{ seq: number }>('SELECT seq FROM audit_head WHERE id = 1');
    expect(text).toMatch(new RegExp(`^audit_head_seq ${Number(head.rows[0]!.seq)}$`, 'm'));
    expect(text).toMatch(/^audit_unsigned_events \d+$/m);
  });

  it('signed webhooks → accepted; unsigned or stale → 401', async () => {
    const secret = api.deps.config.WEBHOOK_SECRET;
    const raw = JSON.stringify({
      receipts: [
        {
          idempotencyKey: 'bd-1-1',
          messageId: 'm1',
          carrier: 'northwind-mobile',
          status: 'delivered',
          errorCode: null,
          at: new Date().toISOString(),
        },
      ],
    });
    const ok = await http(api.url, 'POST', '/v1/webhooks/receipts', raw, {
      'x-signature': signBody(secret, raw),
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ accepted: 1 });
    expectError(await http(api.url, 'POST', '/v1/webhooks/receipts', raw), 401, 'BAD_SIGNATURE');
    const stale = signBody(secret, raw, Math.floor(Date.now() / 1000) - 3600);
    expectError(
      await http(api.url, 'POST', '/v1/webhooks/receipts', raw, { 'x-signature': stale }),
      401,
      'BAD_SIGNATURE',
    );
    const forged = signBody('another-secret-entirely', raw);
    expectError(
      await http(api.url, 'POST', '/v1/webhooks/receipts', raw, { 'x-signature': forged }),
      401,
      'BAD_SIGNATURE',
    );

    const inbound = JSON.stringify({
      carrier: 'northwind-mobile',
      from: '+12025550142',
      to: '+12025550190',
      text: ' stop ',
    });
    const r = await http(api.url, 'POST', '/v1/webhooks/inbound', inbound, {
      'x-signature': signBody(secret, inbound),
    });
    expect(r.body).toEqual({ keyword: 'stop', changed: true });
  });
});

describe('bad input → 4xx with a coded error, never a 500', () => {
  it('malformed JSON → 400 INVALID_JSON', async () => {
    expectError(await http(api.url, 'POST', '/v1/subscribers', '{"carrier": "x",'), 400, 'INVALID_JSON');
  });
  it('a real-looking phone number → 400 UNSAFE_RECIPIENT, and the rejection is audited', async () => {
    const r = await http(api.url, 'POST', '/v1/subscribers', { ...person, msisdn: '+12025551234' });
    expectError(r, 400, 'UNSAFE_RECIPIENT');
    const audit = await http(api.url, 'GET', '/v1/audit?type=subscriber.rejected');
    expect((audit.body.items as unknown[]).length).toBeGreaterThan(0);
    expect(JSON.stringify(audit.body)).not.toContain('+12025551234');
  });
  it('a non-E.164 number → refused, not fixed', async () => {
    const r = await http(api.url, 'POST', '/v1/subscribers', { ...person, msisdn: '(202) 555-0142' });
    expectError(r, 400, 'UNSAFE_RECIPIENT');
    expect(JSON.stringify(r.body.error!.details)).toContain('NOT_E164');
  });
  it('a real email domain → 400', async () => {
    expectError(
      await http(api.url, 'POST', '/v1/subscribers', { ...person, email: 'pat@gmail.com' }),
      400,
      'UNSAFE_RECIPIENT',
    );
  });
  it('an unknown carrier → 400 UNKNOWN_CARRIER', async () => {
    expectError(
      await http(api.url, 'POST', '/v1/subscribers', { ...person, carrier: 'acme-tel' }),
      400,
      'UNKNOWN_CARRIER',
    );
  });
  it('missing fields and wrong types → 400 VALIDATION_FAILED with paths', async () => {
    const r = await http(api.url, 'POST', '/v1/subscribers', { carrier: 5 });
    expectError(r, 400, 'VALIDATION_FAILED');
    expect(JSON.stringify(r.body.error!.details)).toContain('body.carrier');
  });
  it('an incident window that ends before it begins → 400', async () => {
    const r = await http(api.url, 'POST', '/v1/incidents', {
      ...incidentBody,
      window: { start: '2024-09-01T00:00:00Z', end: '2024-03-01T00:00:00Z' },
    });
    expectError(r, 400, 'VALIDATION_FAILED');
  });
  it('an invalid TLP label or advisory id → 400', async () => {
    expectError(
      await http(api.url, 'POST', '/v1/incidents', { ...incidentBody, tlp: 'TLP:WHITE' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await http(api.url, 'POST', '/v1/incidents', { ...incidentBody, advisoryId: 'SIM-AA23-366A' }),
      400,
      'VALIDATION_FAILED',
    );
  });
  it('a campaign for a missing incident → 400, nothing created', async () => {
    expectError(
      await http(api.url, 'POST', '/v1/campaigns', {
        incidentId: 999999,
        kind: 'carrier-notice',
        channels: ['sms'],
      }),
      400,
      'VALIDATION_FAILED',
    );
  });
  it('ids that are not numbers, unknown ids and unknown routes → 400/404', async () => {
    expectError(await http(api.url, 'GET', '/v1/campaigns/abc'), 400, 'VALIDATION_FAILED');
    expectError(await http(api.url, 'GET', '/v1/campaigns/424242'), 404, 'NOT_FOUND');
    expectError(await http(api.url, 'POST', '/v1/campaigns/424242/trigger'), 404, 'NOT_FOUND');
    expectError(await http(api.url, 'GET', '/v1/nope'), 404, 'NOT_FOUND');
  });
  it('a body over the limit → 413', async () => {
    const big = JSON.stringify({ ...person, displayName: 'x'.repeat(2_000_000) });
    expectError(await http(api.url, 'POST', '/v1/subscribers', big), 413, 'PAYLOAD_TOO_LARGE');
  });
  it('prototype pollution keys → ignored', async () => {
    const r = await http(
      api.url,
      'POST',
      '/v1/subscribers',
      `{"carrier":"northwind-mobile","msisdn":"+12025550143","__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}`,
    );
    expect(r.status).toBe(201);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
