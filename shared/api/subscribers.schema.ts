import { z } from 'zod';
import { ACCOUNT_TYPES, CHANNELS, DATA_CATEGORIES, LOCALES } from '../domain';

/** Registration input. Unknown keys are dropped (no mass assignment); safety is checked after. */
export const subscriberInput = z
  .object({
    carrier: z.string().min(1).max(64),
    msisdn: z.string().min(1).max(32),
    email: z.string().min(3).max(254).optional(),
    displayName: z.string().max(200).optional(),
    locale: z.enum(LOCALES).default('en'),
    region: z.string().max(64).optional(),
    accountType: z.enum(ACCOUNT_TYPES).default('consumer'),
    dataCategories: z.array(z.enum(DATA_CATEGORIES)).max(DATA_CATEGORIES.length).default([]),
    channels: z.array(z.enum(CHANNELS)).min(1).max(2).default(['email', 'sms']),
    externalRef: z.string().max(128).optional(),
  })
  .meta({ id: 'SubscriberInput' });
export type SubscriberInput = z.infer<typeof subscriberInput>;

export const subscriber = z
  .object({
    id: z.number(),
    carrier: z.string(),
    msisdn: z.string().nullable(),
    email: z.string().nullable(),
    displayName: z.string().nullable(),
    locale: z.string(),
    region: z.string().nullable(),
    accountType: z.string(),
    dataCategories: z.array(z.string()),
    channels: z.array(z.string()),
    optedOutAt: z.string().nullable(),
    externalRef: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Subscriber' });
export type Subscriber = z.infer<typeof subscriber>;
