import type { Db } from '../../../../shared/store/db';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { subscriberHash } from '../../../../shared/audit/audit-event';
import { AppError } from '../../../../shared/errors';

/** The personal fields an erasure wipes; carrier, locale, account type and exposure stay for counts. */
export const ERASED_FIELDS = ['msisdn', 'email', 'display_name', 'region', 'external_ref'] as const;

/**
 * Erases a subscriber: the personal fields are wiped in place and the row is marked erased (its id
 * stays, so ledger rows that point at it remain valid). The audit log is append-only and hash
 * chained, so nothing in it is rewritten: the registry's events never held more than the hashed id
 * (subscriberHash), and the erasure itself is recorded the same way. An SMS STOP on the number stays
 * in opt_outs: honouring an opt-out outlives the subscriber.
 */
export async function eraseSubscriber(input: { id: number; actor: string }, deps: { db: Db }): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const r = await tx.query<{ id: number; carrier: string }>(
      `UPDATE subscribers
          SET ${ERASED_FIELDS.map((f) => `${f} = NULL`).join(', ')}, erased_at = now(), updated_at = now()
        WHERE id = $1 AND erased_at IS NULL
        RETURNING id, carrier`,
      [input.id],
    );
    const row = r.rows[0];
    if (!row) throw new AppError('NOT_FOUND', `subscriber ${input.id} does not exist or was already erased`);
    await appendAudit(tx, [
      {
        type: 'subscriber.erased',
        actor: input.actor,
        subscriberHash: subscriberHash(Number(row.id)),
        carrier: row.carrier,
        outcome: 'erased',
        details: { fields: [...ERASED_FIELDS] },
      },
    ]);
  });
}
