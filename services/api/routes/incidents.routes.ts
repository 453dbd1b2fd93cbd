import { defineRoute } from '../http/define-route';
import { incident, incidentInput } from '../../../shared/api/incidents.schema';
import { errorBody, idParams } from '../../../shared/api/common.schema';
import type { ApiDeps } from '../steps/api-deps';
import { createIncident, getIncident } from '../steps/create-incident';

export function incidentRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/incidents',
      summary: 'Record a simulated breach incident',
      tags: ['incidents'],
      roles: ['operator'],
      body: incidentInput,
      responses: {
        201: { description: 'Created', schema: incident },
        400: { description: 'Invalid incident', schema: errorBody },
      },
      handler: async ({ body }) => ({ status: 201, body: await createIncident(deps.db, body, 'api') }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/incidents/:id',
      summary: 'Read one incident',
      tags: ['incidents'],
      roles: ['operator', 'auditor'],
      params: idParams,
      responses: {
        200: { description: 'The incident', schema: incident },
        404: { description: 'Unknown id', schema: errorBody },
      },
      handler: async ({ params }) => ({ status: 200, body: await getIncident(deps.db, params.id) }),
    }),
  ];
}
