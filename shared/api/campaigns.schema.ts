import { z } from 'zod';
import { CAMPAIGN_STATES, CHANNELS, LOCALES, type NoticeKind } from '../domain';
import { audienceFilter } from '../ledger/audience';

export const campaignInput = z
  .object({
    incidentId: z.number().int().positive(),
    // Law-enforcement reports go to a reporting sink, and corrections follow an original campaign:
    // both have their own endpoints, so a customer campaign is one of these two kinds.
    kind: z.enum(['agency-advisory', 'carrier-notice'] satisfies NoticeKind[]),
    channels: z
      .array(z.enum(CHANNELS))
      .min(1)
      .max(2)
      .refine((c) => new Set(c).size === c.length, 'channels must not repeat'),
    audience: audienceFilter.default({}),
    locale: z.enum(LOCALES).optional(),
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
    state: z.enum(CAMPAIGN_STATES),
    fanOutDone: z.boolean(),
    triggeredAt: z.string().nullable(),
    completedAt: z.string().nullable(),
    createdAt: z.string(),
    counts: z.object({
      total: z.number(),
      byState: counts,
      byChannel: z.record(z.string(), counts),
    }),
  })
  .meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof campaign>;

export const triggerAccepted = z
  .object({ id: z.number(), state: z.enum(CAMPAIGN_STATES), statusUrl: z.string() })
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
