import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../http/define-route';
import { principalOf } from '../http/principal';
import { idParams } from '../../../shared/api/common.schema';
import { CARRIERS } from '../../../shared/carriers';
import { US_REGIONS } from '../../../shared/population/us-regions';
import {
  ACCOUNT_TYPES,
  AUDIT_EVENT_TYPES,
  CHANNELS,
  CUSTOMER_NOTICE_KINDS,
  DATA_CATEGORIES,
  LOCALES,
  NOTIFICATION_STATES,
  REGIMES,
  TLP_LABELS,
} from '../../../shared/domain';
import type { ApiDeps } from '../steps/api-deps';

const READ = ['operator', 'auditor'] as const;
const LIST_LIMIT = 200; // the dashboard lists the newest incidents; older ones are reached by id

/**
 * Read-only JSON the dashboard needs and the public API does not offer (who am I, vocabularies,
 * incident and campaign lists, per-carrier counts). Mounted with the same guard as the API, but not
 * part of /openapi.json: the dashboard's page model is not a contract.
 */
export function dashboardApiRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/dashboard/api/me',
      summary: 'The signed-in key, what it may do, and the vocabularies the forms offer',
      tags: ['dashboard'],
      roles: READ,
      responses: { 200: { description: 'Session and vocabularies' } },
      handler: async ({ req }) => {
        const p = principalOf(req)!;
        return {
          status: 200,
          body: {
            name: p.name,
            role: p.role,
            scopes: p.scopes,
            canOperate: p.role === 'operator' || p.role === 'admin',
            isAdmin: p.role === 'admin',
            canReadPii: p.role === 'admin' || p.scopes.includes('pii:read'),
            simUrl: deps.config.CARRIER_SIM_URL,
            vocab: {
              channels: CHANNELS,
              kinds: CUSTOMER_NOTICE_KINDS,
              locales: LOCALES,
              dataCategories: DATA_CATEGORIES,
              accountTypes: ACCOUNT_TYPES,
              regions: US_REGIONS,
              regimes: REGIMES,
              tlp: TLP_LABELS,
              notificationStates: NOTIFICATION_STATES,
              auditEventTypes: AUDIT_EVENT_TYPES,
              carriers: CARRIERS.map((c) => ({
                id: c.id,
                name: c.name,
                postalAddress: c.postalAddress,
                supportPhone: c.supportPhone,
                emailDomain: c.emailDomain,
              })),
            },
          },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/api/incidents',
      summary: 'The newest incidents',
      tags: ['dashboard'],
      roles: READ,
      responses: { 200: { description: 'Incidents, newest first' } },
      handler: async () => {
        const r = await deps.db.query<Record<string, unknown>>(
          `SELECT i.id, i.exercise_id AS "exerciseId", i.title, i.regime, i.tlp, i.carriers,
                  i.created_at AS "createdAt", i.le_report_sent_at AS "leReportSentAt",
                  (SELECT count(*)::int FROM campaigns c WHERE c.incident_id = i.id) AS campaigns
             FROM incidents i ORDER BY i.id DESC LIMIT $1`,
          [LIST_LIMIT],
        );
        return { status: 200, body: { items: r.rows } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/api/incidents/:id/campaigns',
      summary: 'The campaigns of an incident',
      tags: ['dashboard'],
      roles: READ,
      params: idParams,
      responses: { 200: { description: 'Campaigns, oldest first' } },
      handler: async ({ params }) => {
        const r = await deps.db.query<Record<string, unknown>>(
          `SELECT id, kind, channels, state, locale, created_at AS "createdAt", triggered_at AS "triggeredAt",
                  completed_at AS "completedAt"
             FROM campaigns WHERE incident_id = $1 ORDER BY id`,
          [params.id],
        );
        return { status: 200, body: { items: r.rows } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/dashboard/api/campaigns/:id/carriers',
      summary: 'Notification counts by carrier and state',
      tags: ['dashboard'],
      roles: READ,
      params: idParams,
      query: z.object({}).loose(),
      responses: { 200: { description: 'Counts by carrier, then state' } },
      handler: async ({ params }) => {
        const r = await deps.db.query<{ carrier: string; state: string; n: number }>(
          `SELECT carrier, state, count(*)::int AS n FROM notification WHERE campaign_id = $1
            GROUP BY carrier, state ORDER BY carrier, state`,
          [params.id],
        );
        const byCarrier: Record<string, Record<string, number>> = {};
        for (const row of r.rows) (byCarrier[row.carrier] ??= {})[row.state] = Number(row.n);
        return { status: 200, body: { byCarrier } };
      },
    }),
  ];
}
