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

/** Size is checked separately so an oversize batch gets its own code (BATCH_TOO_LARGE). */
export const smsBatch = z.object({ messages: z.array(z.unknown()).min(1) });

export const inboundReply = z.object({
  from: z.string().min(1).max(32),
  text: z.string().max(1600),
});

export type SmsMessage = z.infer<typeof smsMessage>;
export type InboundReply = z.infer<typeof inboundReply>;
