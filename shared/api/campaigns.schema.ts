import { z } from 'zod';
import { CAMPAIGN_STATES, CHANNELS, LOCALES, type NoticeKind } from '../domain';
import { audienceFilter } from '../ledger/audience';
import { isoDate } from './common.schema';

/** How far ahead a start time may be set: a drill is scheduled for days, not months. */
export const MAX_START_AHEAD_DAYS = 30;
/** Bounds of a campaign's throttle, in notifications per second. */
export const THROTTLE_MIN_PER_SEC = 1;
export const THROTTLE_MAX_PER_SEC = 100_000;

const channelList = z
  .array(z.enum(CHANNELS))
  .min(1)
  .max(2)
  .refine((c) => new Set(c).size === c.length, 'channels must not repeat');

export const campaignInput = z
  .object({
    incidentId: z.number().int().positive(),
    // Law-enforcement reports go to a reporting sink, and corrections follow an original campaign:
    // both have their own endpoints, so a customer campaign is one of these two kinds.
    kind: z.enum(['agency-advisory', 'carrier-notice'] satisfies NoticeKind[]),
    channels: channelList,
    // A correction's audience (recipientsOfCampaign) is set by POST /v1/campaigns/:id/correction only.
    audience: audienceFilter.omit({ recipientsOfCampaign: true }).strict().default({}),
    locale: z.enum(LOCALES).optional(),
    /** @defaultValue at trigger */
    startAt: isoDate.optional().meta({
      description:
        'When delivery begins: an ISO 8601 instant with an offset, at most 30 days ahead. A trigger ' +
        'before it leaves the campaign `triggered` until then; a trigger after it starts at once.',
    }),
    /** @defaultValue no campaign limit (the carriers' own limits still apply) */
    throttle: z.number().int().min(THROTTLE_MIN_PER_SEC).max(THROTTLE_MAX_PER_SEC).optional().meta({
      description:
        'At most this many notifications of this campaign per second, email and SMS together, across every worker.',
    }),
  })
  .meta({ id: 'CampaignInput' });
export type CampaignInput = z.infer<typeof campaignInput>;

const counts = z.record(z.string(), z.number());

export const campaign = z
  .object({
    id: z.number(),
    incidentId: z.number(),
    kind: z.string(),
    channels: z.array(z.string()),
    audience: z.record(z.string(), z.unknown()),
    locale: z.string().nullable(),
    /** Delivery begins at this instant (null: at trigger). */
    startAt: z.string().nullable(),
    /** At most this many notifications per second (null: no campaign limit). */
    throttle: z.number().nullable(),
    state: z.enum(CAMPAIGN_STATES),
    fanOutDone: z.boolean(),
    triggeredAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    createdAt: z.string(),
    createdBy: z.string().nullable(),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
    /** Paused by an agency hold; the hold's release resumes it. */
    pausedByHold: z.boolean(),
    /** Set when every recipient was suppressed (amended regime, no-harm determination). */
    suppressedReason: z.string().nullable(),
    /** For a correction: the campaign it corrects. */
    correctsCampaignId: z.number().nullable(),
    counts: z.object({
      total: z.number(),
      byState: counts,
      byChannel: z.record(z.string(), counts),
    }),
  })
  .meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof campaign>;

export const triggerAccepted = z
  .object({
    id: z.number(),
    state: z.enum(CAMPAIGN_STATES),
    statusUrl: z.string(),
    /** When delivery begins: the campaign's startAt, or now when that is unset or past. */
    startsAt: z.string().optional(),
    /** Amended regime with a no-harm determination: recipients suppressed (and audited), none sent. */
    suppressed: z.number().optional(),
  })
  .meta({ id: 'TriggerAccepted' });

export const reconcileReport = z
  .object({
    campaigns: z.number(),
    fanOutRestarted: z.number(),
    expiredResolved: z.number(),
    redriven: z.number(),
    completed: z.number(),
  })
  .meta({ id: 'ReconcileReport' });

export const previewInput = z
  .object({
    /** Subscribers of the audience to render for (lowest ids first). @defaultValue 3 */
    sampleSize: z.number().int().min(1).max(20).default(3),
  })
  .meta({ id: 'PreviewInput' });

const lintProblem = z.object({ rule: z.string(), message: z.string() });

export const campaignPreview = z
  .object({
    campaignId: z.number(),
    kind: z.string(),
    ok: z.boolean(),
    samples: z.array(
      z.object({
        /** null: no subscriber in the audience yet, rendered for a placeholder of this carrier. */
        subscriberId: z.number().nullable(),
        carrier: z.string(),
        locale: z.string(),
        email: z
          .object({
            to: z.string().nullable(),
            subject: z.string(),
            text: z.string(),
            html: z.string(),
            headers: z.record(z.string(), z.string()),
            lint: z.array(lintProblem),
          })
          .optional(),
        sms: z
          .object({
            to: z.string().nullable(),
            text: z.string(),
            encoding: z.string(),
            units: z.number(),
            segments: z.number(),
            lint: z.array(lintProblem),
          })
          .optional(),
        wireless: z.object({ short: z.string(), long: z.string() }),
      }),
    ),
    cap: z.object({ xml: z.string(), lint: z.array(lintProblem) }),
  })
  .meta({ id: 'CampaignPreview' });
export type CampaignPreview = z.infer<typeof campaignPreview>;

export const correctionInput = z
  .object({
    /** Channels of the correction, among the original's. @defaultValue the original's channels */
    channels: channelList.optional(),
  })
  .meta({ id: 'CorrectionInput' });
export type CorrectionInput = z.infer<typeof correctionInput>;
