import { z } from 'zod';
import { AUDIT_EVENT_TYPES, CHANNELS } from '../domain';

/** Filters shared by GET /v1/audit and GET /v1/audit/export; every one narrows. */
export const auditFilters = z.object({
  campaign: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** Events of the incident and of its campaigns (receipts carry only the campaign). */
  incident: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** Hashed subscriber id; includes the receipts of that subscriber's notifications. */
  subscriber: z
    .string()
    .regex(/^[0-9a-f]{24}$/, '24 lower-case hex digits (the subscriberHash of an event)')
    .optional(),
  notification: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  type: z.enum(AUDIT_EVENT_TYPES).optional(),
  carrier: z.string().min(1).max(64).optional(),
  channel: z.enum(CHANNELS).optional(),
  outcome: z.string().min(1).max(64).optional(),
  actor: z.string().min(1).max(128).optional(),
  /** Time range, from inclusive, to exclusive (ISO 8601 with offset). */
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export type AuditFilters = z.infer<typeof auditFilters>;

export const auditQuery = auditFilters.extend({
  /** Cursor: the last seq of the previous page (`nextCursor`). */
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** `contact`: add the clear phone number or email (needs the pii:read scope; audited as pii.read). */
  reveal: z.enum(['contact']).optional(),
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
    /** Only with reveal=contact and the pii:read scope. */
    contact: z.string().nullable().optional(),
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

export const EXPORT_FORMATS = ['csv', 'ndjson', 'bundle'] as const;

export const auditExportQuery = auditFilters.extend({
  format: z.enum(EXPORT_FORMATS).default('ndjson'),
  /** csv and ndjson: continue after this seq (an export stops at EXPORT_MAX_ROWS and says where). */
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type AuditExportQuery = z.infer<typeof auditExportQuery>;

export const auditVerifyQuery = z.object({
  /**
   * Where the walk starts: `genesis` (the whole chain), `checkpoint` (the latest trusted signed
   * checkpoint), or a checkpoint's seq.
   */
  from: z
    .union([z.enum(['genesis', 'checkpoint']), z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER)])
    .default('genesis'),
});
export type AuditVerifyQuery = z.infer<typeof auditVerifyQuery>;

export const auditVerifyResult = z
  .object({
    ok: z.boolean(),
    /** The first seq at which the stored log is not the true log; null when ok. */
    firstBadSeq: z.number().nullable(),
    reason: z.string().nullable(),
    fromSeq: z.number(),
    headSeq: z.number(),
    headHash: z.string(),
    rowsChecked: z.number(),
    checkpoints: z.object({
      checked: z.number(),
      trusted: z.number(),
      /** Checkpoints signed by a key this api does not hold (another process's generated key). */
      untrustedKeyIds: z.array(z.string()),
    }),
    durationMs: z.number(),
  })
  .meta({ id: 'AuditVerifyResult' });
export type AuditVerifyResult = z.infer<typeof auditVerifyResult>;

export const auditPublicKey = z
  .object({
    algorithm: z.literal('Ed25519'),
    keyId: z.string(),
    /** SPKI PEM. */
    publicKey: z.string(),
    /** What a checkpoint signature covers. */
    signs: z.string(),
    checkpointEvery: z.number(),
    checkpointSeconds: z.number(),
    latestCheckpoint: z
      .object({
        seq: z.number(),
        hash: z.string(),
        time: z.string(),
        keyId: z.string(),
        signature: z.string(),
      })
      .nullable(),
  })
  .meta({ id: 'AuditPublicKey' });

export const auditCheckpointList = z
  .object({
    items: z.array(
      z.object({
        seq: z.number(),
        hash: z.string(),
        time: z.string(),
        keyId: z.string(),
        signature: z.string(),
      }),
    ),
    nextCursor: z.number().nullable(),
  })
  .meta({ id: 'AuditCheckpointList' });

export const auditCheckpointQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
