/**
 * A worker process of the naive baseline (naive-design.ts), started by the benchmark and by
 * `loadtest --baseline naive`; never part of the product. Environment: DATABASE_URL, DATABASE_SCHEMA,
 * REDIS_URL, QUEUE_PREFIX, CARRIER_SIM_URL, SMTP_PORT, SMTP_POOL_SIZE, WEBHOOK_SECRET, EXERCISE_MARKER,
 * NAIVE_CONCURRENCY (jobs at once, default 32), NAIVE_RECEIPT_PORT (when set, this process also
 * serves the carrier-sim's receipt webhook and applies each receipt in its own transaction).
 */
import http from 'node:http';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { loadConfig } from '../../shared/config';
import { openDb } from '../../shared/store/open-db';
import { createRedis } from '../../shared/redis';
import { receiptsJob } from '../../shared/queues';
import { SIGNATURE_HEADER, verifySignature } from '../../shared/webhook-signature';
import { createCampaignContextCache } from '../../workers/deliver/notice-context';
import {
  NAIVE_DELIVER_QUEUE,
  NAIVE_FANOUT_QUEUE,
  NaivePermanentError,
  createNaiveChannels,
  naiveApplyReceipts,
  naiveDeliver,
  naiveFanOut,
  type NaiveDeliverJob,
} from './naive-design';

const config = loadConfig(process.env);
const concurrency = Number(process.env.NAIVE_CONCURRENCY ?? 32);
const receiptPort = process.env.NAIVE_RECEIPT_PORT ? Number(process.env.NAIVE_RECEIPT_PORT) : null;
if (!config.DATABASE_URL || !config.REDIS_URL)
  throw new Error('naive worker: DATABASE_URL and REDIS_URL are required');

const db = await openDb({
  databaseUrl: config.DATABASE_URL,
  schema: config.DATABASE_SCHEMA,
  poolSize: config.DB_POOL_SIZE,
  dataDir: 'memory',
});
const connection = createRedis(config.REDIS_URL, 'worker');
connection.on('error', () => undefined);
const deliverQueue = new Queue(NAIVE_DELIVER_QUEUE, { connection, prefix: config.QUEUE_PREFIX });
const channels = createNaiveChannels({
  smtpHost: config.SMTP_HOST,
  smtpPort: config.SMTP_PORT,
  smtpPoolSize: config.SMTP_POOL_SIZE,
  simUrl: config.CARRIER_SIM_URL,
  timeoutMs: config.SEND_TIMEOUT_MS,
});
const contexts = createCampaignContextCache(db);

const fanOut = new Worker(
  NAIVE_FANOUT_QUEUE,
  async (job) => {
    const { campaignId, regions, limit } = job.data as {
      campaignId: number;
      regions: string[] | null;
      limit: number | null;
    };
    return naiveFanOut(db, deliverQueue, campaignId, { lanes: 8, regions, limit });
  },
  { connection, prefix: config.QUEUE_PREFIX, concurrency: 1 },
);
const deliver = new Worker<NaiveDeliverJob>(
  NAIVE_DELIVER_QUEUE,
  async (job) => {
    try {
      await naiveDeliver(job, { db, contexts, channels, marker: config.EXERCISE_MARKER });
    } catch (err) {
      if (err instanceof NaivePermanentError) throw new UnrecoverableError(err.message);
      throw err;
    }
  },
  { connection, prefix: config.QUEUE_PREFIX, concurrency },
);
for (const w of [fanOut, deliver]) w.on('error', () => undefined);

let server: http.Server | null = null;
if (receiptPort !== null) {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const check = verifySignature(
        config.WEBHOOK_SECRET,
        body,
        req.headers[SIGNATURE_HEADER] as string | undefined,
        config.WEBHOOK_TOLERANCE_SEC,
      );
      if (!check.ok || req.url !== '/v1/webhooks/receipts') {
        res.writeHead(check.ok ? 404 : 401).end();
        return;
      }
      const parsed = receiptsJob.safeParse(JSON.parse(body.toString('utf8')));
      if (!parsed.success) {
        res.writeHead(400).end();
        return;
      }
      naiveApplyReceipts(db, parsed.data.receipts).then(
        (n) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ applied: n })),
        () => res.writeHead(503).end(),
      );
    });
  });
  server.listen(receiptPort, '127.0.0.1');
}

async function shutdown() {
  await Promise.all([fanOut.close(), deliver.close()]);
  server?.close();
  await channels.close();
  await deliverQueue.close();
  connection.disconnect();
  await db.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
