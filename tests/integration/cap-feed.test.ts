import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders } from '../helpers/api-harness';
import {
  as,
  draftCampaign,
  isWellFormedXml,
  startApiWithSink,
  validateCap,
  type ApiWithSink,
} from '../helpers/lifecycle-kit';

// GET /v1/campaigns/:id/cap.xml and GET /v1/incidents/:id/alerts.atom, checked against the official
// CAP 1.2 schema (tests/data/CAP-v1.2.xsd) with xmllint, and for Atom well-formedness.
let w: ApiWithSink;
let kolkata: ApiWithSink;

beforeAll(async () => {
  w = await startApiWithSink('capfeed');
  kolkata = await startApiWithSink('capfeedist', { REGULATORY_TIME_ZONE: 'Asia/Kolkata' });
}, 120_000); // PGlite start and migrations are slow on a loaded machine
afterAll(async () => {
  await w?.close();
  await kolkata?.close();
});

async function get(url: string, path: string, who: 'operator' | 'auditor' = 'auditor') {
  const res = await fetch(`${url}${path}`, { headers: authHeaders(who) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

describe('GET /v1/campaigns/:id/cap.xml', () => {
  it.each(['agency-advisory', 'carrier-notice'] as const)(
    '%s, draft and triggered → valid CAP 1.2, status Exercise, marker first, numeric offset',
    async (kind) => {
      const { campaignId } = await draftCampaign(w.url, { kind, sendReport: true });
      const draft = await get(w.url, `/v1/campaigns/${campaignId}/cap.xml`);
      expect(draft.status).toBe(200);
      expect(draft.type).toMatch(/application\/cap\+xml/);
      expect((await validateCap(draft.text)).errors).toEqual([]);

      expect((await as('operator2', w.url)('POST', `/v1/campaigns/${campaignId}/approve`)).status).toBe(200);
      expect((await as('operator', w.url)('POST', `/v1/campaigns/${campaignId}/trigger`)).status).toBe(202);
      const cap = await get(w.url, `/v1/campaigns/${campaignId}/cap.xml`);
      const result = await validateCap(cap.text);
      expect(result.errors).toEqual([]);
      expect(result.valid).toBe(true);
      expect(cap.text).toContain('<status>Exercise</status>');
      expect(cap.text).toContain('<msgType>Alert</msgType>');
      expect(cap.text).toContain('<category>Security</category>');
      expect(cap.text).toMatch(/<sent>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00<\/sent>/);
      expect(cap.text).toMatch(/<headline>EXERCISE EXERCISE EXERCISE /);
      expect(cap.text).toMatch(/<note>EXERCISE EXERCISE EXERCISE Exercise EX-LIFE-/);
    },
  );

  it('REGULATORY_TIME_ZONE decides the offset: Asia/Kolkata → +05:30', async () => {
    const { campaignId } = await draftCampaign(kolkata.url);
    const cap = await get(kolkata.url, `/v1/campaigns/${campaignId}/cap.xml`);
    expect(cap.text).toMatch(/<sent>[^<]+\+05:30<\/sent>/);
    expect((await validateCap(cap.text)).valid).toBe(true);
  });

  it('unknown campaign → 404; no key → 401', async () => {
    expect((await get(w.url, '/v1/campaigns/987654/cap.xml')).status).toBe(404);
    expect((await fetch(`${w.url}/v1/campaigns/1/cap.xml`)).status).toBe(401);
  });
});

describe('GET /v1/incidents/:id/alerts.atom', () => {
  it('lists triggered campaigns only, newest first; well formed; every embedded CAP alert is schema-valid', async () => {
    const op = as('operator', w.url);
    const first = await draftCampaign(w.url, { sendReport: true });
    const empty = await get(w.url, `/v1/incidents/${first.incidentId}/alerts.atom`);
    expect(empty.status).toBe(200);
    expect(empty.type).toMatch(/application\/atom\+xml/);
    expect(await isWellFormedXml(empty.text)).toBe(true);
    expect(empty.text).not.toContain('<entry>');

    const second = await op('POST', '/v1/campaigns', {
      incidentId: first.incidentId,
      kind: 'agency-advisory',
      channels: ['sms'],
      locale: 'es',
    });
    for (const id of [first.campaignId, second.body.id as number]) {
      expect((await as('operator2', w.url)('POST', `/v1/campaigns/${id}/approve`)).status).toBe(200);
      expect((await op('POST', `/v1/campaigns/${id}/trigger`)).status).toBe(202);
      await new Promise((r) => setTimeout(r, 1100)); // distinct `sent` seconds
    }
    const feed = await get(w.url, `/v1/incidents/${first.incidentId}/alerts.atom`);
    expect(await isWellFormedXml(feed.text)).toBe(true);
    expect(feed.text).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect(feed.text).toMatch(/<title>EXERCISE EXERCISE EXERCISE /);
    const entries = [...feed.text.matchAll(/<entry>[\s\S]*?<\/entry>/g)].map((m) => m[0]);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toContain(`/v1/campaigns/${second.body.id}/cap.xml`); // newest first
    for (const e of entries) {
      expect(e).toMatch(/<title>EXERCISE EXERCISE EXERCISE /);
      expect(e).toMatch(/<id>urn:breach-drill:alert:breach-drill\.EX-LIFE-/);
      const alert = /<alert xmlns="urn:oasis:names:tc:emergency:cap:1\.2">[\s\S]*?<\/alert>/.exec(e)![0];
      const result = await validateCap(`<?xml version="1.0" encoding="UTF-8"?>\n${alert}`);
      expect(result.errors).toEqual([]);
    }
    expect(entries[0]).toContain('<language>es-US</language>');
    // The feed is the same document for an auditor and an operator, and carries no Host header.
    expect((await get(w.url, `/v1/incidents/${first.incidentId}/alerts.atom`, 'operator')).text).toBe(
      feed.text,
    );
    expect(feed.text).not.toContain('127.0.0.1');
  });

  it('unknown incident → 404', async () => {
    expect((await get(w.url, '/v1/incidents/987654/alerts.atom')).status).toBe(404);
  });
});
