import { z } from 'zod';
import { AUDIT_EVENT_TYPES, CHANNELS } from '../domain';

export const auditQuery = z.object({
  campaign: z.coerce.number().int().positive().optional(),
  incident: z.coerce.number().int().positive().optional(),
  type: z.enum(AUDIT_EVENT_TYPES).optional(),
  carrier: z.string().max(64).optional(),
  channel: z.enum(CHANNELS).optional(),
  outcome: z.string().max(64).optional(),
  subscriber: z
    .string()
    .regex(/^[0-9a-f]{24}$/)
    .optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** Cursor: the last seq of the previous page. */
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.infer<typeof auditQuery>;

export const auditEvent = z
  .object({
    seq: z.number(),
    at: z.string(),
    type: z.string(),
    actor: z.string(),
    incidentId: z.number().nullable(),
    campaignId: z.number().nullable(),
    notificationId: z.number().nullable(),
    subscriberHash: z.string().nullable(),
    contactMasked: z.string().nullable(),
    carrier: z.string().nullable(),
    channel: z.string().nullable(),
    attempt: z.number().nullable(),
    outcome: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const auditPage = z
  .object({ items: z.array(auditEvent), nextCursor: z.number().nullable() })
  .meta({ id: 'AuditPage' });
