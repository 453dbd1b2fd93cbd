import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCarrier } from '../../shared/carriers';
import { createLogger } from '../../shared/logger';
import { createCarrierSim, type CarrierSim } from '../../services/carrier-sim/create-carrier-sim';

// The oracle and the pages: arrivals, stats, inboxes, messages, handset and mailbox views.

const northwind = getCarrier('northwind-mobile');
const summitwave = getCarrier('summitwave');
let sim: CarrierSim;
let base: string;
let smtpPort: number;

beforeEach(async () => {
  sim = createCarrierSim({
    apiUrl: 'http://127.0.0.1:9',
    webhookSecret: 'test-webhook-secret-0123456789',
    logger: createLogger({ level: 'silent', name: 'carrier-sim-test' }),
    seed: 42,
    storage: { bodiesPerMailbox: 3 },
  });
  const ports = await sim.listen({ host: '127.0.0.1', httpPort: 0, smtpPort: 0 });
  base = `http://127.0.0.1:${ports.httpPort}`;
  smtpPort = ports.smtpPort;
  await fetch(`${base}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ all: { sms: { latencyMs: { p50: 0, p99: 0 } } } }),
  });
});

afterEach(async () => {
  await sim.close();
});

async function sendSms(
  carrier: typeof northwind,
  items: { key: string; to: string; text: string; campaignId?: number }[],
) {
  const res = await fetch(`${base}/carriers/${carrier.id}/messages/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${carrier.gatewayKey}` },
    body: JSON.stringify({
      messages: items.map((m) => ({
        to: m.to,
        from: carrier.smsSender,
        text: m.text,
        idempotencyKey: m.key,
        campaignId: m.campaignId,
      })),
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { results: { messageId: string }[] }).results;
}

async function sendEmail(mail: Record<string, unknown>) {
  const t = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
  try {
    return await t.sendMail(mail);
  } finally {
    t.close();
  }
}

describe('ground truth', () => {
  it('GET /arrivals → NDJSON of every arrival in order; ?campaign and ?channel filter it', async () => {
    await sendSms(northwind, [
      { key: 'bd-10-1', to: '+12025550101', text: 'EXERCISE a' },
      { key: 'bd-11-2', to: '+12025550102', text: 'EXERCISE b' },
    ]);
    await sendSms(summitwave, [
      { key: 'custom-key-3', to: '+12025550103', text: 'EXERCISE c', campaignId: 10 },
    ]);
    const all = (await (await fetch(`${base}/arrivals`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(all.map((a) => [a.key, a.carrier, a.campaignId])).toEqual([
      ['bd-10-1', northwind.id, 10],
      ['bd-11-2', northwind.id, 11],
      ['custom-key-3', summitwave.id, 10],
    ]);
    const res = await fetch(`${base}/arrivals?campaign=10`);
    expect(res.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    expect(
      (await res.text())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).key),
    ).toEqual(['bd-10-1', 'custom-key-3']);
    expect(await (await fetch(`${base}/arrivals?channel=email`)).text()).toBe('');
    expect((await fetch(`${base}/arrivals?campaign=abc`)).status).toBe(400);
  });

  it('GET /arrivals/:key for something that never arrived → 404 with an error body', async () => {
    const res = await fetch(`${base}/arrivals/bd-99-99`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('GET /arrivals/:key with the Message-ID in angle brackets → the same arrival', async () => {
    await sendEmail({
      from: 'n@northwind-mobile.test',
      to: 'a@northwind-mobile.test',
      subject: 'EXERCISE',
      text: 'x',
      messageId: '<bd-12-1@breach-drill.test>',
    });
    const res = await fetch(`${base}/arrivals/${encodeURIComponent('<bd-12-1@breach-drill.test>')}`);
    expect(res.status).toBe(200);
  });

  it('GET /stats → totals and per carrier and channel counters', async () => {
    await sendSms(northwind, [
      { key: 'bd-1-1', to: '+12025550101', text: 'EXERCISE a' },
      { key: 'bd-1-1', to: '+12025550101', text: 'EXERCISE a' },
      { key: 'bd-1-2', to: '+12025559999', text: 'EXERCISE b' },
    ]);
    await sendEmail({
      from: 'n@summitwave.test',
      to: 'a@summitwave.test',
      subject: 'EXERCISE',
      text: 'x',
      messageId: '<bd-1-3@breach-drill.test>',
    });
    const stats = await (await fetch(`${base}/stats`)).json();
    expect(stats).toMatchObject({
      received: 2,
      duplicates: 1,
      rejected: 1,
      byCarrier: {
        [northwind.id]: { sms: { received: 1, duplicates: 1, rejected: 1 } },
        [summitwave.id]: { email: { received: 1 } },
      },
    });
  });

  it('handset inbox → newest first; only the most recent N keep their text, all are counted', async () => {
    const to = '+14155550177';
    await sendSms(
      northwind,
      [1, 2, 3, 4, 5].map((n) => ({ key: `bd-6-${n}`, to, text: `EXERCISE message ${n}` })),
    );
    const inbox = (await (await fetch(`${base}/inbox/sms/${encodeURIComponent(to)}`)).json()) as {
      total: number;
      messages: { key: string; text: string | null; from: string | null }[];
    };
    expect(inbox.total).toBe(5);
    expect(inbox.messages.map((m) => [m.key, m.text])).toEqual([
      ['bd-6-5', 'EXERCISE message 5'],
      ['bd-6-4', 'EXERCISE message 4'],
      ['bd-6-3', 'EXERCISE message 3'],
      ['bd-6-2', null],
      ['bd-6-1', null],
    ]);
    expect(inbox.messages[0]?.from).toBe(northwind.smsSender);
  });

  it('GET /messages/:id → raw and rendered email; ?format=raw → the message as received', async () => {
    const info = await sendEmail({
      from: '"Northwind Mobile (exercise)" <notices@northwind-mobile.test>',
      to: 'reader@northwind-mobile.test',
      subject: 'EXERCISE EXERCISE EXERCISE Notice of Data Breach',
      text: 'EXERCISE plain',
      html: '<p>EXERCISE <b>html</b></p>',
      messageId: '<bd-13-1@breach-drill.test>',
      headers: { 'X-Campaign-Id': '13' },
    });
    const id = /queued as (\S+)/.exec(info.response)?.[1] as string;
    const view = (await (await fetch(`${base}/messages/${id}`)).json()) as { raw: string };
    expect(view).toMatchObject({
      messageId: id,
      channel: 'email',
      campaignId: 13,
      bodyAvailable: true,
      rendered: {
        subject: 'EXERCISE EXERCISE EXERCISE Notice of Data Breach',
        to: 'reader@northwind-mobile.test',
        messageId: '<bd-13-1@breach-drill.test>',
        html: '<p>EXERCISE <b>html</b></p>',
      },
    });
    expect(view.raw).toMatch(/^X-Campaign-Id: 13\r?$/im);
    const raw = await fetch(`${base}/messages/${id}?format=raw`);
    expect(raw.headers.get('content-type')).toMatch(/message\/rfc822/);
    expect(await raw.text()).toContain('Subject: EXERCISE EXERCISE EXERCISE Notice of Data Breach');
    expect((await fetch(`${base}/messages/eml-nope-0-0`)).status).toBe(404);
  });

  it('message id from before a reset → 404', async () => {
    const [r] = await sendSms(northwind, [{ key: 'bd-1-1', to: '+12025550101', text: 'EXERCISE a' }]);
    expect((await fetch(`${base}/messages/${r?.messageId}`)).status).toBe(200);
    await fetch(`${base}/state`, { method: 'DELETE' });
    expect((await fetch(`${base}/messages/${r?.messageId}`)).status).toBe(404);
  });
});

describe('pages', () => {
  it('index → links to recent handsets and mailboxes, no external assets', async () => {
    await sendSms(northwind, [{ key: 'bd-1-1', to: '+12025550101', text: 'EXERCISE a' }]);
    const res = await fetch(`${base}/`);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('/handset/%2B12025550101');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('handset page with markup in the SMS → shown as text, not markup', async () => {
    const to = '+12025550111';
    await sendSms(northwind, [{ key: 'bd-1-1', to, text: 'EXERCISE <img src=x onerror=alert(1)> & more' }]);
    const res = await fetch(`${base}/handset/${encodeURIComponent(to)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('EXERCISE &lt;img src=x onerror=alert(1)&gt; &amp; more');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(northwind.name);
  });

  it('mailbox page with scripts in subject and body → subject escaped, body only inside a sandboxed srcdoc iframe', async () => {
    await sendEmail({
      from: 'notices@northwind-mobile.test',
      to: 'victim@northwind-mobile.test',
      subject: 'EXERCISE <script>alert(1)</script>',
      html: '<p>EXERCISE</p><script>alert(2)</script>',
      messageId: '<bd-14-1@breach-drill.test>',
    });
    const res = await fetch(`${base}/mailbox/victim@northwind-mobile.test`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('EXERCISE &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toMatch(
      /<iframe sandbox="" [^>]*srcdoc="[^"]*&lt;script&gt;alert\(2\)&lt;\/script&gt;[^"]*"/,
    );
    expect(html).toContain('bd-14-1@breach-drill.test');
  });

  it('mailbox nobody wrote to → 200 page saying so', async () => {
    const res = await fetch(`${base}/mailbox/nobody@example.com`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('No messages yet.');
  });
});
