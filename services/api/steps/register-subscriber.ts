import type { Db } from '../../../shared/store/db';
import { AppError, type ErrorCode, type ErrorDetail } from '../../../shared/errors';
import { appendAudit } from '../../../shared/audit/append-audit';
import { subscriberHash, type AuditEventInput } from '../../../shared/audit/audit-event';
import type { RowErrorCode, Subscriber } from '../../../shared/api/subscribers.schema';
import { rejectedRef, validateSubscriber, type RowProblem } from './subscribers/validate-subscriber';
import { upsertSubscriber } from './subscribers/upsert-subscribers';
import { piiReadEvent, toSubscriber } from './subscribers/present-subscribers';

/** Problems that make a recipient unsafe (DOMAIN.md §4.4), as opposed to merely malformed. */
const UNSAFE: ReadonlySet<RowErrorCode> = new Set([
  'NOT_E164',
  'NOT_RESERVED_NUMBER',
  'BAD_EMAIL',
  'NOT_RESERVED_DOMAIN',
]);

function refusalCode(problems: readonly RowProblem[]): ErrorCode {
  if (problems.some((p) => UNSAFE.has(p.code))) return 'UNSAFE_RECIPIENT';
  if (problems.every((p) => p.code === 'UNKNOWN_CARRIER')) return 'UNKNOWN_CARRIER';
  return 'VALIDATION_FAILED';
}

/**
 * POST /v1/subscribers: registers one subscriber, upserting by (carrier, msisdn). A refusal is
 * audited (a hashed identifier and the codes, never the refused contact) and answered 400 with one
 * detail per problem. The registration and its audit event commit together; when the caller may see
 * contacts in clear, the answer shows them and the read is audited in the same append.
 */
export async function registerSubscriber(
  input: { body: unknown; actor: string; revealPii: boolean },
  deps: { db: Db },
): Promise<{ subscriber: Subscriber; created: boolean }> {
  const v = validateSubscriber(input.body);
  if (!v.ok) {
    const ref = rejectedRef(input.body);
    const codes = v.problems.map((p) => p.code).join(',');
    await deps.db.transaction((tx) =>
      appendAudit(tx, [
        {
          type: 'subscriber.rejected',
          actor: input.actor,
          subscriberHash: ref,
          outcome: 'rejected',
          details: { count: 1, rejections: [[null, ref, codes]] },
        },
      ]),
    );
    const details: ErrorDetail[] = v.problems.map((p) => ({
      ...(p.field !== null ? { path: `body.${p.field}` } : {}),
      code: p.code,
      message: p.message,
    }));
    throw new AppError(
      refusalCode(v.problems),
      v.problems.map((p) => `${p.field ?? 'body'}: ${p.message}`).join('; '),
      details,
    );
  }
  return deps.db.transaction(async (tx) => {
    const { row, outcome } = await upsertSubscriber(tx, v.value);
    const id = Number(row.id);
    const events: AuditEventInput[] = [
      {
        type: outcome === 'created' ? 'subscriber.registered' : 'subscriber.updated',
        actor: input.actor,
        subscriberHash: subscriberHash(id),
        carrier: row.carrier,
        outcome,
      },
    ];
    if (input.revealPii) events.push(piiReadEvent(input.actor, 'POST /v1/subscribers (answer)', [id]));
    await appendAudit(tx, events);
    return { subscriber: toSubscriber(row, input.revealPii), created: outcome === 'created' };
  });
}
