import express, { Router, type Request, type Response } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { findActiveKey } from '../../../shared/auth/api-keys';
import { mountRoutes, type RouteSpec } from '../http/define-route';
import type { ApiDeps } from '../steps/api-deps';
import { dashboardApiRoutes } from './dashboard-api.routes';
import {
  CSRF_HEADER,
  CSRF_VALUE,
  SESSION_COOKIE,
  SESSION_TTL_S,
  hasCsrfHeader,
  sessionIdOf,
  type SessionStore,
} from './session-store';
import { hashKey } from '../../../shared/auth/api-keys';

const require = createRequire(import.meta.url);
const PUBLIC_DIR = fileURLToPath(new URL('./public', import.meta.url));
// chart.js exports no file paths; its CommonJS entry sits next to the UMD build in dist/.
const CHART_UMD = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');

const signInBody = z.object({ key: z.string().trim().min(8).max(200) });

export interface DashboardOptions {
  /** The API's guard (authenticate.ts): the dashboard's JSON routes use the same roles and limits. */
  guard: (route: RouteSpec, req: Request) => Promise<void>;
  sessions: SessionStore;
}

function setSessionCookie(req: Request, res: Response, value: string, maxAgeS: number): void {
  res.cookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'strict',
    secure: req.secure, // TLS-terminating proxies: set Express's "trust proxy" so req.secure is right
    path: '/',
    maxAge: maxAgeS * 1000,
  });
}

/**
 * The browser dashboard, served from the api: the page shell at `/`, its script and style files
 * (helmet's CSP allows no inline script), the vendored chart.js, sign-in and sign-out, and the
 * dashboard's read-only JSON. Every action the pages take goes through the public API routes with
 * the session cookie (see authenticate.ts).
 */
export function dashboardRouter(deps: ApiDeps, opts: DashboardOptions): Router {
  const router = Router();
  const index = path.join(PUBLIC_DIR, 'index.html');
  router.get(['/', '/index.html'], (_req, res) => {
    res.set('cache-control', 'no-store').sendFile(index);
  });
  router.use('/dashboard/assets', express.static(PUBLIC_DIR, { index: false, maxAge: '5m' }));
  router.get('/dashboard/vendor/chart.umd.js', (_req, res) => {
    res.set('cache-control', 'public, max-age=3600').sendFile(CHART_UMD);
  });

  // Sign in with an API key: the key is checked once and never stored; the cookie holds an opaque id.
  router.post('/dashboard/session', async (req, res) => {
    if (!hasCsrfHeader(req)) throw new AppError('FORBIDDEN', `sign-in needs "${CSRF_HEADER}: ${CSRF_VALUE}"`);
    const parsed = signInBody.safeParse(req.body);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'send {"key": "<api key>"}');
    const rec = await findActiveKey(deps.db, parsed.data.key);
    if (!rec || rec.role === 'gateway')
      throw new AppError('UNAUTHORIZED', 'this API key is unknown, revoked, or not for people');
    const sid = await opts.sessions.create(hashKey(parsed.data.key));
    setSessionCookie(req, res, sid, SESSION_TTL_S);
    deps.logger.info({ key: rec.id }, 'dashboard sign-in');
    res.status(201).json({ name: rec.name, role: rec.role });
  });
  router.post('/dashboard/signout', async (req, res) => {
    if (!hasCsrfHeader(req))
      throw new AppError('FORBIDDEN', `sign-out needs "${CSRF_HEADER}: ${CSRF_VALUE}"`);
    const sid = sessionIdOf(req);
    if (sid) await opts.sessions.destroy(sid);
    res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: req.secure });
    res.status(204).end();
  });

  mountRoutes(router, dashboardApiRoutes(deps), { guard: opts.guard });
  return router;
}
