import express, { type Express } from 'express';
import type { Logger } from '../../shared/logger';
import type { ArrivalStore } from './arrival-store';
import type { FaultBook } from './fault-book';
import { faultsRouter } from './faults.router';
import { groundTruthRouter } from './ground-truth.router';
import { inboundRouter } from './inbound.router';
import { pagesRouter } from './pages.router';
import type { ReceiptDispatcher } from './receipt-dispatcher';
import { errorHandler, notFoundHandler } from './sim-errors';
import type { SimStats } from './sim-stats';
import type { Sleeper } from './sleeper';
import { smsGatewayRouter } from './sms-gateway.router';
import type { WebhookClient } from './webhook-client';

export interface SimAppDeps {
  store: ArrivalStore;
  faults: FaultBook;
  stats: SimStats;
  receipts: ReceiptDispatcher;
  webhook: WebhookClient;
  sleeper: Sleeper;
  logger: Logger;
  now: () => number;
}

/** The carrier-sim's HTTP side: gateways, inbound, faults, ground truth, pages; errors last. */
export function createApp(deps: SimAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // hashing every gateway response costs throughput and buys nothing here
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(smsGatewayRouter(deps));
  app.use(inboundRouter(deps));
  app.use(faultsRouter(deps.faults));
  app.use(groundTruthRouter(deps));
  app.use(pagesRouter(deps.store));
  app.use(notFoundHandler);
  app.use(errorHandler(deps.logger));
  return app;
}
