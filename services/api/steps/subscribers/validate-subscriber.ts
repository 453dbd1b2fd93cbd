import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { findCarrier } from '../../../../shared/carriers';
import { ACCOUNT_TYPES, CHANNELS, DATA_CATEGORIES, LOCALES } from '../../../../shared/domain';
import { US_REGIONS } from '../../../../shared/population/us-regions';
import { checkEmail, checkMsisdn } from '../../../../shared/safety';
import {
  subscriberInput,
  type RowErrorCode,
  type SubscriberInput,
  type SubscriberInputRaw,
} from '../../../../shared/api/subscribers.schema';

/** One reason a row is refused. `field` uses the API's names (camelCase); null: the whole row. */
export interface RowProblem {
  field: string | null;
  code: RowErrorCode;
  message: string;
}

export type Validation = { ok: true; value: SubscriberInput } | { ok: false; problems: RowProblem[] };

/** A row reports at most this many problems; one is enough to refuse it. */
const MAX_PROBLEMS_PER_ROW = 5;

// C0/C1 controls and the bidirectional overrides and isolates ("Trojan Source"): never in a field.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
// A spreadsheet runs a cell that starts with one of these as a formula (CSV injection). Refused in
// free-text fields rather than escaped: the registry keeps what it was given, or nothing.
const FORMULA_START = /^[=+\-@]/;
// U+FFFD: the decoder met bytes that are not UTF-8 (or the sender's own decoder already had).
const REPLACEMENT = '\uFFFD';

const FREE_TEXT_FIELDS = ['displayName', 'externalRef'] as const;

const ALLOWED = {
  dataCategories: DATA_CATEGORIES.join(', '),
  channels: CHANNELS.join(', '),
};

function issueProblem(issue: z.core.$ZodIssue, raw: Record<string, unknown>): RowProblem {
  const field = issue.path.length > 0 ? String(issue.path[0]) : null;
  const value = field === null ? undefined : raw[field];
  const name = field ?? 'row';
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return { field, code: 'MISSING_FIELD', message: `${name} is required` };
      return { field, code: 'INVALID_TYPE', message: `${name} must be ${describeExpected(issue.expected)}` };
    case 'too_small':
      if (typeof value === 'string') return { field, code: 'MISSING_FIELD', message: `${name} is empty` };
      return {
        field,
        code: 'INVALID_VALUE',
        message: `${name} needs at least ${String(issue.minimum)} entry`,
      };
    case 'too_big':
      if (typeof value === 'string') {
        return {
          field,
          code: 'TOO_LONG',
          message: `${name} is longer than ${String(issue.maximum)} characters`,
        };
      }
      return {
        field,
        code: 'INVALID_VALUE',
        message: `${name} has more than ${String(issue.maximum)} entries`,
      };
    case 'invalid_value':
      if (field === 'dataCategories') {
        return {
          field,
          code: 'UNKNOWN_DATA_CATEGORY',
          message: `dataCategories may only hold: ${ALLOWED.dataCategories}`,
        };
      }
      if (field === 'channels') {
        return { field, code: 'UNKNOWN_CHANNEL', message: `channels may only hold: ${ALLOWED.channels}` };
      }
      return {
        field,
        code: 'INVALID_VALUE',
        message: `${name} must be one of: ${issue.values.map(String).join(', ')}`,
      };
    case 'invalid_format':
      return {
        field,
        code: 'INVALID_VALUE',
        message: `${name} must be an ISO 8601 date-time with an offset, e.g. 2024-10-01T12:00:00Z`,
      };
    default:
      return { field, code: 'INVALID_VALUE', message: `${name} is not valid` };
  }
}

function describeExpected(expected: string): string {
  return expected === 'array' ? 'a list' : expected === 'object' ? 'an object' : `a ${expected}`;
}

/** Encoding and spreadsheet-safety rules for one text field; null when it is clean. */
function textProblem(field: string, value: string, freeText: boolean): RowProblem | null {
  if (value.includes(REPLACEMENT)) {
    return { field, code: 'BAD_ENCODING', message: `${field} is not valid UTF-8 (or holds U+FFFD)` };
  }
  if (CONTROL.test(value)) {
    return {
      field,
      code: 'CONTROL_CHARACTER',
      message: `${field} holds a control, line-break or bidirectional-override character`,
    };
  }
  if (freeText && FORMULA_START.test(value)) {
    return {
      field,
      code: 'FORMULA_LIKE_VALUE',
      message: `${field} starts with =, +, - or @ and would run as a spreadsheet formula; it is refused, not escaped`,
    };
  }
  return null;
}

function has(problems: readonly RowProblem[], field: string): boolean {
  for (const p of problems) if (p.field === field) return true;
  return false;
}

/** Safety and hygiene of the fields that are strings, whatever the structural outcome. */
function semanticProblems(raw: Record<string, unknown>, problems: RowProblem[]): void {
  const carrier = raw.carrier;
  if (
    typeof carrier === 'string' &&
    carrier.length > 0 &&
    !has(problems, 'carrier') &&
    !findCarrier(carrier)
  ) {
    problems.push({
      field: 'carrier',
      code: 'UNKNOWN_CARRIER',
      message: 'carrier is not one of the nine fictional carriers (GET /openapi.json lists the registry)',
    });
  }
  const msisdn = raw.msisdn;
  if (typeof msisdn === 'string' && msisdn.length > 0 && !has(problems, 'msisdn')) {
    const m = msisdn.includes(REPLACEMENT)
      ? { code: 'BAD_ENCODING' as const, message: 'msisdn is not valid UTF-8' }
      : checkMsisdn(msisdn);
    if (m) problems.push({ field: 'msisdn', code: m.code, message: m.message });
  }
  const email = raw.email;
  if (typeof email === 'string' && email.length > 0 && !has(problems, 'email')) {
    const t = textProblem('email', email, true);
    const e = t ?? checkEmail(email);
    if (e) problems.push({ field: 'email', code: e.code, message: e.message });
  }
  for (const field of FREE_TEXT_FIELDS) {
    const v = raw[field];
    if (typeof v === 'string' && !has(problems, field)) {
      const t = textProblem(field, v, true);
      if (t) problems.push(t);
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The list without repeats; the same array when it has none (the usual case: no allocation). */
function unique<T>(list: T[]): T[] {
  for (let i = 1; i < list.length; i++) {
    if (list.indexOf(list[i]!) < i) return [...new Set(list)];
  }
  return list;
}

const LOCALE_SET: ReadonlySet<unknown> = new Set(LOCALES);
const ACCOUNT_TYPE_SET: ReadonlySet<unknown> = new Set(ACCOUNT_TYPES);
const REGION_SET: ReadonlySet<unknown> = new Set(US_REGIONS);
const CATEGORY_SET: ReadonlySet<unknown> = new Set(DATA_CATEGORIES);
const CHANNEL_SET: ReadonlySet<unknown> = new Set(CHANNELS);
const RESERVED_MSISDN = /^\+1[2-9]\d\d55501\d\d$/;
const DEFAULT_CHANNELS = ['email', 'sms'] as const;

const absent = (v: unknown) => v === undefined || v === null;
const cleanText = (v: unknown, min: number, max: number, field: string): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max && textProblem(field, v, true) === null;
function listOf(v: unknown, allowed: ReadonlySet<unknown>, min: number, max: number): v is string[] {
  if (!Array.isArray(v) || v.length < min || v.length > max) return false;
  for (let i = 0; i < v.length; i++) if (!allowed.has(v[i])) return false; // a hole reads as undefined
  return true;
}

/**
 * The common case, without zod: every field present is plainly valid, so the row is accepted as the
 * schema would accept it. Anything unusual (a missing or wrong field, a date, a repeat in a list)
 * returns null and the full path decides. zod costs about 6 µs a row, a third of the import's own
 * CPU; a property test (subscribers-validate.test.ts) holds this path to the full one's verdict.
 */
export function acceptPlainRow(raw: Record<string, unknown>): SubscriberInput | null {
  const { carrier, msisdn, email, displayName, locale, region, accountType, dataCategories, channels } = raw;
  if (typeof carrier !== 'string' || carrier.length > 64 || !findCarrier(carrier)) return null;
  if (typeof msisdn !== 'string' || !RESERVED_MSISDN.test(msisdn)) return null;
  if (!absent(email) && !(cleanText(email, 3, 254, 'email') && checkEmail(email) === null)) return null;
  if (!absent(displayName) && !cleanText(displayName, 1, 200, 'displayName')) return null;
  if (locale !== undefined && !LOCALE_SET.has(locale)) return null;
  if (!absent(region) && !REGION_SET.has(region)) return null;
  if (accountType !== undefined && !ACCOUNT_TYPE_SET.has(accountType)) return null;
  if (dataCategories !== undefined && !listOf(dataCategories, CATEGORY_SET, 0, 16)) return null;
  if (channels !== undefined && !listOf(channels, CHANNEL_SET, 1, 4)) return null;
  if (!absent(raw.optedOutAt)) return null; // a date: the schema's ISO check decides
  if (!absent(raw.externalRef) && !cleanText(raw.externalRef, 1, 128, 'externalRef')) return null;
  const categories = (dataCategories as SubscriberInput['dataCategories'] | undefined) ?? [];
  const allowed = (channels as SubscriberInput['channels'] | undefined) ?? [...DEFAULT_CHANNELS];
  if (unique(categories) !== categories || unique(allowed) !== allowed) return null;
  return {
    carrier,
    msisdn,
    email: (email as string | null | undefined) ?? null,
    displayName: (displayName as string | null | undefined) ?? null,
    locale: (locale as SubscriberInput['locale'] | undefined) ?? 'en',
    region: (region as string | null | undefined) ?? null,
    accountType: (accountType as SubscriberInput['accountType'] | undefined) ?? 'consumer',
    dataCategories: [...categories],
    channels: [...allowed],
    optedOutAt: null,
    externalRef: (raw.externalRef as string | null | undefined) ?? null,
  };
}

/**
 * Validates one registration (DOMAIN.md §4.4 and the issue's row rules): the structural schema,
 * then the carrier registry, the reserved number range (E.164 refused, never corrected), reserved
 * email domains, and text hygiene (bad encodings, control characters, formula-like cells). Every
 * problem of the row is reported, up to five. `fast: false` skips acceptPlainRow (tests).
 */
export function validateSubscriber(raw: unknown, opts: { fast?: boolean } = {}): Validation {
  if (!isPlainObject(raw)) {
    return {
      ok: false,
      problems: [{ field: null, code: 'MALFORMED_ROW', message: 'a row must be an object of named fields' }],
    };
  }
  if (opts.fast !== false) {
    const plain = acceptPlainRow(raw);
    if (plain) return { ok: true, value: plain };
  }
  const parsed = subscriberInput.safeParse(raw);
  const problems: RowProblem[] = [];
  if (!parsed.success) {
    const seen = new Set<string>();
    for (const issue of parsed.error.issues) {
      const p = issueProblem(issue, raw);
      const key = p.field ?? '';
      if (seen.has(key)) continue;
      seen.add(key);
      problems.push(p);
    }
  }
  semanticProblems(raw, problems);
  if (problems.length > 0) return { ok: false, problems: problems.slice(0, MAX_PROBLEMS_PER_ROW) };
  const v = parsed.data as SubscriberInputRaw;
  return {
    ok: true,
    value: {
      carrier: v.carrier,
      msisdn: v.msisdn,
      email: v.email ?? null,
      displayName: v.displayName ?? null,
      locale: v.locale,
      region: v.region ?? null,
      accountType: v.accountType,
      dataCategories: unique(v.dataCategories),
      channels: unique(v.channels),
      optedOutAt: v.optedOutAt ?? null,
      externalRef: v.externalRef ?? null,
    },
  };
}

/**
 * The audit's reference to a refused row: a hash of what identified it (carrier, number, email), so
 * the audit never holds the refused contact. Unkeyed SHA-256, cut to 24 hex digits like
 * subscriberHash: it tells rows apart and matches a repeat, it is not a secret.
 */
export function rejectedRef(raw: unknown): string | null {
  if (!isPlainObject(raw)) return null;
  const parts = [raw.carrier, raw.msisdn, raw.email].map((v) => (typeof v === 'string' ? v : ''));
  if (parts.every((p) => p === '')) return null;
  // The first 12 bytes as hex: a flat 24-character string, not a slice that keeps the whole digest.
  return createHash('sha256')
    .update(`rejected|${parts.join('|')}`)
    .digest()
    .toString('hex', 0, 12);
}
