import { z } from 'zod';
import { DATA_CATEGORIES, REGIMES, TLP_LABELS } from '../domain';
import { CARRIER_IDS } from '../carriers';
import { isoDate } from './common.schema';

export const incidentInput = z
  .object({
    exerciseId: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]{1,64}$/,
        'letters, digits, dot, underscore and dash only (no spaces, commas, < or &)',
      ),
    title: z.string().min(1).max(200),
    threatActor: z.string().min(1).max(100),
    carriers: z.array(z.enum(CARRIER_IDS)).min(1),
    dataCategories: z.array(z.enum(DATA_CATEGORIES)).min(1),
    window: z.object({ start: isoDate, end: isoDate }),
    determinedAt: isoDate,
    regime: z.enum(REGIMES).default('amended'),
    tlp: z.enum(TLP_LABELS).default('TLP:CLEAR'),
    advisoryId: z.string().optional(),
  })
  .refine((v) => Date.parse(v.window.end) >= Date.parse(v.window.start), {
    message: 'window.end must not be before window.start',
    path: ['window', 'end'],
  })
  .meta({ id: 'IncidentInput' });
export type IncidentInput = z.infer<typeof incidentInput>;

export const incident = z
  .object({
    id: z.number(),
    exerciseId: z.string(),
    title: z.string(),
    threatActor: z.string(),
    carriers: z.array(z.string()),
    dataCategories: z.array(z.string()),
    window: z.object({ start: z.string(), end: z.string() }),
    determinedAt: z.string(),
    regime: z.string(),
    tlp: z.string(),
    advisoryId: z.string(),
    lawEnforcementReportSentAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Incident' });
export type Incident = z.infer<typeof incident>;
