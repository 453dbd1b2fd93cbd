import { z } from 'zod';
import { defineRoute } from '../http/define-route';
import type { ApiDeps } from '../steps/api-deps';
import type { Registry } from 'prom-client';

const readiness = z
  .object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), z.enum(['ok', 'down'])) })
  .meta({ id: 'Readiness' });

async function check(fn: () => Promise<unknown>): Promise<'ok' | 'down'> {
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000)),
    ]);
    return 'ok';
  } catch {
    return 'down';
  }
}

export function opsRoutes(deps: ApiDeps, registry: Registry) {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process answers',
      tags: ['ops'],
      roles: ['public'],
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: Redis and the database are reachable',
      tags: ['ops'],
      roles: ['public'],
      responses: {
        200: { description: 'Ready', schema: readiness },
        503: { description: 'A dependency is down', schema: readiness },
      },
      handler: async () => {
        const checks = {
          redis: await check(() => deps.redis.ping()),
          database: await check(() => deps.db.ping()),
        };
        const ok = Object.values(checks).every((c) => c === 'ok');
        return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'not-ready', checks } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics: HTTP latency, queue depths, notifications by state',
      tags: ['ops'],
      roles: ['public'],
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
      handler: async ({ res }) => {
        res.set('Content-Type', registry.contentType).send(await registry.metrics());
        return undefined;
      },
    }),
  ];
}
