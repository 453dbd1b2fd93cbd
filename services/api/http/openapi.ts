import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import { ERROR_CODES } from '../../../shared/errors';
import type { RouteSpec } from './define-route';

/** `/v1/campaigns/:id` → `/v1/campaigns/{id}` */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

/** OpenAPI 3.1, generated from the very schemas the routes validate with. */
export function buildOpenApi(routes: readonly RouteSpec[], version: string): object {
  const registry = new OpenAPIRegistry();
  for (const r of routes) {
    const content = (schema: z.ZodType, types: string[]) =>
      Object.fromEntries(
        types.map((t) => [t, { schema: t === 'application/json' ? schema : { type: 'string' as const } }]),
      );
    registry.registerPath({
      method: r.method,
      path: toOpenApiPath(r.path),
      summary: r.summary,
      tags: r.tags,
      request: {
        ...(r.params ? { params: r.params as z.ZodObject } : {}),
        ...(r.query ? { query: r.query as z.ZodObject } : {}),
        ...(r.body
          ? { body: { content: content(r.body, r.bodyContentTypes ?? ['application/json']), required: true } }
          : {}),
      },
      responses: Object.fromEntries(
        Object.entries(r.responses).map(([status, spec]) => [
          status,
          {
            description: spec.description,
            ...(spec.schema
              ? { content: { [spec.contentType ?? 'application/json']: { schema: spec.schema } } }
              : spec.contentType
                ? { content: { [spec.contentType]: { schema: { type: 'string' as const } } } }
                : {}),
          },
        ]),
      ),
    });
  }
  const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'breach-drill API',
      version,
      description:
        'Exercise-only telecom breach notification simulator. Error codes: ' +
        Object.entries(ERROR_CODES)
          .map(([code, v]) => `${code} (${v.status}): ${v.description}`)
          .join('; '),
    },
  });
  return doc;
}
