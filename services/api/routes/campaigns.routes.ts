import { defineRoute } from '../http/define-route';
import {
  campaign,
  campaignInput,
  reconcileReport,
  triggerAccepted,
} from '../../../shared/api/campaigns.schema';
import { errorBody, idParams } from '../../../shared/api/common.schema';
import { AppError } from '../../../shared/errors';
import type { ApiDeps } from '../steps/api-deps';
import { createCampaign, getCampaign } from '../steps/campaigns';
import { triggerCampaignWithKey } from '../steps/lifecycle/trigger-with-key';
import { idempotencyKeyOf } from '../steps/subscribers/idempotency';
import { endexCampaign, pauseCampaign } from '../steps/control-campaign';
import { resumeCampaignUnlessHeld } from '../steps/lifecycle/resume-campaign';
import { actorOf } from '../http/principal';
import { z } from 'zod';
import { CAMPAIGN_STATES } from '../../../shared/domain';
import { streamCampaignEvents } from '../steps/campaign-events';

const controlResult = z
  .object({ id: z.number(), state: z.enum(CAMPAIGN_STATES), cancelled: z.number().optional() })
  .meta({ id: 'CampaignControlResult' });
const controlResponses = {
  200: { description: 'Done', schema: controlResult },
  404: { description: 'Unknown id', schema: errorBody },
  409: { description: 'Not in a state that allows this', schema: errorBody },
};

export function campaignRoutes(deps: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/campaigns',
      summary: 'Create a notification campaign (draft) for an incident',
      tags: ['campaigns'],
      roles: ['operator'],
      body: campaignInput,
      responses: {
        201: { description: 'Created', schema: campaign },
        400: { description: 'Invalid campaign', schema: errorBody },
      },
      handler: async ({ body, req }) => ({
        status: 201,
        body: await createCampaign(deps, body, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/campaigns/:id',
      summary: 'Campaign state and notification counts by state and channel',
      tags: ['campaigns'],
      roles: ['operator', 'auditor'],
      params: idParams,
      responses: {
        200: { description: 'The campaign', schema: campaign },
        404: { description: 'Unknown id', schema: errorBody },
      },
      handler: async ({ params }) => ({ status: 200, body: await getCampaign(deps.db, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/campaigns/:id/trigger',
      summary:
        'Trigger a campaign: acknowledged at once, fanned out by the workers. With an Idempotency-Key ' +
        'header, a repeat (same key and caller, within 24 h) answers the first 202 again (header ' +
        'Idempotent-Replayed: true), also when the api died before answering it',
      tags: ['campaigns'],
      roles: ['operator'],
      params: idParams,
      responses: {
        202: { description: 'Accepted', schema: triggerAccepted },
        400: { description: 'A bad Idempotency-Key', schema: errorBody },
        404: { description: 'Unknown id', schema: errorBody },
        409: {
          description:
            'Not in a triggerable state, or the Idempotency-Key is in use or was used for another campaign',
          schema: errorBody,
        },
        503: { description: 'Redis or the database is down', schema: errorBody },
      },
      handler: async ({ params, req }) => {
        const idempotencyKey = idempotencyKeyOf(req.headers['idempotency-key']);
        // Fail fast while Redis is away, before anything is recorded.
        await deps.redis.ping();
        const r = await triggerCampaignWithKey(deps, { id: params.id, actor: actorOf(req), idempotencyKey });
        return {
          status: 202,
          body: r.body,
          ...(r.replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/campaigns/:id/reconcile',
      summary: 'Re-drive notifications of this campaign that are stranded (no live job, expired claim)',
      tags: ['campaigns'],
      roles: ['operator'],
      params: idParams,
      responses: {
        200: { description: 'What was re-driven', schema: reconcileReport },
        404: { description: 'Unknown id', schema: errorBody },
        503: { description: 'No reconciler in this process', schema: errorBody },
      },
      handler: async ({ params }) => {
        await getCampaign(deps.db, params.id);
        if (!deps.reconcile)
          throw new AppError('DEPENDENCY_UNAVAILABLE', 'the reconciler is not available in this process');
        return { status: 200, body: await deps.reconcile(params.id) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/campaigns/:id/pause',
      summary: 'Pause a running campaign (queued sends wait)',
      tags: ['campaigns'],
      roles: ['operator'],
      params: idParams,
      responses: controlResponses,
      handler: async ({ params }) => ({ status: 200, body: await pauseCampaign(deps.db, params.id, 'api') }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/campaigns/:id/resume',
      summary: 'Resume a paused campaign',
      tags: ['campaigns'],
      roles: ['operator'],
      params: idParams,
      responses: controlResponses,
      // A customer campaign on agency hold resumes only by the hold's release (issue 6).
      handler: async ({ params, req }) => ({
        status: 200,
        body: await resumeCampaignUnlessHeld(deps.db, params.id, actorOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/campaigns/:id/endex',
      summary: 'ENDEX: end the campaign now; queued sends stop, the rest end cancelled',
      tags: ['campaigns'],
      roles: ['operator'],
      params: idParams,
      responses: controlResponses,
      handler: async ({ params }) => ({ status: 200, body: await endexCampaign(deps.db, params.id, 'api') }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/campaigns/:id/events',
      summary: 'Live progress as Server-Sent Events (event: progress, data: the campaign with counts)',
      tags: ['campaigns'],
      roles: ['operator', 'auditor'],
      params: idParams,
      responses: {
        200: { description: 'An event stream', contentType: 'text/event-stream' },
        404: { description: 'Unknown id', schema: errorBody },
      },
      handler: async ({ params, req, res }) => {
        await getCampaign(deps.db, params.id);
        await streamCampaignEvents(deps.db, params.id, req, res);
        return undefined;
      },
    }),
  ];
}
