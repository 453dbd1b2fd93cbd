import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestHandler } from 'express';
import type { Db } from '../../../shared/store/db';
import type { QueueClient } from '../../../shared/queue-client';

/** One registry per app, so several apps in one test process do not collide. */
export function createMetrics(deps: { db: Db; queues: QueueClient }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  new Gauge({
    name: 'queue_jobs',
    help: 'BullMQ jobs by queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const q of deps.queues.all()) {
        const counts = await q.getJobCounts('wait', 'active', 'delayed', 'failed');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: q.name, state }, n);
      }
    },
  });
  new Gauge({
    name: 'notifications',
    help: 'Ledger rows of live (triggered, running, paused) campaigns by state and channel',
    labelNames: ['state', 'channel'],
    registers: [registry],
    async collect() {
      // Live campaigns only: their partitions, not the whole history (hundreds of millions of rows
      // after a national drill) on every scrape.
      const r = await deps.db.query<{ state: string; channel: string; n: number }>(
        `SELECT state, channel, count(*)::int AS n FROM notification
          WHERE campaign_id IN (SELECT id FROM campaigns WHERE state IN ('triggered', 'running', 'paused'))
          GROUP BY state, channel`,
      );
      this.reset();
      for (const row of r.rows) this.set({ state: row.state, channel: row.channel }, row.n);
    },
  });
  new Gauge({
    name: 'audit_head_seq',
    help: 'Sequence number of the newest audit event (its rate is the audit append rate)',
    registers: [registry],
    async collect() {
      const r = await deps.db.query<{ seq: number }>('SELECT seq FROM audit_head WHERE id = 1');
      this.set(Number(r.rows[0]?.seq ?? 0));
    },
  });
  new Gauge({
    name: 'audit_unsigned_events',
    help: 'Audit events after the newest signed checkpoint (grows when no worker signs checkpoints)',
    registers: [registry],
    async collect() {
      const r = await deps.db.query<{ n: number }>(
        `SELECT (SELECT seq FROM audit_head WHERE id = 1)
                - COALESCE((SELECT max(seq) FROM audit_checkpoints), 0) AS n`,
      );
      this.set(Number(r.rows[0]?.n ?? 0));
    },
  });
  const errors = new Counter({
    name: 'http_errors_total',
    help: '5xx answers',
    labelNames: ['code'],
    registers: [registry],
  });

  const middleware: RequestHandler = (req, res, next) => {
    const end = httpDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
      if (res.statusCode >= 500) errors.inc({ code: String(res.statusCode) });
    });
    next();
  };
  return { registry, middleware };
}
