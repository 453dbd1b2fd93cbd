import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { getCarrier } from '../../shared/carriers';
import { createLogger } from '../../shared/logger';
import { verifySignature } from '../../shared/webhook-signature';
import { createCarrierSim, type CarrierSim } from '../../services/carrier-sim/create-carrier-sim';

// Receipts and inbound replies go to a tiny real HTTP receiver standing in for the api.

const SECRET = 'test-webhook-secret-0123456789';
const northwind = getCarrier('northwind-mobile');

interface Received {
  path: string;
  raw: string;
  signature: string | undefined;
  contentType: string | undefined;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Status to answer the next requests with, in order; 200 once exhausted. */
  failWith: number[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const failWith: number[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        raw,
        signature: req.headers['x-signature'] as string | undefined,
        contentType: req.headers['content-type'],
      });
      res.writeHead(failWith.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    failWith,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let sim: CarrierSim | undefined;
let receiver: Receiver | undefined;

afterEach(async () => {
  await sim?.close();
  await receiver?.close();
  sim = undefined;
  receiver = undefined;
});

async function start(opts: { receiptFlushMs?: number } = {}) {
  receiver = await startReceiver();
  sim = createCarrierSim({
    apiUrl: receiver.url,
    webhookSecret: SECRET,
    logger: createLogger({ level: 'silent', name: 'carrier-sim-test' }),
    seed: 42,
    receiptFlushMs: opts.receiptFlushMs ?? 20,
  });
  const ports = await sim.listen({ host: '127.0.0.1', httpPort: 0, smtpPort: 0 });
  const base = `http://127.0.0.1:${ports.httpPort}`;
  return { base, receiver };
}

async function putFaults(base: string, faults: unknown): Promise<void> {
  const res = await fetch(`${base}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status).toBe(200);
}

async function sendBatch(base: string, keys: number[]): Promise<{ results: { messageId: string }[] }> {
  const res = await fetch(`${base}/carriers/${northwind.id}/messages/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${northwind.gatewayKey}` },
    body: JSON.stringify({
      messages: keys.map((n) => ({
        to: `+1303555${String(100 + (n % 100)).padStart(4, '0')}`,
        from: northwind.smsSender,
        text: 'EXERCISE EXERCISE EXERCISE test',
        idempotencyKey: `bd-2-${n}`,
      })),
    }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { results: { messageId: string }[] };
}

type WireReceipt = {
  idempotencyKey: string;
  messageId: string;
  carrier: string;
  status: string;
  errorCode: string | null;
  at: string;
};

function receiptsOf(r: Receiver): WireReceipt[] {
  return r.received
    .filter((x) => x.path === '/v1/webhooks/receipts')
    .flatMap((x) => (JSON.parse(x.raw) as { receipts: WireReceipt[] }).receipts);
}

describe('delivery receipts', () => {
  it('accepted SMS → receipts posted in batches, signed, one per message with its id', async () => {
    const { base, receiver } = await start();
    await putFaults(base, {
      all: { sms: { latencyMs: { p50: 0, p99: 0 }, receipts: { latencyMs: { p50: 1, p99: 2 } } } },
    });
    const keys = Array.from({ length: 60 }, (_, i) => i + 1);
    const sent = await sendBatch(base, keys);
    const receipts = await until(() => {
      const all = receiptsOf(receiver);
      return all.length >= 60 ? all : undefined;
    }, '60 receipts');
    const posts = receiver.received.filter((x) => x.path === '/v1/webhooks/receipts');
    expect(posts.length).toBeLessThan(60); // batched, not one POST per receipt
    for (const post of posts) {
      expect(post.contentType).toBe('application/json');
      expect(verifySignature(SECRET, post.raw, post.signature, 300)).toEqual({ ok: true });
    }
    expect(receipts.map((r) => r.idempotencyKey).sort()).toEqual(keys.map((n) => `bd-2-${n}`).sort());
    const first = receipts.find((r) => r.idempotencyKey === 'bd-2-1');
    expect(first).toEqual({
      idempotencyKey: 'bd-2-1',
      messageId: sent.results[0]?.messageId,
      carrier: northwind.id,
      status: 'delivered',
      errorCode: null,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect((await (await fetch(`${base}/stats`)).json()) as { receiptsWaiting: number }).toMatchObject({
      receiptsWaiting: 0,
    });
  });

  it('more receipts due at once than the batch size → several POSTs of at most 500', async () => {
    const { base, receiver } = await start({ receiptFlushMs: 200 });
    await putFaults(base, {
      all: { sms: { latencyMs: { p50: 0, p99: 0 }, receipts: { latencyMs: { p50: 0, p99: 0 } } } },
    });
    for (let b = 0; b < 6; b++)
      await sendBatch(
        base,
        Array.from({ length: 100 }, (_, i) => b * 100 + i + 1),
      );
    await until(() => (receiptsOf(receiver).length >= 600 ? true : undefined), '600 receipts');
    for (const post of receiver.received) {
      expect((JSON.parse(post.raw) as { receipts: unknown[] }).receipts.length).toBeLessThanOrEqual(500);
    }
  });

  it('api answering 500 then 200 → the same batch retried until acknowledged, freshly signed', async () => {
    const { base, receiver } = await start();
    receiver.failWith.push(500, 503);
    await putFaults(base, {
      all: { sms: { latencyMs: { p50: 0, p99: 0 }, receipts: { latencyMs: { p50: 1, p99: 2 } } } },
    });
    await sendBatch(base, [1]);
    await until(() => (receiver.received.length >= 3 ? true : undefined), 'three attempts');
    const bodies = receiver.received.map((r) => r.raw);
    expect(new Set(bodies).size).toBe(1);
    for (const r of receiver.received) expect(verifySignature(SECRET, r.raw, r.signature, 300).ok).toBe(true);
    const stats = await until(
      () => (sim?.stats.receipts.posted === 1 ? sim.stats.receipts : undefined),
      'ack',
    );
    expect(stats).toMatchObject({ posted: 1, postFailures: 2 });
  });

  it('profile with undeliverable, duplicate and drop rates of 1 → matching receipts (or none)', async () => {
    const { base, receiver } = await start();
    await putFaults(base, {
      carriers: {
        'northwind-mobile': {
          sms: {
            latencyMs: { p50: 0, p99: 0 },
            receipts: { latencyMs: { p50: 1, p99: 2 }, undeliverableRate: 1, duplicateRate: 1 },
          },
        },
      },
    });
    await sendBatch(base, [1, 2]);
    const receipts = await until(() => {
      const all = receiptsOf(receiver);
      return all.length >= 4 ? all : undefined;
    }, 'duplicated receipts');
    expect(receipts.map((r) => r.idempotencyKey).sort()).toEqual(['bd-2-1', 'bd-2-1', 'bd-2-2', 'bd-2-2']);
    expect(new Set(receipts.map((r) => `${r.status}/${r.errorCode}`))).toEqual(
      new Set(['undeliverable/UNKNOWN_SUBSCRIBER']),
    );

    await putFaults(base, {
      all: {
        sms: { latencyMs: { p50: 0, p99: 0 }, receipts: { latencyMs: { p50: 0, p99: 0 }, dropRate: 1 } },
      },
    });
    await sendBatch(base, [3]);
    expect(sim?.stats.receipts.dropped).toBe(1);
    await until(() => (sim?.receipts.waiting === 0 ? true : undefined), 'nothing waiting');
  });
});

describe('inbound replies', () => {
  it('subscriber texts STOP → 202 at once, forwarded signed to /v1/webhooks/inbound with carrier and sender', async () => {
    const { base, receiver } = await start();
    receiver.failWith.push(502);
    const res = await fetch(`${base}/carriers/${northwind.id}/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+12025550142', text: 'STOP' }),
    });
    expect(res.status).toBe(202);
    const delivered = await until(
      () => (receiver.received.length >= 2 ? receiver.received[1] : undefined),
      'the retried inbound webhook',
    );
    expect(delivered.path).toBe('/v1/webhooks/inbound');
    expect(verifySignature(SECRET, delivered.raw, delivered.signature, 300).ok).toBe(true);
    expect(JSON.parse(delivered.raw)).toEqual({
      carrier: northwind.id,
      from: '+12025550142',
      to: northwind.smsSender,
      text: 'STOP',
      at: expect.any(String),
    });
  });

  it('reply from a number outside the fictional range → 400, nothing forwarded', async () => {
    const { base, receiver } = await start();
    const res = await fetch(`${base}/carriers/${northwind.id}/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: '+12025551234', text: 'HELP' }),
    });
    expect(res.status).toBe(400);
    expect(receiver.received).toHaveLength(0);
  });
});
