import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, startApi, type ApiHarness } from '../helpers/api-harness';

/**
 * A property-based fuzz of every route: random params, queries, bodies and content types, sent as
 * an admin (so requests reach the handlers). No answer may be a 5xx and the process must live on.
 * Replay a failure with FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
console.log(`route fuzz: seed ${SEED}, ${RUNS} requests (replay with FUZZ_SEED=${SEED})`);

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi('fuzz', { RATE_LIMIT_PER_MIN: '1000000' });
});
afterAll(async () => {
  await api.close();
});

const segment = fc.oneof(
  fc.integer({ min: -5, max: 1_000_000 }).map(String),
  fc.constantFrom(
    '0',
    '1',
    '2',
    'abc',
    '%00',
    '..',
    '__proto__',
    'constructor',
    '1e309',
    '9'.repeat(40),
    '%F0%9F%92%A5',
    'k_000000000000',
  ),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
);
const queryValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer().map(String),
  fc.constantFrom('', 'sms', 'email', 'notification.sent', '2024-01-01T00:00:00Z'),
);
const jsonBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.constantFrom(
    '{',
    '[1,2',
    '{"__proto__":{"x":1}}',
    '{"constructor":{"prototype":{"y":1}}}',
    '\u0000',
    '"\\ud800"',
    'null',
    '[]',
    '{}',
  ),
  fc
    .dictionary(
      fc.constantFrom(
        'carrier',
        'msisdn',
        'email',
        'incidentId',
        'kind',
        'channels',
        'name',
        'role',
        'exerciseId',
        'window',
        'audience',
      ),
      fc.jsonValue({ maxDepth: 2 }),
    )
    .map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
);
const contentType = fc.constantFrom(
  'application/json',
  'text/csv',
  'application/x-ndjson',
  'text/plain',
  'application/json; charset=latin1',
  'multipart/form-data',
  '',
);

describe('every route under random input', () => {
  it(`${RUNS} random requests → no 5xx (but 503 for an outage), the server stays up`, async () => {
    const routes = api.routes.filter((r) => !r.path.endsWith('/events'));
    const request = fc.record({
      route: fc.constantFrom(...routes),
      params: fc.array(segment, { minLength: 3, maxLength: 3 }),
      query: fc.dictionary(
        fc.constantFrom(
          'carrier',
          'after',
          'limit',
          'campaign',
          'type',
          'channel',
          'format',
          'from',
          'to',
          'x',
          '__proto__',
        ),
        queryValue,
        { maxKeys: 4 },
      ),
      body: jsonBody,
      type: contentType,
    });
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(request, async ({ route, params, query, body, type }) => {
        let i = 0;
        const path = route.path.replace(/:[A-Za-z_]+/g, () => params[i++ % params.length]!);
        const qs = new URLSearchParams(query as Record<string, string>).toString();
        const method = route.method.toUpperCase();
        const res = await fetch(`${api.url}${path}${qs ? `?${qs}` : ''}`, {
          method,
          headers: { ...authHeaders('admin'), ...(type ? { 'content-type': type } : {}) },
          ...(method === 'GET' || method === 'DELETE' ? {} : { body }),
        });
        await res.arrayBuffer();
        if (res.status >= 500 && res.status !== 503) {
          failures.push(`${method} ${path}?${qs} [${type}] ${body.slice(0, 80)} → ${res.status}`);
          return false;
        }
        return true;
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    expect(failures).toEqual([]);
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  }, 600_000);
});
