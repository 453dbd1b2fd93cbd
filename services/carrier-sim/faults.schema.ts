import { z } from 'zod';
import { CARRIER_IDS } from '../../shared/carriers';

/**
 * The body of `PUT /faults`: fault profiles per carrier and channel, validated once at the boundary.
 * `all` applies to every carrier (and to email for reserved domains that belong to no carrier); a
 * carrier's own entry overrides `all` field by field. Anything not set keeps the carrier's default
 * behaviour from shared/carriers.ts.
 */

const MAX_DELAY_MS = 3_600_000; // an hour: a longer delay is a typo, not a fault
const MAX_OUTAGE_MS = 7 * 24 * 3_600_000;

const ms = z.number().min(0).max(MAX_DELAY_MS);
const probability = z.number().min(0).max(1);

function ratesSumAtMostOne(rates: Record<string, number | undefined>): boolean {
  return Object.values(rates).reduce<number>((sum, r) => sum + (r ?? 0), 0) <= 1 + 1e-9;
}

const latency = z
  .strictObject({ p50: ms, p99: ms })
  .refine((l) => l.p99 >= l.p50, { message: 'p99 must be at least p50' });

function outage<S extends z.ZodType>(status: S) {
  return z
    .strictObject({
      /** Down until this instant (ISO 8601 with offset). */
      until: z.iso.datetime({ offset: true }).optional(),
      /** Down for this many ms from the moment the profile is PUT. */
      forMs: z.number().int().positive().max(MAX_OUTAGE_MS).optional(),
      status: status.optional(),
    })
    .refine((o) => (o.until === undefined) !== (o.forMs === undefined), {
      message: 'give exactly one of until or forMs',
    });
}

export const receiptFaults = z.strictObject({
  /** Acceptance → receipt delay; default: the carrier's profile.receiptLatencyMs. */
  latencyMs: latency.optional(),
  /** Extra fixed delay added to every receipt, in ms. */
  delayMs: ms.optional(),
  /** Share of receipts posted twice (the copy later, often in another batch). */
  duplicateRate: probability.optional(),
  /** Shuffle this carrier's receipts inside each flush. */
  reorder: z.boolean().optional(),
  /** Share of receipts never posted. */
  dropRate: probability.optional(),
  /** Share of receipts with status "undeliverable" (errorCode UNKNOWN_SUBSCRIBER). */
  undeliverableRate: probability.optional(),
  /** Share of receipts with status "expired" (errorCode VALIDITY_EXPIRED). */
  expiredRate: probability.optional(),
});

export const smsFaults = z.strictObject({
  /** Gateway response time; default: the carrier's profile.responseLatencyMs. */
  latencyMs: latency.optional(),
  /** Whole-request failures by share of requests: HTTP 500/502/503, or a hang ("timeout"). */
  errorRates: z
    .strictObject({ '500': probability, '502': probability, '503': probability, timeout: probability })
    .partial()
    .refine(ratesSumAtMostOne, { message: 'error rates must add up to at most 1' })
    .optional(),
  /** What a "timeout" does. Defaults: afterMs 15000, mode "late", processed true. */
  timeout: z
    .strictObject({
      /** How long the request hangs, in ms. */
      afterMs: ms,
      /** "late": answer after the hang; "destroy": drop the socket after the hang. */
      mode: z.enum(['late', 'destroy']),
      /** Whether the messages were accepted before the hang (the ambiguous case workers must resolve). */
      processed: z.boolean(),
    })
    .partial()
    .optional(),
  /** Submission limit override (messages/s, burst in messages), or "off" for no limit. */
  submitLimit: z
    .union([
      z.literal('off'),
      z.strictObject({
        ratePerSec: z.number().positive().max(10_000_000),
        burst: z.number().positive().max(10_000_000).optional(),
      }),
    ])
    .optional(),
  /** Share of numbers permanently rejected as BLOCKED (a stable subset per seed, carrier and number). */
  rejectRate: probability.optional(),
  /** Numbers always rejected as BLOCKED. */
  blocked: z.array(z.string().max(32)).max(10_000).optional(),
  outage: outage(z.union([z.literal(500), z.literal(502), z.literal(503)])).optional(),
  receipts: receiptFaults.optional(),
});

const smtpStage = z.enum(['rcpt', 'data']);

export const emailFaults = z.strictObject({
  /** Delay before the reply to the end of DATA (log-normal p50/p99), in ms. */
  latencyMs: latency.optional(),
  /** Fixed delay before the reply to each verb, in ms. connect and mail come from `all`. */
  verbDelayMs: z.strictObject({ connect: ms, mail: ms, rcpt: ms, data: ms }).partial().optional(),
  /** Replies by share of messages: 421 (closes the connection), 451 temporary, 550 permanent. */
  errorRates: z
    .strictObject({ '421': probability, '451': probability, '550': probability })
    .partial()
    .refine(ratesSumAtMostOne, { message: 'error rates must add up to at most 1' })
    .optional(),
  /** Where injected error replies happen; default "rcpt". */
  errorStage: smtpStage.optional(),
  /** Above this many messages/s (per carrier) RCPT gets 421; burst is one second's worth. */
  maxPerSec: z.number().positive().max(10_000_000).optional(),
  /** Share of messages whose connection is dropped without a reply. */
  dropRate: probability.optional(),
  /** "rcpt": dropped before anything is stored; "data" (default): stored, then dropped before 250. */
  dropStage: smtpStage.optional(),
  outage: outage(z.union([z.literal(421), z.literal(451), z.literal(550)])).optional(),
});

export const carrierFaults = z.strictObject({ sms: smsFaults.optional(), email: emailFaults.optional() });

export const faultsInput = z.strictObject({
  /** Reseeds every PRNG; default: the seed the sim was started with. */
  seed: z.number().int().min(0).max(0xffffffff).optional(),
  all: carrierFaults.optional(),
  carriers: z.partialRecord(z.enum(CARRIER_IDS), carrierFaults).optional(),
});

export type SmsFaults = z.infer<typeof smsFaults>;
export type EmailFaults = z.infer<typeof emailFaults>;
export type ReceiptFaults = z.infer<typeof receiptFaults>;
export type CarrierFaults = z.infer<typeof carrierFaults>;
export type FaultsInput = z.infer<typeof faultsInput>;
