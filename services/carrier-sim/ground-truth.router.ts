import { Router, type Response } from 'express';
import { z } from 'zod';
import { CARRIER_IDS } from '../../shared/carriers';
import { CHANNELS, type Channel } from '../../shared/domain';
import type { ArrivalFilter, ArrivalStore } from './arrival-store';
import { emailSummary, stripAngleBrackets } from './email-headers';
import type { FaultBook } from './fault-book';
import { parseOrThrow } from './gateway-middleware';
import type { ReceiptDispatcher } from './receipt-dispatcher';
import { viewMessage } from './render-message';
import { SimError } from './sim-errors';
import type { SimStats } from './sim-stats';

export interface GroundTruthDeps {
  store: ArrivalStore;
  stats: SimStats;
  faults: FaultBook;
  receipts: ReceiptDispatcher;
}

const STREAM_CHUNK_CHARS = 64 * 1024;

const arrivalsQuery = z.object({
  campaign: z.coerce.number().int().positive().optional(),
  channel: z.enum(CHANNELS).optional(),
  carrier: z.enum(CARRIER_IDS).optional(),
});

const inboxQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });

function memoryMb(): Record<string, number> {
  const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
  const m = process.memoryUsage();
  return { rss: mb(m.rss), heapUsed: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external) };
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * The oracle: what arrived (`/arrivals`, streamed NDJSON, and `/arrivals/:key`), the counters
 * (`/stats`), handsets and mailboxes (`/inbox/...`), single messages (`/messages/:id`) and the reset
 * (`DELETE /state`).
 */
export function groundTruthRouter(deps: GroundTruthDeps): Router {
  const { store, stats, faults, receipts } = deps;
  const router = Router();

  router.get('/arrivals', async (req, res) => {
    const q = parseOrThrow(arrivalsQuery, req.query, 'query');
    const filter: ArrivalFilter = { campaignId: q.campaign, channel: q.channel, carrierId: q.carrier };
    res.type('application/x-ndjson');
    const end = store.count;
    const generation = store.currentGeneration;
    let chunk = '';
    for (let i = 0; i < end && store.currentGeneration === generation; i++) {
      if (!store.matches(i, filter)) continue;
      chunk += JSON.stringify(store.arrival(i)) + '\n';
      if (chunk.length < STREAM_CHUNK_CHARS) continue;
      const flowing = res.write(chunk);
      chunk = '';
      if (!flowing) await drained(res);
      if (res.destroyed) return;
    }
    res.end(chunk);
  });

  router.get('/arrivals/:key', (req, res) => {
    const key = stripAngleBrackets(String(req.params.key));
    const channel = req.query.channel;
    const channels: Channel[] = channel === 'sms' || channel === 'email' ? [channel] : ['sms', 'email'];
    for (const c of channels) {
      const i = store.find(c, key);
      if (i >= 0) return void res.json(store.arrival(i));
    }
    throw new SimError('NOT_FOUND', 'nothing arrived under this key');
  });

  router.get('/stats', (_req, res) => {
    res.json({
      ...stats.snapshot(),
      arrivals: store.count,
      storedBodies: store.storedBodies,
      receiptsWaiting: receipts.waiting,
      seed: faults.currentSeed(),
      memory: memoryMb(),
    });
  });

  router.get('/inbox/sms/:msisdn', (req, res) => {
    const { limit } = parseOrThrow(inboxQuery, req.query, 'query');
    const msisdn = String(req.params.msisdn);
    const { total, indices } = store.inbox('sms', msisdn, limit);
    const messages = indices.map((i) => {
      const a = store.arrival(i);
      const body = store.body(i);
      const sms = body?.kind === 'sms' ? body : undefined;
      return { ...a, from: sms?.from ?? null, text: sms?.text ?? null };
    });
    res.json({ msisdn, total, messages });
  });

  router.get('/inbox/email/:address', (req, res) => {
    const { limit } = parseOrThrow(inboxQuery, req.query, 'query');
    const address = String(req.params.address).toLowerCase();
    const { total, indices } = store.inbox('email', address, limit);
    const messages = indices.map((i) => {
      const a = store.arrival(i);
      const body = store.body(i);
      const email = body?.kind === 'email' ? body : undefined;
      const summary = email ? emailSummary(email.raw) : undefined;
      return {
        ...a,
        bodyAvailable: email !== undefined,
        from: summary?.from ?? null,
        subject: summary?.subject ?? null,
        date: summary?.date ?? null,
        size: email?.size ?? null,
      };
    });
    res.json({ address, total, messages });
  });

  router.get('/messages/:id', async (req, res) => {
    const i = store.indexOfMessageId(String(req.params.id));
    if (i < 0) throw new SimError('NOT_FOUND', 'no message with this id (in this run)');
    const body = store.body(i);
    if (req.query.format === 'raw') {
      if (!body) throw new SimError('NOT_FOUND', 'the body of this message is no longer kept');
      const raw = body.kind === 'sms' ? body.text : body.raw;
      res.type(body.kind === 'sms' ? 'text/plain' : 'message/rfc822').send(raw);
      return;
    }
    res.json(await viewMessage(store.arrival(i), body));
  });

  router.delete('/state', (_req, res) => {
    store.reset();
    stats.reset();
    faults.reset();
    receipts.clear();
    res.json({ status: 'reset' });
  });

  return router;
}
