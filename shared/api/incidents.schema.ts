import { z } from 'zod';
import { DATA_CATEGORIES, REGIMES, TLP_LABELS } from '../domain';
import { lawEnforcementReportSchema } from '../notices/law-enforcement-report';
import { isoDate } from './common.schema';

/** A written basis: what the record rests on, in the recorder's words. */
const writtenBasis = z.string().trim().min(10, 'a written basis of at least 10 characters').max(4000);
const agencyName = z.string().trim().min(1).max(200);

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
    // Checked against the fictional carrier registry by the step: UNKNOWN_CARRIER, not a schema error.
    carriers: z.array(z.string().min(1).max(64)).min(1).max(50),
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
    /** Legacy regime: "urgent need, agency consulted", lifting the 7-business-day wait. */
    urgentNeedOverride: z
      .object({ at: z.string(), agencyConsulted: z.string(), basis: z.string(), by: z.string() })
      .nullable(),
    /** Amended regime: "no harm reasonably likely", suppressing customer notices. */
    noHarmDetermination: z.object({ at: z.string(), basis: z.string(), by: z.string() }).nullable(),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Incident' });
export type Incident = z.infer<typeof incident>;

/** The report to the (simulated) FCC / Secret Service / FBI facility: the seven fields, plus who sends it. */
export const lawEnforcementReportInput = lawEnforcementReportSchema
  .extend({
    /** The reporting carrier, one of the incident's. @defaultValue the incident's first carrier */
    carrier: z.string().min(1).max(64).optional(),
    locale: z.enum(['en', 'es']).default('en'),
  })
  .meta({ id: 'LawEnforcementReportInput' });
export type LawEnforcementReportInput = z.infer<typeof lawEnforcementReportInput>;

export const lawEnforcementReportSent = z
  .object({
    incidentId: z.number(),
    sentAt: z.string(),
    recipient: z.string(),
    messageId: z.string(),
    subject: z.string(),
    carrier: z.string(),
  })
  .meta({ id: 'LawEnforcementReportSent' });

export const holdInput = z
  .object({
    agency: agencyName,
    /** When the agency directed the hold; not in the future. @defaultValue now */
    directedAt: isoDate.optional(),
    /** When the hold lapses unless extended or released; at most 30 days after directedAt. */
    until: isoDate,
    basis: writtenBasis,
  })
  .meta({ id: 'HoldInput' });
export type HoldInput = z.infer<typeof holdInput>;

export const holdExtensionInput = z
  .object({ until: isoDate, basis: writtenBasis })
  .meta({ id: 'HoldExtensionInput' });
export type HoldExtensionInput = z.infer<typeof holdExtensionInput>;

export const holdReleaseInput = z.object({ basis: writtenBasis }).meta({ id: 'HoldReleaseInput' });
export type HoldReleaseInput = z.infer<typeof holdReleaseInput>;

export const holdParams = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  holdId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

export const hold = z
  .object({
    id: z.number(),
    incidentId: z.number(),
    agency: z.string(),
    directedAt: z.string(),
    until: z.string(),
    basis: z.string(),
    directedBy: z.string(),
    active: z.boolean(),
    releasedAt: z.string().nullable(),
    releaseBasis: z.string().nullable(),
    releasedBy: z.string().nullable(),
    extensions: z.array(
      z.object({
        at: z.string(),
        previousUntil: z.string(),
        until: z.string(),
        basis: z.string(),
        by: z.string(),
      }),
    ),
    /** Campaigns this action paused or resumed. */
    campaignsPaused: z.array(z.number()).optional(),
    campaignsResumed: z.array(z.number()).optional(),
  })
  .meta({ id: 'Hold' });
export type Hold = z.infer<typeof hold>;

export const determinationInput = z
  .object({
    finding: z.literal('no-harm-reasonably-likely'),
    basis: writtenBasis,
  })
  .meta({ id: 'DeterminationInput' });
export type DeterminationInput = z.infer<typeof determinationInput>;

export const urgentNeedInput = z
  .object({ agencyConsulted: agencyName, basis: writtenBasis })
  .meta({ id: 'UrgentNeedInput' });
export type UrgentNeedInput = z.infer<typeof urgentNeedInput>;

const deadline = z.object({
  id: z.string(),
  label: z.string(),
  dueDate: z.string(),
  dueAt: z.string(),
  status: z.enum(['due', 'met', 'missed', 'not-applicable']),
  metAt: z.string().optional(),
  completedAt: z.string().optional(),
  rule: z.string(),
});

export const timelineEvent = z.object({
  at: z.string(),
  type: z.string(),
  summary: z.string(),
  campaignId: z.number().nullable(),
  actor: z.string(),
});

export const incidentTimeline = z
  .object({
    incidentId: z.number(),
    regime: z.string(),
    timeZone: z.string(),
    asOf: z.string(),
    determinedAt: z.string(),
    deadlines: z.array(deadline),
    next: deadline.nullable(),
    missed: z.array(deadline),
    customerNotices: z.object({
      /** From when customer notices may go out and stay allowed; null while blocked indefinitely. */
      allowedFrom: z.string().nullable(),
      allowedNow: z.boolean(),
      suppressed: z.boolean(),
      blockedReasons: z.array(z.object({ code: z.string(), description: z.string() })),
      firstSentAt: z.string().nullable(),
    }),
    lawEnforcementReport: lawEnforcementReportSent.nullable(),
    holds: z.array(hold),
    noHarmDetermination: incident.shape.noHarmDetermination,
    urgentNeedOverride: incident.shape.urgentNeedOverride,
    /** The incident's own audit events (no per-notification ones), in order. */
    events: z.array(timelineEvent),
  })
  .meta({ id: 'IncidentTimeline' });
export type IncidentTimeline = z.infer<typeof incidentTimeline>;

export const afterActionQuery = z.object({ format: z.enum(['md', 'html']).default('md') });
