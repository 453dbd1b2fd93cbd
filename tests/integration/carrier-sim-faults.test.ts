import nodemailer from 'nodemailer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCarrier } from '../../shared/carriers';
import { createLogger } from '../../shared/logger';
import { createCarrierSim, type CarrierSim } from '../../services/carrier-sim/create-carrier-sim';

// Fault profiles at runtime: validation, and seeded replay giving the same outcomes twice.

const northwind = getCarrier('northwind-mobile');
let sim: CarrierSim;
let base: string;
let smtpPort: number;

beforeEach(async () => {
  sim = createCarrierSim({
    apiUrl: 'http://127.0.0.1:9',
    webhookSecret: 'test-webhook-secret-0123456789',
    logger: createLogger({ level: 'silent', name: 'carrier-sim-test' }),
    seed: 1,
  });
  const ports = await sim.listen({ host: '127.0.0.1', httpPort: 0, smtpPort: 0 });
  base = `http://127.0.0.1:${ports.httpPort}`;
  smtpPort = ports.smtpPort;
});

afterEach(async () => {
  await sim.close();
});

async function putFaults(faults: unknown): Promise<Response> {
  return fetch(`${base}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
}

/** Sends 40 two-message batches one after another; returns each request's outcome. */
async function smsRun(): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await fetch(`${base}/carriers/${northwind.id}/messages/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${northwind.gatewayKey}` },
      body: JSON.stringify({
        messages: [0, 1].map((k) => ({
          to: `+1${200 + i}55501${k}${i % 10}`,
          from: northwind.smsSender,
          text: 'EXERCISE EXERCISE EXERCISE replay',
          idempotencyKey: `bd-3-${i * 2 + k}`,
        })),
      }),
    });
    const body = (await res.json()) as { results?: { status: string }[] };
    outcomes.push(`${res.status}:${body.results?.map((r) => r.status).join(',') ?? ''}`);
  }
  return outcomes;
}

async function emailRun(): Promise<string[]> {
  // One pooled connection: sends stay strictly sequential, without a new session (and greeting delay) each.
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: 1,
    host: '127.0.0.1',
    port: smtpPort,
    secure: false,
    ignoreTLS: true,
  });
  const outcomes: string[] = [];
  for (let i = 0; i < 30; i++) {
    try {
      await transport.sendMail({
        from: 'notices@northwind-mobile.test',
        to: `s${i}@northwind-mobile.test`,
        subject: 'EXERCISE EXERCISE EXERCISE replay',
        text: 'EXERCISE EXERCISE EXERCISE',
        messageId: `<bd-4-${i}@breach-drill.test>`,
      });
      outcomes.push('250');
    } catch (err) {
      outcomes.push(String((err as { responseCode?: number }).responseCode));
    }
  }
  transport.close();
  return outcomes;
}

const smsProfile = {
  seed: 7,
  carriers: {
    'northwind-mobile': {
      sms: {
        latencyMs: { p50: 0, p99: 0 },
        submitLimit: 'off',
        errorRates: { '500': 0.25, '503': 0.15 },
        rejectRate: 0.2,
      },
      email: { errorRates: { '451': 0.3, '550': 0.1 } },
    },
  },
};

describe('fault profiles', () => {
  it('GET /faults → the seed and the profiles as stored, outage forMs turned into until', async () => {
    expect(await (await fetch(`${base}/faults`)).json()).toEqual({ seed: 1 });
    const res = await putFaults({
      carriers: { 'prairie-link': { sms: { outage: { forMs: 1000, status: 502 } } } },
    });
    expect(res.status).toBe(200);
    const shown = (await (await fetch(`${base}/faults`)).json()) as {
      carriers: { 'prairie-link': { sms: { outage: { until: string; status: number } } } };
    };
    expect(shown.carriers['prairie-link'].sms.outage).toEqual({ until: expect.any(String), status: 502 });
  });

  it.each([
    ['an unknown carrier', { carriers: { 'acme-mobile': { sms: {} } } }],
    ['a rate above 1', { all: { sms: { errorRates: { '500': 1.5 } } } }],
    ['rates adding up past 1', { all: { email: { errorRates: { '451': 0.6, '550': 0.6 } } } }],
    ['an unsupported status', { all: { sms: { errorRates: { '418': 0.1 } } } }],
    ['p99 below p50', { all: { sms: { latencyMs: { p50: 10, p99: 5 } } } }],
    ['both until and forMs', { all: { sms: { outage: { until: '2030-01-01T00:00:00Z', forMs: 5 } } } }],
    ['an unknown field', { all: { sms: { explode: true } } }],
  ])('PUT with %s → 400 VALIDATION_FAILED with details, profile unchanged', async (_what, body) => {
    const res = await putFaults(body);
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; details: unknown[] } };
    expect(err.error.code).toBe('VALIDATION_FAILED');
    expect(err.error.details.length).toBeGreaterThan(0);
    expect(await (await fetch(`${base}/faults`)).json()).toEqual({ seed: 1 });
  });

  it('PUT with a body that is not JSON → 400 INVALID_JSON', async () => {
    const res = await fetch(`${base}/faults`, { method: 'PUT', body: 'seed=1' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
  });

  it('seeded SMS profile, same request sequence twice → the same outcomes, with a real mix of them', async () => {
    expect((await putFaults(smsProfile)).status).toBe(200);
    const first = await smsRun();
    await fetch(`${base}/state`, { method: 'DELETE' });
    expect((await putFaults(smsProfile)).status).toBe(200);
    const second = await smsRun();
    expect(second).toEqual(first);
    const joined = first.join(' ');
    expect(joined).toMatch(/500:/);
    expect(joined).toMatch(/503:/);
    expect(joined).toMatch(/200:[^ ]*accepted/);
    expect(joined).toMatch(/200:[^ ]*rejected/);
  });

  it('seeded SMTP profile, same sends twice → the same reply codes', async () => {
    expect((await putFaults(smsProfile)).status).toBe(200);
    const first = await emailRun();
    await fetch(`${base}/state`, { method: 'DELETE' });
    expect((await putFaults(smsProfile)).status).toBe(200);
    expect(await emailRun()).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['250', '451', '550']));
  });

  it('another seed, same sequence → different outcomes', async () => {
    await putFaults(smsProfile);
    const first = await smsRun();
    await fetch(`${base}/state`, { method: 'DELETE' });
    await putFaults({ ...smsProfile, seed: 8 });
    expect(await smsRun()).not.toEqual(first);
  });

  it('DELETE /state → arrivals, counters and faults back to empty', async () => {
    await putFaults(smsProfile);
    await smsRun();
    const res = await fetch(`${base}/state`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const stats = (await (await fetch(`${base}/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ received: 0, duplicates: 0, rejected: 0, arrivals: 0 });
    expect(await (await fetch(`${base}/faults`)).json()).toEqual({ seed: 1 });
    expect(await (await fetch(`${base}/arrivals`)).text()).toBe('');
  });
});
