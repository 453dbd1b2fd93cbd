import type { Db, Queryable } from '../../../../shared/store/db';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { AppError } from '../../../../shared/errors';
import type { Subscriber, SubscriberListQuery } from '../../../../shared/api/subscribers.schema';
import { piiReadEvent, toSubscriber, type SubscriberReadRow } from './present-subscribers';

export interface ReadContext {
  actor: string;
  /** The caller may see contacts in clear (pii:read); the read is then audited as pii.read. */
  revealPii: boolean;
}

const SELECT = `SELECT s.*, o.opted_out_at AS sms_opted_out_at
  FROM subscribers s LEFT JOIN opt_outs o ON o.msisdn = s.msisdn`;

/** Runs a read; when it reveals contacts, in one transaction with its pii.read event. */
async function readAudited<T>(
  db: Db,
  ctx: ReadContext,
  purpose: string,
  query: Record<string, unknown>,
  read: (q: Queryable) => Promise<{ rows: SubscriberReadRow[]; value: (rows: Subscriber[]) => T }>,
): Promise<T> {
  if (!ctx.revealPii) {
    const r = await read(db);
    return r.value(r.rows.map((row) => toSubscriber(row, false)));
  }
  return db.transaction(async (tx) => {
    const r = await read(tx);
    const shown = r.rows.filter(
      (row) => row.msisdn !== null || row.email !== null || row.display_name !== null,
    );
    if (shown.length > 0) {
      await appendAudit(tx, [
        piiReadEvent(
          ctx.actor,
          purpose,
          shown.map((row) => Number(row.id)),
          query,
        ),
      ]);
    }
    return r.value(r.rows.map((row) => toSubscriber(row, true)));
  });
}

/** One subscriber; erased or unknown ids are 404. */
export async function getSubscriber(
  input: { id: number },
  ctx: ReadContext,
  deps: { db: Db },
): Promise<Subscriber> {
  return readAudited(deps.db, ctx, 'GET /v1/subscribers/{id}', { id: input.id }, async (q) => {
    const r = await q.query<SubscriberReadRow>(`${SELECT} WHERE s.id = $1 AND s.erased_at IS NULL`, [
      input.id,
    ]);
    return {
      rows: r.rows,
      value: (items) => {
        if (!items[0]) throw new AppError('NOT_FOUND', `subscriber ${input.id} does not exist or was erased`);
        return items[0];
      },
    };
  });
}

/**
 * A page of subscribers in id order, keyset-paginated: every filter narrows; `after` is the last id
 * of the previous page. Filters ride the primary-key walk (no extra indexes to slow bulk imports):
 * a rare filter reads further down the table for its page.
 */
export async function listSubscribers(
  query: SubscriberListQuery,
  ctx: ReadContext,
  deps: { db: Db },
): Promise<{ items: Subscriber[]; nextCursor: number | null }> {
  const where: string[] = ['s.erased_at IS NULL', 's.id > $1'];
  const params: unknown[] = [query.after];
  const add = (cond: (p: string) => string, value: unknown) => {
    params.push(value);
    where.push(cond(`$${params.length}`));
  };
  if (query.carrier !== undefined) add((p) => `s.carrier = ${p}`, query.carrier);
  if (query.region !== undefined) add((p) => `s.region = ${p}`, query.region);
  if (query.dataCategory !== undefined) add((p) => `${p}::text = ANY(s.data_categories)`, query.dataCategory);
  if (query.channel !== undefined) add((p) => `${p}::text = ANY(s.channels)`, query.channel);
  if (query.accountType !== undefined) add((p) => `s.account_type = ${p}`, query.accountType);
  if (query.locale !== undefined) add((p) => `s.locale = ${p}`, query.locale);
  if (query.optedOut === 'true') where.push('(s.opted_out_at IS NOT NULL OR o.msisdn IS NOT NULL)');
  if (query.optedOut === 'false') where.push('(s.opted_out_at IS NULL AND o.msisdn IS NULL)');
  params.push(query.limit + 1);
  const sql = `${SELECT} WHERE ${where.join(' AND ')} ORDER BY s.id LIMIT $${params.length}`;
  return readAudited(deps.db, ctx, 'GET /v1/subscribers', { ...query }, async (q) => {
    const r = await q.query<SubscriberReadRow>(sql, params);
    const rows = r.rows.slice(0, query.limit);
    const more = r.rows.length > query.limit;
    return {
      rows,
      value: (items) => ({ items, nextCursor: more ? items[items.length - 1]!.id : null }),
    };
  });
}
