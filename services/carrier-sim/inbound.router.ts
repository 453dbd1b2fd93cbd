import { Router } from 'express';
import { checkMsisdn } from '../../shared/safety';
import { carrierOf, jsonBody, parseOrThrow, resolveCarrier } from './gateway-middleware';
import { SimError } from './sim-errors';
import type { SimStats } from './sim-stats';
import { inboundReply } from './sms-message.schema';
import type { WebhookClient } from './webhook-client';

export const INBOUND_PATH = '/v1/webhooks/inbound';

/**
 * `POST /carriers/:carrier/inbound` `{ from, text }` simulates a subscriber texting the carrier's
 * sender (STOP, HELP, START, anything). It is answered 202 at once and forwarded to the api's inbound
 * webhook as `{ carrier, from, to, text, at }`, signed, retried until acknowledged. This is the sim's
 * control surface (like /faults), so it takes no gateway key.
 */
export function inboundRouter(deps: { webhook: WebhookClient; stats: SimStats; now: () => number }): Router {
  const router = Router();
  router.post('/carriers/:carrier/inbound', resolveCarrier, jsonBody, (req, res) => {
    const carrier = carrierOf(res);
    const reply = parseOrThrow(inboundReply, req.body, 'inbound reply');
    const problem = checkMsisdn(reply.from);
    if (problem) {
      throw new SimError('VALIDATION_FAILED', 'invalid inbound reply', [
        { path: 'from', code: problem.code, message: problem.message },
      ]);
    }
    const message = {
      carrier: carrier.id,
      from: reply.from,
      to: carrier.smsSender,
      text: reply.text,
      at: new Date(deps.now()).toISOString(),
    };
    deps.stats.inbound.accepted++;
    void deps.webhook.deliver(INBOUND_PATH, JSON.stringify(message), 'inbound').then((ok) => {
      if (ok) deps.stats.inbound.forwarded++;
    });
    res.status(202).json({ status: 'accepted', forwardedTo: INBOUND_PATH, message: { ...message } });
  });
  return router;
}
