import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CHANNELS, type Channel } from './domain';
import { CARRIERS } from './carriers';

/**
 * Every queue name and job payload schema, in one place (STYLE.md §4).
 * Renaming a queue strands the jobs already in it: drain first, or keep the old name.
 * Payloads carry ids only, never a phone number or an email: BullMQ stores them in clear text.
 */

export const FANOUT_QUEUE = 'campaign-fan-out';
export const RECEIPTS_QUEUE = 'receipts';

export function deliverQueueName(channel: Channel, carrier: string): string {
  return `deliver-${channel}-${carrier}`;
}

export const DELIVER_QUEUES: readonly { name: string; channel: Channel; carrier: string }[] =
  CHANNELS.flatMap((channel) =>
    CARRIERS.map((c) => ({ name: deliverQueueName(channel, c.id), channel, carrier: c.id })),
  );

export const fanOutJob = z.object({ campaignId: z.number().int().positive() });
export type FanOutJob = z.infer<typeof fanOutJob>;

export const deliverJob = z.object({
  campaignId: z.number().int().positive(),
  channel: z.enum(CHANNELS),
  carrier: z.string(),
  ids: z.array(z.number().int().positive()).min(1).max(100),
});
export type DeliverJob = z.infer<typeof deliverJob>;

export const receiptsJob = z.object({
  receipts: z.array(
    z.object({
      idempotencyKey: z.string(),
      messageId: z.string(),
      carrier: z.string(),
      status: z.enum(['delivered', 'undeliverable', 'expired']),
      errorCode: z.string().nullable().optional(),
      at: z.string(),
    }),
  ),
});
export type ReceiptsJob = z.infer<typeof receiptsJob>;

/** Job ids must not contain ':' (BullMQ reserves it). */
export const jobIds = {
  fanOut: (campaignId: number) => `fanout-${campaignId}`,
  chunk: (campaignId: number, channel: Channel, carrier: string, firstId: number) =>
    `c${campaignId}-${channel}-${carrier}-${firstId}`,
  retry: (notificationId: number, attempt: number) => `r${notificationId}-a${attempt}`,
  /** Several retries in one job: named by what it holds, so the same batch enqueued twice is one job. */
  retryBatch: (members: readonly { id: number; attempt: number }[]) =>
    `rb-${createHash('sha256')
      .update(members.map((m) => `${m.id}.${m.attempt}`).join(','))
      .digest('hex')
      .slice(0, 24)}`,
};

/** Idempotency key and Message-ID for a notification: deterministic, so the sink can drop a resend. */
export function idempotencyKey(campaignId: number, notificationId: number): string {
  return `bd-${campaignId}-${notificationId}`;
}

export function messageIdFor(campaignId: number, notificationId: number): string {
  return `<bd-${campaignId}-${notificationId}@breach-drill.test>`;
}

export function parseIdempotencyKey(key: string): { campaignId: number; notificationId: number } | null {
  const m = /^bd-(\d+)-(\d+)$/.exec(key.replace(/^<|@breach-drill\.test>$/g, ''));
  if (!m) return null;
  return { campaignId: Number(m[1]), notificationId: Number(m[2]) };
}
