import type { ApiDeps } from '../steps/api-deps';
import { defineRoute, type RouteSpec } from '../http/define-route';
import { errorBody, idParams } from '../../../shared/api/common.schema';
import { campaignReport, campaignReportQuery } from '../../../shared/api/report.schema';
import { AppError } from '../../../shared/errors';
import { actorOf, canReadPii } from '../http/principal';
import { buildCampaignReport, loadCampaign } from '../steps/reports/build-campaign-report';
import { reportTableCsv, streamNotDeliveredCsv } from '../steps/reports/campaign-report-csv';
import { renderCampaignReportHtml } from '../steps/reports/render-campaign-report-html';
import { revealContacts } from '../steps/audit/reveal-contacts';

export function reportsRoutes(deps: ApiDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/campaigns/:id/report',
      summary:
        'Campaign report: counts by state × channel × carrier, latency percentiles, throughput, failure reasons, why each recipient was not delivered (format=json|csv|html; csv takes table=…)',
      tags: ['reports'],
      roles: ['operator', 'auditor'],
      params: idParams,
      query: campaignReportQuery,
      responses: {
        200: {
          description: 'The report (JSON; csv and html as text/csv and text/html)',
          schema: campaignReport,
        },
        403: { description: 'reveal=contact without the pii:read scope', schema: errorBody },
        404: { description: 'Unknown campaign', schema: errorBody },
      },
      handler: async ({ params, query, req, res }) => {
        if (query.reveal === 'contact' && !canReadPii(req))
          throw new AppError('FORBIDDEN', 'reveal=contact needs a key with the pii:read scope');
        const base = `/v1/campaigns/${params.id}/report`;
        if (query.format === 'csv' && query.table === 'not-delivered') {
          await loadCampaign(deps.db, params.id);
          res.status(200).set({
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': `attachment; filename="campaign-${params.id}-not-delivered.csv"`,
          });
          await streamNotDeliveredCsv(deps.db, params.id, res);
          res.end();
          return undefined;
        }
        const report = await buildCampaignReport(deps.db, params.id, query);
        if (query.reveal === 'contact' && report.notDelivered.items.length > 0) {
          const items = report.notDelivered.items.map((i) => ({ ...i, campaignId: params.id }));
          const contacts = await revealContacts(deps.db, items, {
            actor: actorOf(req),
            purpose: `GET ${base}?reveal=contact`,
            query: { ...query },
            campaignId: params.id,
          });
          for (const i of report.notDelivered.items) i.contact = contacts.get(i.notificationId) ?? null;
        }
        if (query.format === 'csv') {
          res
            .status(200)
            .type('text/csv; charset=utf-8')
            .set('content-disposition', `attachment; filename="campaign-${params.id}-${query.table}.csv"`)
            .send(reportTableCsv(report, query.table as Exclude<typeof query.table, 'not-delivered'>));
          return undefined;
        }
        if (query.format === 'html') {
          const pageQuery = `&limit=${query.limit}${query.reveal ? `&reveal=${query.reveal}` : ''}`;
          res
            .status(200)
            .type('html')
            .send(renderCampaignReportHtml(report, base, pageQuery));
          return undefined;
        }
        return { status: 200, body: report };
      },
    }),
  ];
}
