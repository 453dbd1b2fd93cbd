import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Carrier } from '../../shared/carriers';
import type { Logger } from '../../shared/logger';
import {
  carrierOf,
  issuesToDetails,
  jsonBody,
  parseOrThrow,
  requireGatewayKey,
  resolveCarrier,
} from './gateway-middleware';
import { FAULT_STATUS_CODES, SimError, type SimErrorDetail } from './sim-errors';
import type { Sleeper } from './sleeper';
import { MAX_BATCH, isSmsMessage, smsBatch, smsMessage, type SmsMessage } from './sms-message.schema';
import { submitSmsMessages, type SmsResult, type SubmitSmsDeps } from './submit-sms-messages';

export interface SmsGatewayDeps extends SubmitSmsDeps {
  sleeper: Sleeper;
  logger: Logger;
}

/**
 * The carriers' SMS gateways:
 * `POST /carriers/:carrier/messages/batch` `{ messages: [...] }` (1..100) → `{ results: [...] }`, and
 * `POST /carriers/:carrier/messages` (one message) → one result. Whole-request outcomes come first
 * (404 carrier, 401 key, outage 5xx, 429 empty bucket, 400 body, 429 bucket short of the batch,
 * injected 5xx or hang), then each message is accepted, a duplicate, or rejected.
 */
export function smsGatewayRouter(deps: SmsGatewayDeps): Router {
  const router = Router();
  const admitted = [resolveCarrier, requireGatewayKey, edgeChecks(deps), jsonBody];

  router.post('/carriers/:carrier/messages/batch', ...admitted, async (req, res) => {
    const messages = parseBatch(req.body);
    const results = await handleSubmission(req, res, carrierOf(res), messages, deps);
    if (results) res.json({ results });
  });

  router.post('/carriers/:carrier/messages', ...admitted, async (req, res) => {
    const message = parseOne(req.body);
    const results = await handleSubmission(req, res, carrierOf(res), [message], deps);
    if (results) res.json(results[0]);
  });

  return router;
}

/**
 * What a gateway's edge refuses before reading the body: an outage, or an empty token bucket (not
 * even one message fits). Cheap 429s keep a client that ignores Retry-After from eating the CPU.
 */
function edgeChecks(deps: SmsGatewayDeps): RequestHandler {
  return (_req, res, next) => {
    const carrier = carrierOf(res);
    const now = deps.now();
    const outage = deps.faults.sms(carrier).outage;
    if (outage && now < outage.untilMs) {
      deps.stats.fault(carrier.id, 'sms', `outage-${outage.status}`);
      res.set('Retry-After', String(Math.max(1, Math.ceil((outage.untilMs - now) / 1000))));
      throw new SimError(FAULT_STATUS_CODES[outage.status], `${carrier.id} is down (injected outage)`);
    }
    const bucket = deps.faults.smsBucket(carrier);
    const waitMs = bucket ? bucket.waitMs(1, now) : 0;
    if (bucket && waitMs > 0) throw rateLimited(res, carrier, deps, bucket.ratePerSec, waitMs);
    next();
  };
}

function rateLimited(res: Response, carrier: Carrier, deps: SmsGatewayDeps, rate: number, waitMs: number) {
  deps.stats.of(carrier.id, 'sms').throttled++;
  res.set('Retry-After', String(Math.ceil(waitMs / 1000)));
  return new SimError('RATE_LIMITED', `${carrier.id} accepts ${rate} messages/s`, [
    { code: 'RETRY_AFTER_MS', message: String(waitMs) },
  ]);
}

function parseBatch(body: unknown): SmsMessage[] {
  const list = (body as { messages?: unknown } | null)?.messages;
  if (Array.isArray(list) && list.length >= 1 && list.length <= MAX_BATCH && list.every(isSmsMessage)) {
    return list;
  }
  const batch = parseOrThrow(smsBatch, body, 'batch');
  if (batch.messages.length > MAX_BATCH) {
    throw new SimError('BATCH_TOO_LARGE', `a batch holds at most ${MAX_BATCH} messages`, [
      { path: 'messages', message: `got ${batch.messages.length}` },
    ]);
  }
  const messages: SmsMessage[] = [];
  const details: SimErrorDetail[] = [];
  batch.messages.forEach((m, i) => {
    const parsed = smsMessage.safeParse(m);
    if (parsed.success) messages.push(parsed.data);
    else details.push(...issuesToDetails(parsed.error.issues, `messages.${i}`));
  });
  if (details.length > 0) throw new SimError('VALIDATION_FAILED', 'invalid batch', details);
  return messages;
}

function parseOne(body: unknown): SmsMessage {
  return isSmsMessage(body) ? body : parseOrThrow(smsMessage, body, 'message');
}

/** Returns the per-message results, or null when the injected fault destroyed the socket. */
async function handleSubmission(
  req: Request,
  res: Response,
  carrier: Carrier,
  messages: SmsMessage[],
  deps: SmsGatewayDeps,
): Promise<SmsResult[] | null> {
  const { faults, stats, sleeper } = deps;
  const profile = faults.sms(carrier);
  const bucket = faults.smsBucket(carrier);
  const waitMs = bucket ? bucket.take(messages.length, deps.now()) : 0;
  if (bucket && waitMs > 0) throw rateLimited(res, carrier, deps, bucket.ratePerSec, waitMs);
  const { outcome, latencyMs } = faults.drawSmsRequest(carrier);
  if (latencyMs > 0) await sleeper.sleep(latencyMs);
  if (outcome === 'ok') return submitSmsMessages(carrier, messages, deps);
  stats.fault(carrier.id, 'sms', outcome);
  if (outcome !== 'timeout') {
    throw new SimError(FAULT_STATUS_CODES[outcome], 'injected gateway error; retry');
  }
  const hang = profile.timeout;
  const results = hang.processed ? submitSmsMessages(carrier, messages, deps) : null;
  await sleeper.sleep(hang.afterMs);
  if (hang.mode === 'destroy') {
    req.socket.destroy();
    return null;
  }
  if (!results) throw new SimError('GATEWAY_TIMEOUT', 'injected timeout; nothing was accepted');
  return results;
}
