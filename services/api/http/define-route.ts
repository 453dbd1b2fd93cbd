import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { AppError } from '../../../shared/errors';

type Method = 'get' | 'post' | 'put' | 'delete';

/**
 * Who may call a route (README "Security"). `public`: anyone (health, docs); `gateway`: the carriers'
 * signed webhooks (HMAC, no key). Every route declares its roles; `admin` may call every keyed route.
 */
export const ROLES = ['admin', 'operator', 'auditor', 'gateway', 'public'] as const;
export type Role = (typeof ROLES)[number];

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

/** A handler returns the status and JSON body, or `undefined` after writing `res` itself (streams). */
export type HandlerResult = { status: number; body?: unknown; headers?: Record<string, string> } | undefined;

export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** Express-style path, e.g. `/v1/campaigns/:id`. */
  path: string;
  summary: string;
  tags: string[];
  /** Roles allowed to call this route. */
  roles: readonly Role[];
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Content types the body may arrive as (JSON by default). */
  bodyContentTypes?: string[];
  responses: Record<number, ResponseSpec>;
  handler(input: HandlerInput<P, Q, B>): Promise<HandlerResult>;
}

/** Keeps each route's generic types while collecting heterogeneous routes in one array. */
export function defineRoute<P, Q, B>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new AppError(
    'VALIDATION_FAILED',
    `invalid ${where}: ${r.error.issues[0]?.message ?? 'see details'}`,
    r.error.issues.slice(0, 50).map((i) => ({
      path: [where, ...i.path.map(String)].join('.'),
      code: i.code,
      message: i.message,
    })),
  );
}

export interface MountOptions {
  /** Tests: fail loudly when a handler answers with a body its spec does not describe. */
  validateResponses?: boolean;
  /** Authentication, role check and rate limit, run before anything else (see authenticate.ts). */
  guard?: (route: RouteSpec, req: Request) => Promise<void>;
}

/** Mounts routes with boundary validation (STYLE.md §3); the same specs generate /openapi.json. */
export function mountRoutes(router: Router, routes: readonly RouteSpec[], opts: MountOptions = {}): void {
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response) => {
      await opts.guard?.(route, req);
      const params = parse(route.params, req.params, 'params');
      const query = parse(route.query, req.query, 'query');
      const body = route.body && !route.bodyContentTypes ? parse(route.body, req.body, 'body') : req.body;
      const out = await route.handler({ params, query, body, req, res });
      if (!out) return;
      if (opts.validateResponses) {
        const spec = route.responses[out.status];
        if (!spec)
          throw new Error(
            `${route.method.toUpperCase()} ${route.path} answered ${out.status}, not in its spec`,
          );
        if (spec.schema) {
          const r = spec.schema.safeParse(out.body);
          if (!r.success) {
            throw new Error(
              `${route.method.toUpperCase()} ${route.path} ${out.status} body does not match its schema: ${r.error.message}`,
            );
          }
        }
      }
      if (out.headers) res.set(out.headers);
      if (out.body === undefined) res.status(out.status).end();
      else res.status(out.status).json(out.body);
    });
  }
}
