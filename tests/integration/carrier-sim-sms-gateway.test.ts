import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getCarrier } from '../../shared/carriers';
import { createLogger } from '../../shared/logger';
import { createCarrierSim, type CarrierSim } from '../../services/carrier-sim/create-carrier-sim';

// The SMS gateways over real HTTP: a sim on port 0 per test, closed after it.

const northwind = getCarrier('northwind-mobile');
let sim: CarrierSim;
let base: string;

beforeEach(async () => {
  sim = createCarrierSim({
    apiUrl: 'http://127.0.0.1:9', // receipts go nowhere here; they are tested in carrier-sim-receipts
    webhookSecret: 'test-webhook-secret-0123456789',
    logger: createLogger({ level: 'silent', name: 'carrier-sim-test' }),
    seed: 42,
  });
  const ports = await sim.listen({ host: '127.0.0.1', httpPort: 0, smtpPort: 0 });
  base = `http://127.0.0.1:${ports.httpPort}`;
  await putFaults({ all: { sms: { latencyMs: { p50: 0, p99: 0 } } } });
});

afterEach(async () => {
  await sim.close();
});

function sms(n: number, over: Record<string, unknown> = {}) {
  return {
    to: `+1202555${String(100 + (n % 100)).padStart(4, '0')}`,
    from: northwind.smsSender,
    text: `EXERCISE EXERCISE EXERCISE notice ${n}`,
    idempotencyKey: `bd-1-${n}`,
    ...over,
  };
}

async function post(path: string, body: unknown, key = northwind.gatewayKey): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function putFaults(faults: unknown): Promise<void> {
  const res = await fetch(`${base}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status).toBe(200);
}

const batchPath = `/carriers/${northwind.id}/messages/batch`;

describe('SMS gateway batch endpoint', () => {
  it('new messages → 200 with one accepted result per message, in order, and an arrival each', async () => {
    const res = await post(batchPath, { messages: [sms(1), sms(2), sms(3)] });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as {
      results: { idempotencyKey: string; status: string; messageId: string }[];
    };
    expect(results.map((r) => [r.idempotencyKey, r.status])).toEqual([
      ['bd-1-1', 'accepted'],
      ['bd-1-2', 'accepted'],
      ['bd-1-3', 'accepted'],
    ]);
    const arrival = (await (await fetch(`${base}/arrivals/bd-1-2`)).json()) as Record<string, unknown>;
    expect(arrival).toMatchObject({
      channel: 'sms',
      carrier: northwind.id,
      recipient: sms(2).to,
      key: 'bd-1-2',
      campaignId: 1,
      messageId: results[1]?.messageId,
    });
  });

  it('resend with a known idempotency key → "duplicate" with the original message id, stored once', async () => {
    const first = (await (await post(batchPath, { messages: [sms(7)] })).json()) as {
      results: { messageId: string }[];
    };
    const again = (await (await post(batchPath, { messages: [sms(7), sms(7)] })).json()) as {
      results: { status: string; messageId: string }[];
    };
    expect(again.results).toEqual([
      { idempotencyKey: 'bd-1-7', status: 'duplicate', messageId: first.results[0]?.messageId },
      { idempotencyKey: 'bd-1-7', status: 'duplicate', messageId: first.results[0]?.messageId },
    ]);
    const stats = (await (await fetch(`${base}/stats`)).json()) as { received: number; duplicates: number };
    expect(stats).toMatchObject({ received: 1, duplicates: 2 });
    const inbox = (await (await fetch(`${base}/inbox/sms/${encodeURIComponent(sms(7).to)}`)).json()) as {
      total: number;
    };
    expect(inbox.total).toBe(1);
  });

  it('batch with valid, invalid, blocked and repeated numbers → mixed per-message results', async () => {
    await putFaults({
      carriers: { [northwind.id]: { sms: { latencyMs: { p50: 0, p99: 0 }, blocked: ['+12025550150'] } } },
    });
    const res = await post(batchPath, {
      messages: [
        sms(1),
        sms(2, { to: '+12025551234' }), // outside 555-0100..0199
        sms(3, { to: '2025550123' }), // not E.164
        sms(4, { to: '+12025550150' }), // blocked by the profile
        sms(1),
      ],
    });
    expect(res.status).toBe(200);
    const { results } = (await res.json()) as { results: { status: string; errorCode?: string }[] };
    expect(results.map((r) => [r.status, r.errorCode])).toEqual([
      ['accepted', undefined],
      ['rejected', 'INVALID_NUMBER'],
      ['rejected', 'INVALID_NUMBER'],
      ['rejected', 'BLOCKED'],
      ['duplicate', undefined],
    ]);
  });

  it('burst beyond the token bucket → some 429 with Retry-After in whole seconds, the rest accepted', async () => {
    await putFaults({
      carriers: {
        [northwind.id]: { sms: { latencyMs: { p50: 0, p99: 0 }, submitLimit: { ratePerSec: 1, burst: 5 } } },
      },
    });
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(batchPath, { messages: [sms(100 + i)] })),
    );
    const limited = responses.filter((r) => r.status === 429);
    const accepted = responses.filter((r) => r.status === 200);
    // 5 tokens of burst, refilled at 1/s: a 20-request burst cannot all pass, whatever the machine speed.
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThanOrEqual(5);
    for (const r of limited) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    }
  });

  it('batch larger than the remaining bucket → 429 and nothing of it stored', async () => {
    await putFaults({
      carriers: {
        [northwind.id]: { sms: { latencyMs: { p50: 0, p99: 0 }, submitLimit: { ratePerSec: 1, burst: 10 } } },
      },
    });
    expect(
      (await post(batchPath, { messages: [sms(1), sms(2), sms(3), sms(4), sms(5), sms(6)] })).status,
    ).toBe(200);
    const res = await post(batchPath, { messages: [sms(11), sms(12), sms(13), sms(14), sms(15), sms(16)] });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${base}/arrivals/bd-1-11`)).status).toBe(404);
  });

  it('wrong gateway key → 401 with an error body, nothing stored', async () => {
    const res = await post(batchPath, { messages: [sms(1)] }, 'sim-bluecrest-wireless-gateway-key');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: expect.any(String), details: [] },
    });
    expect((await fetch(`${base}/arrivals/bd-1-1`)).status).toBe(404);
  });

  it('unknown carrier → 404 UNKNOWN_CARRIER', async () => {
    const res = await post('/carriers/acme-mobile/messages/batch', { messages: [sms(1)] });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_CARRIER');
  });

  it('body that is not JSON → 400 INVALID_JSON', async () => {
    const res = await post(batchPath, '{"messages": [');
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
  });

  it('101 messages → 400 BATCH_TOO_LARGE; empty batch → 400 VALIDATION_FAILED', async () => {
    const big = await post(batchPath, { messages: Array.from({ length: 101 }, (_, i) => sms(i)) });
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('BATCH_TOO_LARGE');
    const empty = await post(batchPath, { messages: [] });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
  });

  it('message missing a field → 400 with a detail naming the path, nothing stored', async () => {
    const res = await post(batchPath, { messages: [sms(1), { ...sms(2), text: undefined }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.map((d) => d.path)).toContain('messages.1.text');
    expect((await fetch(`${base}/arrivals/bd-1-1`)).status).toBe(404);
  });

  it('injected 503 → whole request refused with the error body, nothing stored', async () => {
    await putFaults({ all: { sms: { latencyMs: { p50: 0, p99: 0 }, errorRates: { '503': 1 } } } });
    const res = await post(batchPath, { messages: [sms(1)] });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SERVICE_UNAVAILABLE');
    expect((await fetch(`${base}/arrivals/bd-1-1`)).status).toBe(404);
  });

  it('outage window → 503 with Retry-After until it ends', async () => {
    await putFaults({ carriers: { [northwind.id]: { sms: { outage: { forMs: 60_000 } } } } });
    const res = await post(batchPath, { messages: [sms(1)] });
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(50);
  });

  it('injected timeout that destroys the socket after processing → client error, yet the arrival is there', async () => {
    await putFaults({
      all: {
        sms: {
          latencyMs: { p50: 0, p99: 0 },
          errorRates: { timeout: 1 },
          timeout: { afterMs: 0, mode: 'destroy', processed: true },
        },
      },
    });
    await expect(post(batchPath, { messages: [sms(5)] })).rejects.toThrow();
    const res = await fetch(`${base}/arrivals/bd-1-5`);
    expect(res.status).toBe(200);
  });

  it('injected late timeout that was not processed → 504, nothing stored', async () => {
    await putFaults({
      all: {
        sms: {
          latencyMs: { p50: 0, p99: 0 },
          errorRates: { timeout: 1 },
          timeout: { afterMs: 10, mode: 'late', processed: false },
        },
      },
    });
    const res = await post(batchPath, { messages: [sms(6)] });
    expect(res.status).toBe(504);
    expect((await fetch(`${base}/arrivals/bd-1-6`)).status).toBe(404);
  });
});

describe('SMS gateway single-message endpoint', () => {
  it('one message → the one result object; resend → duplicate with the same id', async () => {
    const path = `/carriers/${northwind.id}/messages`;
    const first = (await (await post(path, sms(9, { campaignId: 3 }))).json()) as Record<string, unknown>;
    expect(first).toMatchObject({
      idempotencyKey: 'bd-1-9',
      status: 'accepted',
      messageId: expect.any(String),
    });
    const again = (await (await post(path, sms(9))).json()) as Record<string, unknown>;
    expect(again).toEqual({ idempotencyKey: 'bd-1-9', status: 'duplicate', messageId: first.messageId });
    const arrival = (await (await fetch(`${base}/arrivals/bd-1-9`)).json()) as Record<string, unknown>;
    expect(arrival.campaignId).toBe(3); // the body's campaignId wins over the key's
  });

  it('invalid number → 200 with a rejected result', async () => {
    const res = await post(`/carriers/${northwind.id}/messages`, sms(1, { to: '+15551234567' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'rejected', errorCode: 'INVALID_NUMBER' });
  });
});
