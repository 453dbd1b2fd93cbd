import { z } from 'zod';
import type { Request } from 'express';
import { defineRoute } from '../http/define-route';
import { actorOf, canReadPii } from '../http/principal';
import {
  generateRequest,
  importErrorsPage,
  importErrorsQuery,
  importParams,
  importResult,
  subscriber,
  subscriberInput,
  subscriberListQuery,
  subscriberPage,
  type ImportError,
  type ImportResult,
} from '../../../shared/api/subscribers.schema';
import { errorBody, idParams } from '../../../shared/api/common.schema';
import { AppError } from '../../../shared/errors';
import type { ApiDeps } from '../steps/api-deps';
import { registerSubscriber } from '../steps/register-subscriber';
import { BULK_CONTENT_TYPES, registerBulk } from '../steps/subscribers/register-bulk';
import { generateSubscribers } from '../steps/subscribers/generate-subscribers';
import { idempotencyKeyOf } from '../steps/subscribers/idempotency';
import { getSubscriber, listSubscribers } from '../steps/subscribers/query-subscribers';
import { eraseSubscriber } from '../steps/subscribers/erase-subscriber';

const IDEMPOTENCY_NOTE =
  'With an Idempotency-Key header, a repeat of the same request (same key, caller and body, within 24 h) ' +
  'answers the first result again (header Idempotent-Replayed: true) and registers nothing; the same key ' +
  'with a different body is a 409.';

function answerHeaders(replayed: boolean, result: ImportResult): Record<string, string> {
  const headers: Record<string, string> = {};
  if (replayed) headers['idempotent-replayed'] = 'true';
  // Reading stopped early: the rest of the upload is discarded and the connection not reused.
  if (!result.complete) headers.connection = 'close';
  return headers;
}

/** Lets a stopped or failed upload drain, so the answer reaches a client that is still sending. */
function discardRest(req: Request): void {
  if (!req.readableEnded) req.resume();
}

export function subscriberRoutes(deps: ApiDeps) {
  const limits = { maxRows: deps.config.BULK_MAX_ROWS, maxBytes: deps.config.BULK_MAX_BYTES };
  return [
    defineRoute({
      method: 'post',
      path: '/v1/subscribers',
      summary: 'Register (or update) one affected subscriber; refusals are audited',
      tags: ['subscribers'],
      roles: ['operator'],
      body: subscriberInput,
      // Validated by the step, not the router, so that structural refusals are audited too.
      bodyContentTypes: ['application/json'],
      responses: {
        201: { description: 'Registered', schema: subscriber },
        200: { description: 'Already registered (same carrier and number): updated', schema: subscriber },
        400: {
          description:
            'Invalid (VALIDATION_FAILED), unknown carrier or unsafe recipient; one detail per problem',
          schema: errorBody,
        },
      },
      handler: async ({ body, req }) => {
        const r = await registerSubscriber(
          { body: body ?? null, actor: actorOf(req), revealPii: canReadPii(req) },
          { db: deps.db },
        );
        return { status: r.created ? 201 : 200, body: r.subscriber };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/subscribers/bulk',
      summary:
        'Register many subscribers from a JSON array, NDJSON or CSV (header row) body, streamed: upsert by ' +
        '(carrier, msisdn), per-row errors with line numbers. ' +
        IDEMPOTENCY_NOTE,
      tags: ['subscribers'],
      roles: ['operator'],
      body: z.array(subscriberInput),
      bodyContentTypes: BULK_CONTENT_TYPES,
      responses: {
        200: {
          description:
            'Counts and the first per-row errors (the rest: GET /v1/subscribers/imports/{importId}/errors); ' +
            '`complete: false` when reading stopped early (malformed JSON, too many rows or bytes)',
          schema: importResult,
        },
        400: {
          description: 'A CSV header that does not match the columns, or a bad Idempotency-Key',
          schema: errorBody,
        },
        409: {
          description: 'The Idempotency-Key is in use or was used with another body',
          schema: errorBody,
        },
        413: { description: 'Content-Length above BULK_MAX_BYTES', schema: errorBody },
        415: { description: 'Not JSON, NDJSON or CSV in UTF-8, or compressed', schema: errorBody },
      },
      handler: async ({ req }) => {
        try {
          const { result, replayed } = await registerBulk(
            {
              body: req,
              contentType: req.get('content-type'),
              contentEncoding: req.get('content-encoding'),
              contentLength: req.get('content-length'),
              idempotencyKey: idempotencyKeyOf(req.headers['idempotency-key']),
              actor: actorOf(req),
            },
            { db: deps.db, logger: deps.logger, limits },
          );
          if (!result.complete) discardRest(req);
          return { status: 200, body: result, headers: answerHeaders(replayed, result) };
        } catch (err) {
          discardRest(req);
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/subscribers/generate',
      summary:
        'Generate and register a seeded synthetic population (same seed, same population); `mix` adds ' +
        'realistic defects. ' +
        IDEMPOTENCY_NOTE,
      tags: ['subscribers'],
      roles: ['operator'],
      body: generateRequest,
      responses: {
        200: { description: 'The import result of the generated rows', schema: importResult },
        400: {
          description: 'Invalid request, unknown carrier, or more than the reserved range holds',
          schema: errorBody,
        },
        409: {
          description: 'The Idempotency-Key is in use or was used with another body',
          schema: errorBody,
        },
        413: { description: 'count above BULK_MAX_ROWS', schema: errorBody },
      },
      handler: async ({ body, req }) => {
        const { result, replayed } = await generateSubscribers(
          {
            request: body,
            actor: actorOf(req),
            idempotencyKey: idempotencyKeyOf(req.headers['idempotency-key']),
          },
          { db: deps.db, logger: deps.logger, limits },
        );
        return { status: 200, body: result, headers: answerHeaders(replayed, result) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscribers',
      summary:
        'List subscribers (filters, cursor pagination by id); contacts masked unless the caller holds pii:read ' +
        '(then the read is audited as pii.read)',
      tags: ['subscribers'],
      roles: ['operator', 'auditor'],
      query: subscriberListQuery,
      responses: {
        200: { description: 'A page in id order', schema: subscriberPage },
        400: { description: 'Invalid filter', schema: errorBody },
      },
      handler: async ({ query, req }) => ({
        status: 200,
        body: await listSubscribers(
          query,
          { actor: actorOf(req), revealPii: canReadPii(req) },
          { db: deps.db },
        ),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscribers/:id',
      summary: 'Read one subscriber (masked unless pii:read; an unmasked read is audited)',
      tags: ['subscribers'],
      roles: ['operator', 'auditor'],
      params: idParams,
      responses: {
        200: { description: 'The subscriber', schema: subscriber },
        404: { description: 'Unknown or erased', schema: errorBody },
      },
      handler: async ({ params, req }) => ({
        status: 200,
        body: await getSubscriber(
          { id: params.id },
          { actor: actorOf(req), revealPii: canReadPii(req) },
          { db: deps.db },
        ),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/subscribers/:id',
      summary:
        'Erase a subscriber: personal fields wiped, the row kept as erased; the audit keeps only the hashed id',
      tags: ['subscribers'],
      roles: ['operator'],
      params: idParams,
      responses: {
        204: { description: 'Erased' },
        404: { description: 'Unknown or already erased', schema: errorBody },
      },
      handler: async ({ params, req }) => {
        await eraseSubscriber({ id: params.id, actor: actorOf(req) }, { db: deps.db });
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscribers/imports/:importId',
      summary: 'The result of a bulk registration or generation',
      tags: ['subscribers'],
      roles: ['operator', 'auditor'],
      params: importParams,
      responses: {
        200: { description: 'The answer the import gave', schema: importResult },
        404: { description: 'Unknown import', schema: errorBody },
      },
      handler: async ({ params }) => {
        const r = await deps.db.query<{ result: ImportResult }>(
          'SELECT result FROM subscriber_imports WHERE id = $1',
          [params.importId],
        );
        if (!r.rows[0])
          throw new AppError('NOT_FOUND', `import ${params.importId} does not exist (or has not finished)`);
        return { status: 200, body: r.rows[0].result };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscribers/imports/:importId/errors',
      summary: 'Per-row errors of an import in line order, cursor-paginated by seq',
      tags: ['subscribers'],
      roles: ['operator', 'auditor'],
      params: importParams,
      query: importErrorsQuery,
      responses: {
        200: { description: 'A page of errors', schema: importErrorsPage },
        404: { description: 'Unknown import', schema: errorBody },
      },
      handler: async ({ params, query }) => {
        const known = await deps.db.query('SELECT 1 FROM subscriber_imports WHERE id = $1', [
          params.importId,
        ]);
        if (known.rows.length === 0)
          throw new AppError('NOT_FOUND', `import ${params.importId} does not exist`);
        const r = await deps.db.query<{
          seq: number;
          line: number;
          row_no: number;
          field: string | null;
          code: ImportError['code'];
          message: string;
        }>(
          `SELECT seq, line, row_no, field, code, message FROM subscriber_import_errors
            WHERE import_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
          [params.importId, query.after, query.limit + 1],
        );
        const items = r.rows.slice(0, query.limit).map((e) => ({
          seq: Number(e.seq),
          line: Number(e.line),
          row: Number(e.row_no),
          field: e.field,
          code: e.code,
          message: e.message,
        }));
        const more = r.rows.length > query.limit;
        return { status: 200, body: { items, nextCursor: more ? items[items.length - 1]!.seq : null } };
      },
    }),
  ];
}
