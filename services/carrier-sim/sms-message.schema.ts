import { z } from 'zod';

/** One SMS as the gateway takes it (single and batch endpoints). */
export const smsMessage = z.object({
  to: z.string().min(1).max(32),
  from: z.string().min(1).max(32),
  text: z.string().min(1).max(1600), // 10 concatenated segments, like common gateways
  idempotencyKey: z.string().min(1).max(200),
  campaignId: z.number().int().positive().optional(),
});

export const MAX_BATCH = 100;

const within = (v: unknown, min: number, max: number): boolean =>
  typeof v === 'string' && v.length >= min && v.length <= max;

/**
 * The gateway's hot path: the same rules as `smsMessage`, checked without building a copy. A batch
 * that fails it is parsed again with the schema, which produces the error details
 * (tests/unit/carrier-sim-sms-message.test.ts keeps the two in step).
 */
export function isSmsMessage(v: unknown): v is SmsMessage {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as Record<string, unknown>;
  const c = m.campaignId;
  return (
    within(m.to, 1, 32) &&
    within(m.from, 1, 32) &&
    within(m.text, 1, 1600) &&
    within(m.idempotencyKey, 1, 200) &&
    (c === undefined || (typeof c === 'number' && Number.isSafeInteger(c) && c > 0))
  );
}

/** Size is checked separately so an oversize batch gets its own code (BATCH_TOO_LARGE). */
export const smsBatch = z.object({ messages: z.array(z.unknown()).min(1) });

export const inboundReply = z.object({
  from: z.string().min(1).max(32),
  text: z.string().max(1600),
});

export type SmsMessage = z.infer<typeof smsMessage>;
export type InboundReply = z.infer<typeof inboundReply>;
