import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineRoute } from '../http/define-route';
import { errorBody } from '../../../shared/api/common.schema';
import { AppError } from '../../../shared/errors';
import { receiptsJob } from '../../../shared/queues';
import { SIGNATURE_HEADER, verifySignature } from '../../../shared/webhook-signature';
import type { ApiDeps } from '../steps/api-deps';
import { handleInboundSms } from '../steps/inbound-sms';

const inboundSms = z.object({
  carrier: z.string().max(64),
  from: z.string().max(32),
  to: z.string().max(32),
  text: z.string().max(1600),
  at: z.string().optional(),
});

/** Verifies the HMAC over the raw bytes, then parses them (the body arrives unparsed here). */
function verified<T>(deps: ApiDeps, raw: unknown, header: string | undefined, schema: z.ZodType<T>): T {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.alloc(0);
  const check = verifySignature(deps.config.WEBHOOK_SECRET, buf, header, deps.config.WEBHOOK_TOLERANCE_SEC);
  if (!check.ok) throw new AppError('BAD_SIGNATURE', `${check.reason}; sign with the shared WEBHOOK_SECRET`);
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    throw new AppError('INVALID_JSON', 'the webhook body is not valid JSON');
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    throw new AppError(
      'VALIDATION_FAILED',
      'invalid webhook body',
      r.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), code: i.code, message: i.message })),
    );
  }
  return r.data;
}

export function webhookRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/webhooks/receipts',
      summary: 'Delivery receipts from the carriers (batched, HMAC-signed)',
      tags: ['webhooks'],
      roles: ['gateway'],
      body: receiptsJob,
      bodyContentTypes: ['application/json'],
      responses: {
        200: { description: 'Queued for application', schema: z.object({ accepted: z.number() }) },
        400: { description: 'Malformed body', schema: errorBody },
        401: { description: 'Bad or missing signature', schema: errorBody },
        503: { description: 'Redis down; the carrier retries', schema: errorBody },
      },
      handler: async ({ req }) => {
        const body = verified(deps, req.body, req.get(SIGNATURE_HEADER), receiptsJob);
        // Same bytes, same job id: a carrier's retry after a lost ack is not queued twice.
        const jobId = createHash('sha256')
          .update(req.body as Buffer)
          .digest('hex')
          .slice(0, 32);
        await deps.queues.receipts.add('receipts', body, { jobId });
        return { status: 200, body: { accepted: body.receipts.length } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/webhooks/inbound',
      summary: 'Inbound SMS replies (STOP, HELP, START) from the carriers (HMAC-signed)',
      tags: ['webhooks'],
      roles: ['gateway'],
      body: inboundSms,
      bodyContentTypes: ['application/json'],
      responses: {
        200: { description: 'Applied', schema: z.object({ keyword: z.string(), changed: z.boolean() }) },
        400: { description: 'Malformed body', schema: errorBody },
        401: { description: 'Bad or missing signature', schema: errorBody },
      },
      handler: async ({ req }) => {
        const msg = verified(deps, req.body, req.get(SIGNATURE_HEADER), inboundSms);
        return { status: 200, body: await handleInboundSms(deps.db, msg, `gateway:${msg.carrier}`) };
      },
    }),
  ];
}
