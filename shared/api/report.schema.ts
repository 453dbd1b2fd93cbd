import { z } from 'zod';
import { CAMPAIGN_STATES, NOTIFICATION_STATES } from '../domain';

export const REPORT_FORMATS = ['json', 'csv', 'html'] as const;
/** The tables of a campaign report; CSV carries one table per request. */
export const REPORT_TABLES = [
  'counts',
  'latency',
  'throughput',
  'reasons',
  'retries',
  'not-delivered',
] as const;
export type ReportTable = (typeof REPORT_TABLES)[number];

export const campaignReportQuery = z.object({
  format: z.enum(REPORT_FORMATS).default('json'),
  /** CSV only: which table. */
  table: z.enum(REPORT_TABLES).default('counts'),
  /** "Why not delivered": cursor (notification id) and page size (JSON and HTML; CSV streams all). */
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** `contact`: clear contacts in "why not delivered" (pii:read scope; audited as pii.read). */
  reveal: z.enum(['contact']).optional(),
});
export type CampaignReportQuery = z.infer<typeof campaignReportQuery>;

const percentiles = z.object({
  n: z.number(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
  max: z.number().nullable(),
});

const latencyRow = percentiles.extend({
  /** null: all channels (or all carriers of the channel). */
  channel: z.string().nullable(),
  carrier: z.string().nullable(),
});
export type LatencyRow = z.infer<typeof latencyRow>;

export const notDeliveredItem = z.object({
  notificationId: z.number(),
  subscriberHash: z.string(),
  contactMasked: z.string().nullable(),
  contact: z.string().nullable().optional(),
  channel: z.string(),
  carrier: z.string(),
  state: z.enum(NOTIFICATION_STATES),
  /** Why, in words: the ledger's reason, or what the state means when it has none. */
  why: z.string(),
  reason: z.string().nullable(),
  carrierCode: z.string().nullable(),
  attempts: z.number(),
  /** Every audit event of this notification, oldest first. */
  trail: z.array(
    z.object({
      seq: z.number(),
      at: z.string(),
      type: z.string(),
      attempt: z.number().nullable(),
      outcome: z.string().nullable(),
      detail: z.string().nullable(),
    }),
  ),
});
export type NotDeliveredItem = z.infer<typeof notDeliveredItem>;

export const campaignReport = z
  .object({
    campaign: z.object({
      id: z.number(),
      incidentId: z.number(),
      kind: z.string(),
      state: z.enum(CAMPAIGN_STATES),
      channels: z.array(z.string()),
      createdAt: z.string(),
      triggeredAt: z.string().nullable(),
      completedAt: z.string().nullable(),
    }),
    generatedAt: z.string(),
    /** The ledger (one row per recipient × channel) is the source of every figure but `retries`. */
    totals: z.object({
      notifications: z.number(),
      /** Accepted by a carrier gateway or the SMTP sink: sent, delivered or undelivered. */
      reachedCarrier: z.number(),
      delivered: z.number(),
      notDelivered: z.number(),
      open: z.number(),
      byState: z.record(z.string(), z.number()),
    }),
    /** Counts by state × channel × carrier (long form, zero rows omitted). */
    counts: z.array(z.object({ state: z.string(), channel: z.string(), carrier: z.string(), n: z.number() })),
    latencyMs: z.object({
      triggerToSent: z.array(latencyRow),
      sentToDelivered: z.array(latencyRow),
    }),
    throughput: z.object({
      bucketSeconds: z.number(),
      start: z.string().nullable(),
      buckets: z.array(
        z.object({ start: z.string(), sent: z.number(), delivered: z.number(), failed: z.number() }),
      ),
      peakSentPerSec: z.number(),
    }),
    /** Top reasons a notification ended failed, undelivered, suppressed or cancelled. */
    failureReasons: z.array(
      z.object({
        state: z.string(),
        channel: z.string(),
        carrierCode: z.string().nullable(),
        reason: z.string().nullable(),
        n: z.number(),
      }),
    ),
    /** Attempts that did not succeed at once (from the audit log): retries and releases by code. */
    retries: z.array(
      z.object({
        channel: z.string().nullable(),
        carrier: z.string().nullable(),
        code: z.string().nullable(),
        n: z.number(),
      }),
    ),
    notDelivered: z.object({
      total: z.number(),
      items: z.array(notDeliveredItem),
      nextCursor: z.number().nullable(),
    }),
  })
  .meta({ id: 'CampaignReport' });
export type CampaignReport = z.infer<typeof campaignReport>;
