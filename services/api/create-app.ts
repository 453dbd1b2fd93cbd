import type { Registry } from 'prom-client';
import express, { type Express } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ApiDeps } from './steps/api-deps';
import { mountRoutes, type RouteSpec } from './http/define-route';
import { buildOpenApi } from './http/openapi';
import { errorHandler, notFoundHandler } from './http/error-handler';
import { createMetrics } from './http/metrics';
import { subscriberRoutes } from './routes/subscribers.routes';
import { incidentRoutes } from './routes/incidents.routes';
import { campaignRoutes } from './routes/campaigns.routes';
import { auditRoutes } from './routes/audit.routes';
import { webhookRoutes } from './routes/webhooks.routes';
import { opsRoutes } from './routes/ops.routes';
import { reportsRoutes } from './routes/reports.routes';
import { keyRoutes } from './routes/keys.routes';
import helmet from 'helmet';
import cors from 'cors';
import { createGuard } from './http/authenticate';
import { principalOf } from './http/principal';
import { campaignLifecycleRoutes } from './routes/campaign-lifecycle.routes';
import { dashboardRouter } from './dashboard/dashboard.router';
import { queuesBoardRouter } from './dashboard/queues-board';
import { createSessionStore } from './dashboard/session-store';

const require = createRequire(import.meta.url);
const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>breach-drill API (exercise only)</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><p style="font:14px sans-serif;background:#ffd;margin:0;padding:8px">EXERCISE EXERCISE EXERCISE - simulator API, no real notices</p>
<div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

export interface AppOptions {
  /** Tests: answer 500 when a handler's body does not match its declared schema. */
  validateResponses?: boolean;
}

export function allRoutes(deps: ApiDeps, registry: Registry): RouteSpec[] {
  return [
    ...opsRoutes(deps, registry),
    ...subscriberRoutes(deps),
    ...incidentRoutes(deps),
    ...campaignRoutes(deps),
    ...campaignLifecycleRoutes(deps),
    ...auditRoutes(deps),
    ...reportsRoutes(deps),
    ...keyRoutes(deps),
    ...webhookRoutes(deps),
  ];
}

/** Builds the app; only main.ts listens (STYLE.md §8). */
export function createApp(
  deps: ApiDeps,
  opts: AppOptions = {},
): { app: Express; routes: RouteSpec[]; openapi: object } {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const metrics = createMetrics(deps);
  const routes = allRoutes(deps, metrics.registry);
  const openapi = buildOpenApi(routes, deps.version);

  app.use(metrics.middleware);
  // Access log: the route pattern, never the URL (queries can carry contacts) nor the body.
  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      deps.logger.info(
        {
          method: req.method,
          route: (req.route?.path as string | undefined) ?? 'unmatched',
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
          key: principalOf(req)?.id,
        },
        'request',
      );
    });
    next();
  });
  app.use(helmet());
  // CORS is off unless origins are configured.
  if (deps.config.CORS_ORIGINS.length > 0) app.use(cors({ origin: deps.config.CORS_ORIGINS }));
  // Webhooks are verified over their raw bytes, so they skip the JSON parser.
  app.use('/v1/webhooks', express.raw({ type: () => true, limit: '2mb' }));
  // Bulk registration streams its own body (JSON array, NDJSON or CSV, up to BULK_MAX_BYTES), so the
  // 1 MB JSON parser must leave that request unread.
  const json = express.json({ limit: '1mb' });
  app.use((req, res, next) =>
    /^\/v1\/subscribers\/bulk\/?$/i.test(req.path) ? next() : json(req, res, next),
  );

  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(DOCS_HTML);
  });
  app.get('/docs/init.js', (_req, res) => {
    res
      .type('application/javascript')
      .send("window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui' });");
  });
  app.use('/docs/assets', express.static(SWAGGER_DIR, { index: false, maxAge: '1h' }));

  const router = express.Router();
  // Dashboard sign-in sessions: the guard accepts their cookie as an alternative to the Bearer key.
  const sessions = createSessionStore(deps.redis, deps.config.QUEUE_PREFIX);
  const guard = createGuard({
    db: deps.db,
    redis: deps.redis,
    logger: deps.logger,
    prefix: deps.config.QUEUE_PREFIX,
    ratePerMinute: deps.config.RATE_LIMIT_PER_MIN,
    sessions,
  });
  // The browser dashboard at `/` (pages, assets, sign-in) and bull-board at /admin/queues (admins
  // only), both before the API routes; neither is in /openapi.json.
  app.use(dashboardRouter(deps, { guard, sessions }));
  app.use(queuesBoardRouter(deps, sessions));
  mountRoutes(router, routes, { validateResponses: opts.validateResponses ?? false, guard });
  app.use(router);
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return { app, routes, openapi };
}
