import { defineRoute } from '../http/define-route';
import { auditPage, auditQuery } from '../../../shared/api/audit.schema';
import { errorBody } from '../../../shared/api/common.schema';
import type { ApiDeps } from '../steps/api-deps';
import { queryAudit } from '../steps/query-audit';

export function auditRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit',
      summary: 'Query the delivery audit log (filters, cursor pagination by seq)',
      tags: ['audit'],
      roles: ['auditor', 'operator'],
      query: auditQuery,
      responses: {
        200: { description: 'A page of events in seq order', schema: auditPage },
        400: { description: 'Invalid filter', schema: errorBody },
      },
      handler: async ({ query }) => ({ status: 200, body: await queryAudit(deps.db, query) }),
    }),
  ];
}
