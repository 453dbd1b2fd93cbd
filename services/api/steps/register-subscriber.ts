import type { Db, Queryable } from '../../../shared/store/db';
import { AppError, type ErrorDetail } from '../../../shared/errors';
import { findCarrier } from '../../../shared/carriers';
import { checkEmail, checkMsisdn } from '../../../shared/safety';
import { appendAudit } from '../../../shared/audit/append-audit';
import { maskEmail, maskMsisdn, subscriberHash } from '../../../shared/audit/audit-event';
import type { Subscriber, SubscriberInput } from '../../../shared/api/subscribers.schema';
import { createHash } from 'node:crypto';

export interface SubscriberRow {
  id: number;
  carrier: string;
  msisdn: string | null;
  email: string | null;
  display_name: string | null;
  locale: string;
  region: string | null;
  account_type: string;
  data_categories: string[];
  channels: string[];
  opted_out_at: Date | null;
  external_ref: string | null;
  created_at: Date;
  updated_at: Date;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toSubscriber(r: SubscriberRow): Subscriber {
  return {
    id: r.id,
    carrier: r.carrier,
    msisdn: r.msisdn,
    email: r.email,
    displayName: r.display_name,
    locale: r.locale,
    region: r.region,
    accountType: r.account_type,
    dataCategories: r.data_categories,
    channels: r.channels,
    optedOutAt: iso(r.opted_out_at),
    externalRef: r.external_ref,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  };
}

/** Safety problems of one registration (DOMAIN.md §4.4), as per-field details. */
export function recipientProblems(input: SubscriberInput): ErrorDetail[] {
  const problems: ErrorDetail[] = [];
  if (!findCarrier(input.carrier)) {
    problems.push({
      path: 'carrier',
      code: 'UNKNOWN_CARRIER',
      message: `"${input.carrier}" is not one of the nine fictional carriers`,
    });
  }
  const m = checkMsisdn(input.msisdn);
  if (m) problems.push({ path: 'msisdn', code: m.code, message: m.message });
  if (input.email !== undefined) {
    const e = checkEmail(input.email);
    if (e) problems.push({ path: 'email', code: e.code, message: e.message });
  }
  return problems;
}

/** A hashed identifier for a rejected input, so the audit never holds the refused contact. */
function rejectedRef(input: SubscriberInput): string {
  return createHash('sha256')
    .update(`${input.carrier}|${input.msisdn}|${input.email ?? ''}`)
    .digest('hex')
    .slice(0, 24);
}

export async function auditRejection(
  tx: Queryable,
  input: SubscriberInput,
  problems: ErrorDetail[],
  actor: string,
) {
  await appendAudit(tx, [
    {
      type: 'subscriber.rejected',
      actor,
      subscriberHash: rejectedRef(input),
      contactMasked: maskMsisdn(String(input.msisdn)),
      outcome: 'rejected',
      details: { problems: problems.map((p) => ({ path: p.path, code: p.code })) },
    },
  ]);
}

/** Registers one subscriber: upsert by (carrier, msisdn); unsafe recipients are refused and audited. */
export async function registerSubscriber(
  db: Db,
  input: SubscriberInput,
  actor: string,
): Promise<{ subscriber: Subscriber; created: boolean }> {
  const problems = recipientProblems(input);
  if (problems.length > 0) {
    await db.transaction((tx) => auditRejection(tx, input, problems, actor));
    const code =
      problems.some((p) => p.code === 'UNKNOWN_CARRIER') && problems.length === 1
        ? 'UNKNOWN_CARRIER'
        : 'UNSAFE_RECIPIENT';
    throw new AppError(code, problems.map((p) => `${p.path}: ${p.message}`).join('; '), problems);
  }
  return db.transaction(async (tx) => {
    const r = await tx.query<SubscriberRow & { inserted: boolean }>(
      `INSERT INTO subscribers (carrier, msisdn, email, display_name, locale, region, account_type, data_categories, channels, external_ref)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (carrier, msisdn) DO UPDATE SET email = EXCLUDED.email, display_name = EXCLUDED.display_name,
         locale = EXCLUDED.locale, region = EXCLUDED.region, account_type = EXCLUDED.account_type,
         data_categories = EXCLUDED.data_categories, channels = EXCLUDED.channels, external_ref = EXCLUDED.external_ref,
         updated_at = now()
       RETURNING *, (xmax = 0) AS inserted`,
      [
        input.carrier,
        input.msisdn,
        input.email ?? null,
        input.displayName ?? null,
        input.locale,
        input.region ?? null,
        input.accountType,
        input.dataCategories,
        input.channels,
        input.externalRef ?? null,
      ],
    );
    const row = r.rows[0]!;
    await appendAudit(tx, [
      {
        type: row.inserted ? 'subscriber.registered' : 'subscriber.updated',
        actor,
        subscriberHash: subscriberHash(row.id),
        contactMasked: maskMsisdn(input.msisdn) + (input.email ? ` ${maskEmail(input.email)}` : ''),
        carrier: row.carrier,
        outcome: row.inserted ? 'created' : 'updated',
      },
    ]);
    return { subscriber: toSubscriber(row), created: row.inserted };
  });
}
