import { defineRoute } from '../http/define-route';
import { actorOf } from '../http/principal';
import {
  afterActionQuery,
  determinationInput,
  hold,
  holdExtensionInput,
  holdInput,
  holdParams,
  holdReleaseInput,
  incident,
  incidentInput,
  incidentTimeline,
  lawEnforcementReportInput,
  lawEnforcementReportSent,
  urgentNeedInput,
} from '../../../shared/api/incidents.schema';
import { errorBody, idParams } from '../../../shared/api/common.schema';
import type { ApiDeps } from '../steps/api-deps';
import { createIncident, getIncident } from '../steps/create-incident';
import { incidentTimeline as buildTimeline } from '../steps/incidents/timeline';
import { sendLawEnforcementReport } from '../steps/incidents/send-law-enforcement-report';
import { directHold, extendHold, releaseHold } from '../steps/incidents/holds';
import { recordNoHarmDetermination, recordUrgentNeedOverride } from '../steps/incidents/determinations';
import { incidentAlertsAtom } from '../steps/incidents/alerts-feed';
import { afterActionReport } from '../steps/incidents/after-action';

const READ = ['operator', 'auditor'] as const;
const WRITE = ['operator'] as const;

const notFound = { 404: { description: 'Unknown incident', schema: errorBody } };
const conflict = { 409: { description: 'Not allowed in the incident’s current state', schema: errorBody } };
const invalid = { 400: { description: 'Invalid input', schema: errorBody } };

export function incidentRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/incidents',
      summary: 'Record a simulated breach incident (every notice it can produce is linted first)',
      tags: ['incidents'],
      roles: WRITE,
      body: incidentInput,
      responses: {
        201: { description: 'Created', schema: incident },
        ...invalid,
        422: { description: 'Its notices would fail the exercise-safety lint', schema: errorBody },
      },
      handler: async ({ body, req }) => ({
        status: 201,
        body: await createIncident(deps, body, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/incidents/:id',
      summary: 'Read one incident',
      tags: ['incidents'],
      roles: READ,
      params: idParams,
      responses: { 200: { description: 'The incident', schema: incident }, ...notFound },
      handler: async ({ params }) => ({ status: 200, body: await getIncident(deps.db, params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/incidents/:id/timeline',
      summary:
        'Regulatory clock: every deadline (due, met, missed), the customer-notice gate, holds, determinations, events',
      tags: ['incidents'],
      roles: READ,
      params: idParams,
      responses: { 200: { description: 'The timeline as of now', schema: incidentTimeline }, ...notFound },
      handler: async ({ params }) => ({ status: 200, body: await buildTimeline(deps, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents/:id/law-enforcement-report',
      summary:
        'Send the law-enforcement report (seven FCC 64.2011(a)(1) fields) to the simulated reporting facility and record it as sent',
      tags: ['incidents'],
      roles: WRITE,
      params: idParams,
      body: lawEnforcementReportInput,
      responses: {
        201: { description: 'Sent and recorded', schema: lawEnforcementReportSent },
        ...invalid,
        ...notFound,
        409: { description: 'Already sent, or being sent', schema: errorBody },
        422: { description: 'The report fails the exercise-safety lint; nothing sent', schema: errorBody },
        503: { description: 'The reporting sink did not accept it; nothing recorded', schema: errorBody },
      },
      handler: async ({ params, body, req }) => ({
        status: 201,
        body: await sendLawEnforcementReport(deps, params.id, body, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents/:id/holds',
      summary:
        'Record an agency hold on customer notices (≤ 30 days); pauses the incident’s running customer campaigns',
      tags: ['incidents'],
      roles: WRITE,
      params: idParams,
      body: holdInput,
      responses: { 201: { description: 'Recorded', schema: hold }, ...invalid, ...notFound },
      handler: async ({ params, body, req }) => ({
        status: 201,
        body: await directHold(deps, params.id, body, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents/:id/holds/:holdId/extend',
      summary: 'Record an extension of a hold, with its written basis',
      tags: ['incidents'],
      roles: WRITE,
      params: holdParams,
      body: holdExtensionInput,
      responses: { 200: { description: 'Extended', schema: hold }, ...invalid, ...notFound, ...conflict },
      handler: async ({ params, body, req }) => ({
        status: 200,
        body: await extendHold(deps, params.id, params.holdId, body, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents/:id/holds/:holdId/release',
      summary:
        'Record the release of a hold; resumes the campaigns holds paused when no other hold is active',
      tags: ['incidents'],
      roles: WRITE,
      params: holdParams,
      body: holdReleaseInput,
      responses: { 200: { description: 'Released', schema: hold }, ...invalid, ...notFound, ...conflict },
      handler: async ({ params, body, req }) => ({
        status: 200,
        body: await releaseHold(deps, params.id, params.holdId, body, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents/:id/determinations',
      summary:
        'Amended regime: record "no harm reasonably likely" with its written basis; later customer notices are suppressed',
      tags: ['incidents'],
      roles: WRITE,
      params: idParams,
      body: determinationInput,
      responses: { 201: { description: 'Recorded', schema: incident }, ...invalid, ...notFound, ...conflict },
      handler: async ({ params, body, req }) => ({
        status: 201,
        body: await recordNoHarmDetermination(deps, params.id, body, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incidents/:id/urgent-need',
      summary:
        'Legacy regime: record the "urgent need, agency consulted" override of the 7-business-day wait',
      tags: ['incidents'],
      roles: WRITE,
      params: idParams,
      body: urgentNeedInput,
      responses: { 201: { description: 'Recorded', schema: incident }, ...invalid, ...notFound, ...conflict },
      handler: async ({ params, body, req }) => ({
        status: 201,
        body: await recordUrgentNeedOverride(deps, params.id, body, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/incidents/:id/alerts.atom',
      summary: 'Atom feed of the incident’s published alerts, each with its CAP 1.2 document inline',
      tags: ['incidents'],
      roles: READ,
      params: idParams,
      responses: {
        200: { description: 'An Atom 1.0 feed', contentType: 'application/atom+xml' },
        ...notFound,
      },
      handler: async ({ params, res }) => {
        const xml = await incidentAlertsAtom(deps.db, deps.config, params.id);
        res.type('application/atom+xml; charset=utf-8').send(xml);
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/incidents/:id/after-action',
      summary:
        'After-action report (Markdown or HTML): timeline, deadlines, rates per carrier and channel, faults, corrections',
      tags: ['incidents', 'reports'],
      roles: READ,
      params: idParams,
      query: afterActionQuery,
      responses: {
        200: {
          description: 'The report (text/markdown or text/html by ?format=)',
          contentType: 'text/markdown',
        },
        ...notFound,
      },
      handler: async ({ params, query, res }) => {
        const body = await afterActionReport(deps, params.id, query.format);
        res
          .type(query.format === 'html' ? 'text/html; charset=utf-8' : 'text/markdown; charset=utf-8')
          .send(body);
        return undefined;
      },
    }),
  ];
}
