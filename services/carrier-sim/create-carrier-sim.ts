import { randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { SMTPServer } from 'smtp-server';
import type { Logger } from '../../shared/logger';
import { ArrivalStore, DEFAULT_STORAGE_LIMITS, type StorageLimits } from './arrival-store';
import { createApp } from './create-app';
import { FaultBook } from './fault-book';
import { ReceiptDispatcher } from './receipt-dispatcher';
import { SimStats } from './sim-stats';
import { createSleeper } from './sleeper';
import { createSmtpSink } from './smtp-sink';
import { createWebhookClient } from './webhook-client';

export interface CarrierSimOptions {
  /** The api's base URL; receipts go to `${apiUrl}/v1/webhooks/receipts`, replies to `.../inbound`. */
  apiUrl: string;
  /** HMAC key for `X-Signature` on webhooks (shared/webhook-signature.ts). */
  webhookSecret: string;
  logger: Logger;
  /** Seeds every fault PRNG (replayable runs). @defaultValue a random 31-bit number, shown in GET /faults */
  seed?: number;
  /** How often due receipts are posted, in ms. @defaultValue 100 */
  receiptFlushMs?: number;
  /** Receipts per webhook POST. @defaultValue 500 */
  receiptBatchSize?: number;
  /** Body retention limits; see StorageLimits. */
  storage?: Partial<StorageLimits>;
  /** Clock, in epoch ms. @defaultValue Date.now */
  now?: () => number;
}

export interface CarrierSim {
  listen(o: {
    host: string;
    httpPort: number;
    smtpPort: number;
  }): Promise<{ httpPort: number; smtpPort: number }>;
  /** Closes HTTP and SMTP (dropping open connections), stops receipts, retries and fault timers. */
  close(): Promise<void>;
  readonly app: Express;
  readonly store: ArrivalStore;
  readonly faults: FaultBook;
  readonly stats: SimStats;
  readonly receipts: ReceiptDispatcher;
}

const RECEIPT_MAX_IN_FLIGHT = 4;
const RECEIPT_MAX_PENDING = 500_000; // ≈ 100 MB of waiting receipts if the api stays away

/**
 * The mock carrier network as one object: the nine carriers' SMS gateways and the SMTP sink, the
 * ground-truth store, fault profiles, delivery receipts and inbound replies. Only `listen` opens
 * sockets; see services/carrier-sim/README.md for the wire contract.
 */
export function createCarrierSim(opts: CarrierSimOptions): CarrierSim {
  const now = opts.now ?? Date.now;
  const seed = opts.seed ?? randomInt(2 ** 31);
  const logger = opts.logger;
  const limits: StorageLimits = { ...DEFAULT_STORAGE_LIMITS, ...(opts.storage ?? {}) };
  const sleeper = createSleeper();
  const store = new ArrivalStore((seed >>> 0).toString(36), limits);
  const faults = new FaultBook(seed >>> 0, now);
  const stats = new SimStats();
  const webhook = createWebhookClient({
    baseUrl: opts.apiUrl,
    secret: opts.webhookSecret,
    logger,
    sleeper,
    onFailure: (what) => {
      if (what === 'receipts') stats.receipts.postFailures++;
      else stats.inbound.postFailures++;
    },
  });
  const receipts = new ReceiptDispatcher({
    store,
    webhook,
    faults,
    stats,
    now,
    flushMs: opts.receiptFlushMs ?? 100,
    maxBatch: opts.receiptBatchSize ?? 500,
    maxInFlight: RECEIPT_MAX_IN_FLIGHT,
    maxPending: RECEIPT_MAX_PENDING,
  });
  const app = createApp({ store, faults, stats, receipts, webhook, sleeper, logger, now });
  const smtp = createSmtpSink({ store, faults, stats, sleeper, logger, now, limits });
  smtp.on('error', (err: Error) => logger.debug({ err: err.message }, 'smtp connection error'));
  const httpServer = http.createServer({ keepAliveTimeout: 10_000 }, app); // idle keep-alive, in ms

  return {
    app,
    store,
    faults,
    stats,
    receipts,
    async listen(o) {
      const httpPort = await listenHttp(httpServer, o.host, o.httpPort);
      const smtpPort = await listenSmtp(smtp, o.host, o.smtpPort);
      receipts.start();
      logger.info({ httpPort, smtpPort, seed }, 'carrier-sim listening');
      return { httpPort, smtpPort };
    },
    async close() {
      receipts.stop();
      sleeper.cancelAll();
      await Promise.all([closeHttp(httpServer), closeSmtp(smtp), webhook.close()]);
    },
  };
}

function listenHttp(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function listenSmtp(smtp: SMTPServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    smtp.server.once('error', reject);
    smtp.listen(port, host, () => {
      smtp.server.off('error', reject);
      resolve((smtp.server.address() as AddressInfo).port);
    });
  });
}

function closeHttp(server: http.Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function closeSmtp(smtp: SMTPServer): Promise<void> {
  if (!smtp.server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    smtp.close(() => resolve());
    for (const connection of smtp.connections) connection._socket.destroy();
  });
}
