import { z } from 'zod';
import { defineRoute } from '../http/define-route';
import { errorBody } from '../../../shared/api/common.schema';
import { AppError } from '../../../shared/errors';
import {
  KEY_ROLES,
  KEY_SCOPES,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from '../../../shared/auth/api-keys';
import { actorOf } from '../http/principal';
import type { ApiDeps } from '../steps/api-deps';

const apiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(KEY_ROLES),
    scopes: z.array(z.string()),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

export function keyRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/keys',
      summary: 'Create an API key (the key is in this answer only)',
      tags: ['keys'],
      roles: ['admin'],
      body: z.object({
        name: z.string().min(1).max(100),
        role: z.enum(KEY_ROLES),
        scopes: z.array(z.enum(KEY_SCOPES)).default([]),
      }),
      responses: {
        201: { description: 'Created', schema: apiKey.extend({ key: z.string() }) },
        400: { description: 'Invalid', schema: errorBody },
      },
      handler: async ({ body, req }) => {
        const r = await createApiKey(deps.db, { ...body, createdBy: actorOf(req) });
        return { status: 201, body: { ...r.record, key: r.key } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/keys',
      summary: 'List API keys (never the keys themselves)',
      tags: ['keys'],
      roles: ['admin'],
      responses: { 200: { description: 'Keys', schema: z.object({ items: z.array(apiKey) }) } },
      handler: async () => ({ status: 200, body: { items: await listApiKeys(deps.db) } }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/keys/:id',
      summary: 'Revoke an API key',
      tags: ['keys'],
      roles: ['admin'],
      params: z.object({ id: z.string().regex(/^k_[0-9a-f]{12}$/) }),
      responses: {
        204: { description: 'Revoked' },
        404: { description: 'Unknown or already revoked', schema: errorBody },
      },
      handler: async ({ params }) => {
        if (!(await revokeApiKey(deps.db, params.id)))
          throw new AppError('NOT_FOUND', `key ${params.id} is unknown or already revoked`);
        return { status: 204 };
      },
    }),
  ];
}
