import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import { arrivalsOf, launchCampaign, seedSubscribers, waitForState } from '../helpers/campaign-kit';
import { authHeaders, http, TEST_KEYS } from '../helpers/api-harness';

// Everything every component logs during a campaign with faults and hostile requests, at debug level.
const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, cb) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    cb();
  },
});
const logger = pino({ level: 'debug' }, sink);

let stack: InProcessStack;
const carriers = ['northwind-mobile', 'summitwave'];
beforeAll(async () => {
  stack = await startInProcessStack('logscan', {}, 1, { logger });
  await seedSubscribers(stack.testDb.db, { count: 30, seed: 5, carriers });
});
afterAll(async () => {
  await stack?.close();
});

describe('logs', () => {
  it('a campaign with faults and hostile requests → no contact, key or body in any log line', async () => {
    await fetch(`${stack.simUrl}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        seed: 2,
        all: { sms: { errorRates: { '500': 0.3 } }, email: { errorRates: { '451': 0.3 } } },
      }),
    });
    const hostile = {
      carrier: 'northwind-mobile',
      msisdn: '+12025550177',
      email: 'leak.me@northwind-mobile.test',
      displayName: 'Secret\u0007Name\nINJECTED',
    };
    await http(stack.apiUrl, 'POST', '/v1/subscribers', hostile, authHeaders('operator'));
    await http(
      stack.apiUrl,
      'POST',
      '/v1/subscribers',
      { ...hostile, msisdn: '+12025559999' },
      authHeaders('operator'),
    );
    await http(stack.apiUrl, 'POST', '/v1/subscribers', '{"broken":', authHeaders('operator'));
    await http(stack.apiUrl, 'GET', '/v1/audit', undefined, {
      authorization: 'Bearer bd_wrong_key_that_must_not_be_logged',
    });
    const id = await launchCampaign(stack.apiUrl, { channels: ['email', 'sms'], carriers });
    expect((await waitForState(stack.apiUrl, id, ['completed'], 60_000)).state).toBe('completed');
    const arrivals = await arrivalsOf(stack.simUrl, id);
    expect(arrivals.length).toBeGreaterThan(0);

    expect(lines.length).toBeGreaterThan(10);
    const text = lines.join('\n');
    const contacts = [...arrivals.map((a) => a.recipient), hostile.msisdn, hostile.email, '+12025559999'];
    for (const c of contacts) expect(text, `contact ${c} logged`).not.toContain(c);
    expect(text).not.toMatch(/\+1\d{3}55501\d{2}/);
    for (const k of [...Object.values(TEST_KEYS), 'bd_wrong_key_that_must_not_be_logged'])
      expect(text).not.toContain(k);
    expect(text).not.toContain('Secret');
    expect(text).not.toContain('INJECTED');
    // Every line is one JSON object: control characters cannot forge a second line.
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });
});
