import type { ApiDeps } from '../steps/api-deps';
import { defineRoute, type RouteSpec } from '../http/define-route';
import { actorOf, canReadPii } from '../http/principal';
import { errorBody, idParams } from '../../../shared/api/common.schema';
import {
  campaign,
  campaignPreview,
  correctionInput,
  previewInput,
} from '../../../shared/api/campaigns.schema';
import { approveCampaign } from '../steps/lifecycle/approve-campaign';
import { previewCampaign } from '../steps/lifecycle/preview-campaign';
import { createCorrection } from '../steps/lifecycle/create-correction';
import { campaignCapXml } from '../steps/lifecycle/campaign-cap';

const notFound = { 404: { description: 'Unknown campaign', schema: errorBody } };

/** Approval (two-person rule), preview, the ENDEX correction and the campaign's CAP alert. */
export function campaignLifecycleRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/campaigns/:id/approve',
      summary: 'Approve a draft: only a second API key, distinct from the creator’s (two-person rule)',
      tags: ['campaigns'],
      roles: ['operator'],
      params: idParams,
      responses: {
        200: { description: 'Approved', schema: campaign },
        403: { description: 'The creator’s own key (two_person_rule)', schema: errorBody },
        ...notFound,
        409: { description: 'Not a draft', schema: errorBody },
        422: { description: 'Its notices fail the exercise-safety lint', schema: errorBody },
      },
      handler: async ({ params, req }) => ({
        status: 200,
        body: await approveCampaign(deps, params.id, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/campaigns/:id/preview',
      summary:
        'Render the notices for sample subscribers: email, SMS with segment counts, wireless previews, CAP, lint',
      tags: ['campaigns'],
      roles: ['operator'],
      params: idParams,
      body: previewInput.default({ sampleSize: 3 }),
      responses: {
        200: { description: 'Rendered samples (nothing changes)', schema: campaignPreview },
        400: { description: 'Invalid input', schema: errorBody },
        ...notFound,
      },
      handler: async ({ params, body, req }) => ({
        status: 200,
        body: await previewCampaign(deps, params.id, body, { revealContacts: canReadPii(req) }),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/campaigns/:id/correction',
      summary:
        'Send the ready correction (email, SMS, CAP Cancel) to everyone who received this campaign; allowed once it is completed or ended (ENDEX)',
      tags: ['campaigns'],
      roles: ['operator'],
      params: idParams,
      body: correctionInput.default({}),
      responses: {
        202: { description: 'The correction campaign, triggered', schema: campaign },
        400: { description: 'Invalid input', schema: errorBody },
        ...notFound,
        409: { description: 'Nothing to correct, still running, or already corrected', schema: errorBody },
        422: { description: 'The correction fails the exercise-safety lint', schema: errorBody },
      },
      handler: async ({ params, body, req }) => {
        // Fail fast while Redis is away, before anything is recorded.
        await deps.redis.ping();
        return { status: 202, body: await createCorrection(deps, params.id, body, actorOf(req)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/campaigns/:id/cap.xml',
      summary: 'The campaign’s alert as OASIS CAP 1.2 (status Exercise; a correction is a Cancel)',
      tags: ['campaigns'],
      roles: ['operator', 'auditor'],
      params: idParams,
      responses: {
        200: { description: 'A CAP 1.2 alert', contentType: 'application/cap+xml' },
        ...notFound,
      },
      handler: async ({ params, res }) => {
        const xml = await campaignCapXml(deps.db, deps.config, params.id);
        res.type('application/cap+xml; charset=utf-8').send(xml);
        return undefined;
      },
    }),
  ];
}
