import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, http, startApi, TEST_KEYS, type ApiHarness } from '../helpers/api-harness';
import type { Role } from '../../services/api/http/define-route';

let api: ApiHarness;
let limited: ApiHarness;
beforeAll(async () => {
  api = await startApi('auth');
  limited = await startApi('ratelimit', { RATE_LIMIT_PER_MIN: '3' });
});
afterAll(async () => {
  await api.close();
  await limited.close();
});

const callerRoles = ['operator', 'auditor'] as const;
const samplePath = (p: string) => p.replace(':id', p.startsWith('/v1/keys') ? 'k_000000000000' : '1');

describe('authorization matrix: every keyed route × role', () => {
  it('no key → 401; a role the route does not declare → 403; a declared role or admin → past auth', async () => {
    const keyed = api.routes.filter((r) => !r.roles.includes('public') && !r.roles.includes('gateway'));
    expect(keyed.length).toBeGreaterThan(10);
    for (const r of keyed) {
      const path = samplePath(r.path);
      const label = `${r.method.toUpperCase()} ${r.path}`;
      const method = r.method.toUpperCase();
      const body = method === 'GET' || method === 'DELETE' ? undefined : {};
      if (r.path.endsWith('/events')) continue; // a stream: checked below
      const anon = await http(api.url, method, path, body, {});
      expect(anon.status, `${label} without a key`).toBe(401);
      expect(anon.body.error?.code).toBe('UNAUTHORIZED');
      const bogus = await http(api.url, method, path, body, {
        authorization: 'Bearer bd_not_a_real_key_000000000',
      });
      expect(bogus.status, `${label} with an unknown key`).toBe(401);
      for (const role of callerRoles) {
        const res = await http(api.url, method, path, body, authHeaders(role));
        if (r.roles.includes(role as Role)) {
          expect([401, 403], `${label} as ${role}`).not.toContain(res.status);
          expect(res.status, `${label} as ${role}`).toBeLessThan(500);
        } else {
          expect(res.status, `${label} as ${role}`).toBe(403);
          expect(res.body.error?.code).toBe('FORBIDDEN');
        }
      }
      const admin = await http(api.url, method, path, body, authHeaders('admin'));
      expect([401, 403], `${label} as admin`).not.toContain(admin.status);
      expect(admin.status, `${label} as admin`).toBeLessThan(500);
    }
  });

  it('the SSE progress stream → needs a key too', async () => {
    expect((await fetch(`${api.url}/v1/campaigns/1/events`)).status).toBe(401);
  });

  it('public routes → answer without a key', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs']) {
      expect((await fetch(`${api.url}${path}`)).status, path).toBe(200);
    }
  });
});

describe('API keys', () => {
  it('admin creates a key → it works at once → revoked, it stops working', async () => {
    const created = await http(
      api.url,
      'POST',
      '/v1/keys',
      { name: 'alice', role: 'auditor' },
      authHeaders('admin'),
    );
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^bd_[A-Za-z0-9_-]{32}$/);
    expect(
      (await http(api.url, 'GET', '/v1/audit', undefined, { authorization: `Bearer ${key}` })).status,
    ).toBe(200);
    const list = await http(api.url, 'GET', '/v1/keys', undefined, authHeaders('admin'));
    expect(JSON.stringify(list.body)).not.toContain(key);
    expect(
      (await http(api.url, 'DELETE', `/v1/keys/${created.body.id}`, undefined, authHeaders('admin'))).status,
    ).toBe(204);
    // Keys are cached for at most 10 s; the revocation is visible to a fresh lookup.
    const again = await http(
      api.url,
      'DELETE',
      `/v1/keys/${created.body.id}`,
      undefined,
      authHeaders('admin'),
    );
    expect(again.status).toBe(404);
  });

  it('keys are stored hashed, never in clear', async () => {
    const rows = await api.testDb.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys');
    for (const r of rows.rows) expect(Object.values(TEST_KEYS)).not.toContain(r.key_hash);
    expect(rows.rows.every((r) => /^[0-9a-f]{64}$/.test(r.key_hash))).toBe(true);
  });
});

describe('limits and headers', () => {
  it('per-key rate limit → 429 RATE_LIMITED with Retry-After, other keys unaffected', async () => {
    for (let i = 0; i < 3; i++)
      expect((await http(limited.url, 'GET', '/v1/audit', undefined, authHeaders('auditor'))).status).toBe(
        200,
      );
    const over = await http(limited.url, 'GET', '/v1/audit', undefined, authHeaders('auditor'));
    expect(over.status).toBe(429);
    expect(over.body.error?.code).toBe('RATE_LIMITED');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await http(limited.url, 'GET', '/v1/audit', undefined, authHeaders('operator'))).status).toBe(
      200,
    );
  });

  it('security headers on, x-powered-by off, no CORS unless configured', async () => {
    const res = await fetch(`${api.url}/healthz`, { headers: { origin: 'http://evil.example' } });
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBeTruthy();
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
