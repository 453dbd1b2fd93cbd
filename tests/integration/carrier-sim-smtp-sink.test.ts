import nodemailer, { type Transporter } from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/logger';
import { createCarrierSim, type CarrierSim } from '../../services/carrier-sim/create-carrier-sim';

// The SMTP sink over real SMTP, with nodemailer as the client: a sim on port 0 per test.

let sim: CarrierSim;
let base: string;
let smtpPort: number;
let transport: Transporter;

beforeEach(async () => {
  sim = createCarrierSim({
    apiUrl: 'http://127.0.0.1:9',
    webhookSecret: 'test-webhook-secret-0123456789',
    logger: createLogger({ level: 'silent', name: 'carrier-sim-test' }),
    seed: 42,
  });
  const ports = await sim.listen({ host: '127.0.0.1', httpPort: 0, smtpPort: 0 });
  base = `http://127.0.0.1:${ports.httpPort}`;
  smtpPort = ports.smtpPort;
  transport = nodemailer.createTransport({
    host: '127.0.0.1',
    port: smtpPort,
    secure: false,
    ignoreTLS: true,
  });
});

afterEach(async () => {
  transport.close();
  await sim.close();
});

function notice(n: number, over: Record<string, unknown> = {}) {
  return {
    from: '"Northwind Mobile (exercise)" <notices@northwind-mobile.test>',
    to: `subscriber${n}@northwind-mobile.test`,
    subject: 'EXERCISE EXERCISE EXERCISE Notice of Data Breach',
    messageId: `<bd-5-${n}@breach-drill.test>`,
    headers: { 'X-Campaign-Id': '5' },
    text: 'EXERCISE EXERCISE EXERCISE\nThis is a simulated training message.\nEXERCISE EXERCISE EXERCISE',
    html: '<p>EXERCISE EXERCISE EXERCISE</p><p>This is a simulated training message.</p>',
    ...over,
  };
}

async function putFaults(faults: unknown): Promise<void> {
  const res = await fetch(`${base}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status).toBe(200);
}

async function stats(): Promise<{
  received: number;
  duplicates: number;
  rejected: number;
  byCarrier: Record<string, { email: { faults: Record<string, number>; throttled: number } }>;
}> {
  return (await (await fetch(`${base}/stats`)).json()) as never;
}

/** nodemailer's error, for its SMTP reply code. */
async function sendError(
  t: Transporter,
  mail: Record<string, unknown>,
): Promise<{ responseCode?: number; code?: string }> {
  try {
    await t.sendMail(mail);
  } catch (err) {
    return err as { responseCode?: number; code?: string };
  }
  throw new Error('expected the send to fail');
}

describe('SMTP sink', () => {
  it('mail to a carrier domain → 250, one arrival keyed by the Message-ID with the X-Campaign-Id', async () => {
    const info = await transport.sendMail(notice(1));
    expect(info.response).toMatch(/^250 OK: queued as eml-/);
    const arrival = (await (await fetch(`${base}/arrivals/bd-5-1@breach-drill.test`)).json()) as Record<
      string,
      unknown
    >;
    expect(arrival).toMatchObject({
      channel: 'email',
      carrier: 'northwind-mobile',
      recipient: 'subscriber1@northwind-mobile.test',
      key: 'bd-5-1@breach-drill.test',
      campaignId: 5,
    });
    const inbox = (await (await fetch(`${base}/inbox/email/subscriber1@northwind-mobile.test`)).json()) as {
      total: number;
      messages: { subject: string; from: string }[];
    };
    expect(inbox.total).toBe(1);
    expect(inbox.messages[0]?.subject).toBe('EXERCISE EXERCISE EXERCISE Notice of Data Breach');
  });

  it('mail to a reserved non-carrier domain → accepted with carrier null', async () => {
    await transport.sendMail(notice(2, { to: 'drill-lead@example.com' }));
    const arrival = (await (await fetch(`${base}/arrivals/bd-5-2@breach-drill.test`)).json()) as Record<
      string,
      unknown
    >;
    expect(arrival).toMatchObject({ carrier: null, recipient: 'drill-lead@example.com' });
  });

  it('recipient outside the reserved domains → 550 at RCPT, nothing stored', async () => {
    const err = await sendError(transport, notice(3, { to: 'someone@northwind-mobile.com' }));
    expect(err.responseCode).toBe(550);
    expect((await fetch(`${base}/arrivals/bd-5-3@breach-drill.test`)).status).toBe(404);
    expect((await stats()).rejected).toBe(1);
  });

  it('second copy with the same Message-ID → 250, counted as duplicate, stored once', async () => {
    await transport.sendMail(notice(4));
    const again = await transport.sendMail(notice(4));
    expect(again.response).toMatch(/duplicate of eml-.+, not stored/);
    const s = await stats();
    expect(s).toMatchObject({ received: 1, duplicates: 1 });
    const inbox = (await (await fetch(`${base}/inbox/email/subscriber4@northwind-mobile.test`)).json()) as {
      total: number;
    };
    expect(inbox.total).toBe(1);
  });

  it.each([421, 451, 550] as const)(
    'profile with %i at rate 1 → that reply code at RCPT, nothing stored',
    async (code) => {
      await putFaults({ carriers: { 'northwind-mobile': { email: { errorRates: { [code]: 1 } } } } });
      const err = await sendError(transport, notice(10 + code));
      expect(err.responseCode).toBe(code);
      expect((await fetch(`${base}/arrivals/bd-5-${10 + code}@breach-drill.test`)).status).toBe(404);
      expect((await stats()).byCarrier['northwind-mobile']?.email.faults[code]).toBe(1);
    },
  );

  it.each([421, 451, 550] as const)(
    'profile with %i after DATA → that reply code to the message, nothing stored',
    async (code) => {
      await putFaults({
        carriers: { 'northwind-mobile': { email: { errorRates: { [code]: 1 }, errorStage: 'data' } } },
      });
      const err = await sendError(transport, notice(20 + code));
      expect(err.responseCode).toBe(code);
      expect((await fetch(`${base}/arrivals/bd-5-${20 + code}@breach-drill.test`)).status).toBe(404);
    },
  );

  it('faults on one carrier → other carriers unaffected', async () => {
    await putFaults({ carriers: { 'northwind-mobile': { email: { errorRates: { '451': 1 } } } } });
    await expect(transport.sendMail(notice(30, { to: 'a@summitwave.test' }))).resolves.toBeDefined();
  });

  it('above maxPerSec → 421 (load-aware) for the message over the limit', async () => {
    await putFaults({ carriers: { 'northwind-mobile': { email: { maxPerSec: 0.01 } } } }); // burst of 1
    await transport.sendMail(notice(40));
    const err = await sendError(transport, notice(41));
    expect(err.responseCode).toBe(421);
    expect((await stats()).byCarrier['northwind-mobile']?.email.throttled).toBe(1);
  });

  it('outage window → 421 at RCPT', async () => {
    await putFaults({ carriers: { 'northwind-mobile': { email: { outage: { forMs: 60_000 } } } } });
    expect((await sendError(transport, notice(50))).responseCode).toBe(421);
  });

  it('dropped connection after DATA → client error without a reply, but the message was stored', async () => {
    await putFaults({ carriers: { 'northwind-mobile': { email: { dropRate: 1 } } } });
    const err = await sendError(transport, notice(60));
    expect(err.responseCode).toBeUndefined();
    expect((await fetch(`${base}/arrivals/bd-5-60@breach-drill.test`)).status).toBe(200);
  });

  it('dropped connection at RCPT → client error, nothing stored', async () => {
    await putFaults({ carriers: { 'northwind-mobile': { email: { dropRate: 1, dropStage: 'rcpt' } } } });
    await sendError(transport, notice(61));
    expect((await fetch(`${base}/arrivals/bd-5-61@breach-drill.test`)).status).toBe(404);
  });

  it('per-verb delay → the message still arrives (delays do not fail a send)', async () => {
    await putFaults({ all: { email: { verbDelayMs: { connect: 5, mail: 5, rcpt: 5, data: 5 } } } });
    await transport.sendMail(notice(70));
    expect((await fetch(`${base}/arrivals/bd-5-70@breach-drill.test`)).status).toBe(200);
  });

  it('pooled transport, many messages → all arrive once', async () => {
    const pool = nodemailer.createTransport({
      pool: true,
      maxConnections: 4,
      host: '127.0.0.1',
      port: smtpPort,
      secure: false,
      ignoreTLS: true,
    });
    await Promise.all(Array.from({ length: 40 }, (_, i) => pool.sendMail(notice(100 + i))));
    pool.close();
    expect((await stats()).received).toBe(40);
  });

  it('client offering STARTTLS or AUTH → not advertised, plain session works', async () => {
    const t = nodemailer.createTransport({
      host: '127.0.0.1',
      port: smtpPort,
      secure: false,
      requireTLS: true,
    });
    await expect(t.sendMail(notice(80))).rejects.toThrow();
    t.close();
  });
});
