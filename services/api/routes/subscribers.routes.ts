import { z } from 'zod';
import { defineRoute } from '../http/define-route';
import { subscriber, subscriberInput } from '../../../shared/api/subscribers.schema';
import { errorBody, idParams } from '../../../shared/api/common.schema';
import { AppError } from '../../../shared/errors';
import type { ApiDeps } from '../steps/api-deps';
import { registerSubscriber, toSubscriber, type SubscriberRow } from '../steps/register-subscriber';

export function subscriberRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/subscribers',
      summary: 'Register (or update) one affected subscriber',
      tags: ['subscribers'],
      roles: ['operator'],
      body: subscriberInput,
      responses: {
        201: { description: 'Registered', schema: subscriber },
        200: { description: 'Already registered (same carrier and number): updated', schema: subscriber },
        400: { description: 'Invalid or unsafe recipient', schema: errorBody },
      },
      handler: async ({ body }) => {
        const r = await registerSubscriber(deps.db, body, 'api');
        return { status: r.created ? 201 : 200, body: r.subscriber };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscribers/:id',
      summary: 'Read one subscriber',
      tags: ['subscribers'],
      roles: ['operator', 'auditor'],
      params: idParams,
      responses: {
        200: { description: 'The subscriber', schema: subscriber },
        404: { description: 'Unknown id', schema: errorBody },
      },
      handler: async ({ params }) => {
        const r = await deps.db.query<SubscriberRow>(
          'SELECT * FROM subscribers WHERE id = $1 AND erased_at IS NULL',
          [params.id],
        );
        if (!r.rows[0]) throw new AppError('NOT_FOUND', `subscriber ${params.id} does not exist`);
        return { status: 200, body: toSubscriber(r.rows[0]) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscribers',
      summary: 'List subscribers (cursor pagination by id)',
      tags: ['subscribers'],
      roles: ['operator', 'auditor'],
      query: z.object({
        carrier: z.string().max(64).optional(),
        after: z.coerce.number().int().min(0).default(0),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      responses: {
        200: {
          description: 'A page',
          schema: z.object({ items: z.array(subscriber), nextCursor: z.number().nullable() }),
        },
      },
      handler: async ({ query }) => {
        const r = await deps.db.query<SubscriberRow>(
          `SELECT * FROM subscribers WHERE erased_at IS NULL AND id > $1 AND ($2::text IS NULL OR carrier = $2)
            ORDER BY id LIMIT $3`,
          [query.after, query.carrier ?? null, query.limit + 1],
        );
        const more = r.rows.length > query.limit;
        const items = r.rows.slice(0, query.limit).map(toSubscriber);
        return { status: 200, body: { items, nextCursor: more ? items[items.length - 1]!.id : null } };
      },
    }),
  ];
}
