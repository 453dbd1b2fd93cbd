import { z } from 'zod';
import { ACCOUNT_TYPES, CHANNELS, DATA_CATEGORIES, LOCALES } from '../domain';
import { US_REGIONS } from '../population/us-regions';
import { isoDate } from './common.schema';

/**
 * Registration input, one subscriber. Structure only: the safety rules (reserved numbers and email
 * domains, the carrier registry, DOMAIN.md §4.4) and the text hygiene rules are checked after this
 * by validate-subscriber.ts, so that every refusal gets its own code and its audit event. Unknown keys
 * are dropped (no mass assignment). `null` counts as absent for the optional fields, as exports often
 * write it.
 *
 * A registration replaces the registered fields of an existing (carrier, msisdn): an absent optional
 * field becomes empty, except the opt-out, which only a STOP/START or an erasure can clear.
 */
export const subscriberInput = z
  .object({
    /** Fictional carrier id from the registry (shared/carriers.ts). */
    carrier: z.string().min(1).max(64),
    /** E.164 in the fictional range +1NPA55501XX; anything else is refused, never corrected. */
    msisdn: z.string().min(1).max(32),
    email: z.string().min(3).max(254).nullish(),
    displayName: z.string().min(1).max(200).nullish(),
    locale: z.enum(LOCALES).default('en'),
    /** USPS code of the US state, DC or territory. */
    region: z.enum(US_REGIONS).nullish(),
    accountType: z.enum(ACCOUNT_TYPES).default('consumer'),
    /** What the intruders took about this subscriber (DOMAIN.md §1). */
    dataCategories: z.array(z.enum(DATA_CATEGORIES)).max(16).default([]),
    /** Channels the subscriber may be notified on. */
    channels: z.array(z.enum(CHANNELS)).min(1).max(4).default(['email', 'sms']),
    /** Already opted out of all notices, and since when. */
    optedOutAt: isoDate.nullish(),
    /** The carrier's own reference for this customer. */
    externalRef: z.string().min(1).max(128).nullish(),
  })
  .meta({ id: 'SubscriberInput' });
export type SubscriberInputRaw = z.infer<typeof subscriberInput>;

/** A validated registration, as the store writes it. */
export interface SubscriberInput {
  carrier: string;
  msisdn: string;
  email?: string | null;
  displayName?: string | null;
  locale: (typeof LOCALES)[number];
  region?: string | null;
  accountType: (typeof ACCOUNT_TYPES)[number];
  dataCategories: (typeof DATA_CATEGORIES)[number][];
  channels: (typeof CHANNELS)[number][];
  optedOutAt?: string | null;
  externalRef?: string | null;
}

export const subscriber = z
  .object({
    id: z.number(),
    carrier: z.string(),
    /** Masked (`+1********42`) unless the caller holds the pii:read scope; null after erasure. */
    msisdn: z.string().nullable(),
    email: z.string().nullable(),
    displayName: z.string().nullable(),
    locale: z.string(),
    region: z.string().nullable(),
    accountType: z.string(),
    dataCategories: z.array(z.string()),
    channels: z.array(z.string()),
    /** Opted out of all notices, at registration or by replying STOP to an SMS. */
    optedOut: z.boolean(),
    /** The earlier of the registered opt-out and the SMS STOP. */
    optedOutAt: z.string().nullable(),
    externalRef: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    /** True when msisdn, email and displayName are masked for this caller. */
    piiMasked: z.boolean(),
  })
  .meta({ id: 'Subscriber' });
export type Subscriber = z.infer<typeof subscriber>;

const BOOL_TEXT = ['true', 'false'] as const;

export const subscriberListQuery = z.object({
  carrier: z.string().min(1).max(64).optional(),
  region: z.enum(US_REGIONS).optional(),
  /** Subscribers whose exposed data includes this category. */
  dataCategory: z.enum(DATA_CATEGORIES).optional(),
  /** Subscribers who may be notified on this channel. */
  channel: z.enum(CHANNELS).optional(),
  accountType: z.enum(ACCOUNT_TYPES).optional(),
  locale: z.enum(LOCALES).optional(),
  /** `true`: opted out (at registration or by SMS STOP); `false`: reachable. */
  optedOut: z.enum(BOOL_TEXT).optional(),
  /** Cursor: the last id of the previous page (`nextCursor`). */
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type SubscriberListQuery = z.infer<typeof subscriberListQuery>;

export const subscriberPage = z
  .object({ items: z.array(subscriber), nextCursor: z.number().nullable() })
  .meta({ id: 'SubscriberPage' });

/**
 * Why one row of a bulk registration was refused. A closed vocabulary: reports and tests match on it.
 */
export const ROW_ERROR_CODES = [
  'MISSING_FIELD',
  'INVALID_TYPE',
  'INVALID_VALUE',
  'TOO_LONG',
  'UNKNOWN_CARRIER',
  'UNKNOWN_DATA_CATEGORY',
  'UNKNOWN_CHANNEL',
  'NOT_E164',
  'NOT_RESERVED_NUMBER',
  'BAD_EMAIL',
  'NOT_RESERVED_DOMAIN',
  'FORMULA_LIKE_VALUE',
  'CONTROL_CHARACTER',
  'DUPLICATE_IN_FILE',
  'OVERSIZE_ROW',
  'BAD_ENCODING',
  'MALFORMED_ROW',
  'COLUMN_COUNT',
] as const;
export type RowErrorCode = (typeof ROW_ERROR_CODES)[number];

/** Why reading a bulk body stopped before its end (the rows before it stay registered). */
export const STOP_CODES = ['MALFORMED_BODY', 'BODY_TOO_LARGE', 'TOO_MANY_ROWS'] as const;
export type StopCode = (typeof STOP_CODES)[number];

export const importError = z
  .object({
    /** Order of the error within its import; the cursor of GET .../errors. */
    seq: z.number(),
    /** Physical line where the record starts (1-based; the CSV header is line 1). */
    line: z.number(),
    /** Data record number (1-based: the header and blank lines do not count). */
    row: z.number(),
    /** Field (CSV: column name) at fault, or null for the whole record. */
    field: z.string().nullable(),
    code: z.enum(ROW_ERROR_CODES),
    /** Says what is wrong and what is expected; never echoes the value. */
    message: z.string(),
  })
  .meta({ id: 'ImportRowError' });
export type ImportError = z.infer<typeof importError>;

export const BULK_FORMATS = ['json', 'ndjson', 'csv', 'generated'] as const;
export type BulkFormat = (typeof BULK_FORMATS)[number];

/** Rows of errors stored per import (the counts stay exact beyond it). */
export const MAX_STORED_ERRORS = 100_000;
/** Errors shown in the bulk answer itself; the rest are paged from GET .../errors. */
export const ERRORS_IN_ANSWER = 100;

export const importResult = z
  .object({
    importId: z.string(),
    format: z.enum(BULK_FORMATS),
    /** False when reading stopped early (see `stoppedBy`); rows read before it are registered. */
    complete: z.boolean(),
    stoppedBy: z.object({ line: z.number(), code: z.enum(STOP_CODES), message: z.string() }).nullable(),
    /** Data records read: accepted + updated + unchanged + rejected. */
    rows: z.number(),
    /** New (carrier, msisdn) registered. */
    accepted: z.number(),
    /** Existing (carrier, msisdn) whose registered fields changed. */
    updated: z.number(),
    /** Existing (carrier, msisdn) already registered exactly so. */
    unchanged: z.number(),
    rejected: z.number(),
    /** The first errors, in line order. */
    errors: z.array(importError),
    /** Errors kept for paging (at most MAX_STORED_ERRORS). */
    errorsStored: z.number(),
    /** Pass as `after` to GET /v1/subscribers/imports/{importId}/errors for the rest; null: none left. */
    nextErrorsCursor: z.number().nullable(),
    startedAt: z.string(),
    finishedAt: z.string(),
  })
  .meta({ id: 'ImportResult' });
export type ImportResult = z.infer<typeof importResult>;

export const importErrorsQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(500),
});

export const importErrorsPage = z
  .object({ items: z.array(importError), nextCursor: z.number().nullable() })
  .meta({ id: 'ImportErrorsPage' });

export const importParams = z.object({ importId: z.uuid() });

/** Fractions of deliberately defective rows in a synthetic population (each 0–0.5, default 0). */
export const populationMix = z
  .object({
    /** Rows repeating an earlier row's carrier and number (refused as DUPLICATE_IN_FILE). */
    duplicates: z.number().min(0).max(0.5),
    /** Numbers a careless export would hold: national format, spaces, fullwidth digits, real ranges. */
    malformedNumbers: z.number().min(0).max(0.5),
    /** Rows sharing an earlier row's email (family and business plans; valid). */
    sharedEmails: z.number().min(0).max(0.5),
    /** Rows already opted out of all notices (valid). */
    optedOut: z.number().min(0).max(0.5),
  })
  .partial()
  .strict()
  .meta({ id: 'PopulationMix' });
export type PopulationMix = z.infer<typeof populationMix>;

export const generateRequest = z
  .object({
    count: z.number().int().min(1),
    /** Same seed, same options: the same population, byte for byte. */
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    /** Carrier ids to spread over; all nine by default. */
    carriers: z.array(z.string().min(1).max(64)).min(1).max(32).optional(),
    mix: populationMix.optional(),
  })
  .strict()
  .meta({ id: 'GenerateRequest' });
export type GenerateRequest = z.infer<typeof generateRequest>;

/**
 * CSV columns, in the order the generator writes them. Headers match case-insensitively and ignoring
 * `_`, `-` and spaces, so `displayName` and `display_name` both work; lists (data_categories,
 * channels) are separated by `;`.
 */
export const CSV_COLUMNS = {
  carrier: 'carrier',
  msisdn: 'msisdn',
  email: 'email',
  display_name: 'displayName',
  locale: 'locale',
  region: 'region',
  account_type: 'accountType',
  data_categories: 'dataCategories',
  channels: 'channels',
  opted_out_at: 'optedOutAt',
  external_ref: 'externalRef',
} as const satisfies Record<string, keyof SubscriberInputRaw>;
export type CsvColumn = keyof typeof CSV_COLUMNS;
export const CSV_HEADER = Object.keys(CSV_COLUMNS) as CsvColumn[];
export const CSV_LIST_SEPARATOR = ';';
