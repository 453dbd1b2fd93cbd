import { readFileSync } from 'node:fs';
import { validateXML } from 'xmllint-wasm';
import { createCarrierSim, type CarrierSim } from '../../services/carrier-sim/create-carrier-sim';
import { authHeaders, http, startApi, type ApiHarness } from './api-harness';
import { testLogger } from './world';
import { drillLawEnforcementReport, fetchArrivals, type Arrival } from '../../scripts/lib/drill';

/**
 * Helpers for the incident and campaign lifecycle tests (issue 6): an api with a real SMTP sink (the
 * carrier-sim, for the law-enforcement report), callers by role, and the CAP schema validator.
 */

const XSD = readFileSync(new URL('../data/CAP-v1.2.xsd', import.meta.url), 'utf8');

export async function validateCap(xml: string) {
  return validateXML({
    xml: [{ fileName: 'alert.xml', contents: xml }],
    schema: [{ fileName: 'CAP-v1.2.xsd', contents: XSD }],
  });
}

/** Well-formedness only: xmllint parses and re-formats the document. */
export async function isWellFormedXml(xml: string): Promise<boolean> {
  const r = await validateXML({ xml: [{ fileName: 'doc.xml', contents: xml }], normalization: 'format' });
  return r.valid && r.normalized.length > 0;
}

export interface ApiWithSink {
  api: ApiHarness;
  url: string;
  simUrl: string;
  sim: CarrierSim;
  close(): Promise<void>;
}

/** The real api (no workers) with the carrier-sim's SMTP sink behind SMTP_HOST:SMTP_PORT. */
export async function startApiWithSink(
  label: string,
  overrides: Record<string, string> = {},
): Promise<ApiWithSink> {
  const sim = createCarrierSim({
    apiUrl: 'http://127.0.0.1:9',
    webhookSecret: 'test-webhook-secret-0123456789',
    logger: testLogger,
    seed: 1,
  });
  const ports = await sim.listen({ host: '127.0.0.1', httpPort: 0, smtpPort: 0 });
  const api = await startApi(label, { SMTP_PORT: String(ports.smtpPort), ...overrides });
  return {
    api,
    url: api.url,
    simUrl: `http://127.0.0.1:${ports.httpPort}`,
    sim,
    async close() {
      await api.close();
      await sim.close();
    },
  };
}

export type Caller = 'operator' | 'operator2' | 'auditor' | 'admin';

/** An HTTP call as `who` (authHeaders), JSON in and out. */
export function as(who: Caller, url: string) {
  return (method: string, path: string, body?: unknown) => http(url, method, path, body, authHeaders(who));
}

let seq = 0;
export function incidentBody(overrides: Record<string, unknown> = {}) {
  seq += 1;
  return {
    exerciseId: `EX-LIFE-${Date.now().toString(36)}-${seq}`,
    title: 'Simulated metadata exposure',
    threatActor: 'SIMULATED-APT',
    carriers: ['northwind-mobile', 'bluecrest-wireless'],
    dataCategories: ['call_records', 'location'],
    window: { start: '2024-03-01T00:00:00Z', end: '2024-09-01T00:00:00Z' },
    determinedAt: new Date(Date.now() - 2 * 86_400_000).toISOString(),
    regime: 'amended',
    ...overrides,
  };
}

export function leReportFor(incident: { carriers: string[]; window: { start: string; end: string } }) {
  return drillLawEnforcementReport(incident);
}

export async function arrivalsTo(simUrl: string, recipient: string): Promise<Arrival[]> {
  return (await fetchArrivals(simUrl)).filter((a) => a.recipient.toLowerCase() === recipient.toLowerCase());
}

export const REPORT_SINK = 'reports@breach-reporting-facility.test';

/** Creates an incident (optionally with its report sent) and a draft campaign; returns their ids. */
export async function draftCampaign(
  url: string,
  opts: {
    incident?: Record<string, unknown>;
    sendReport?: boolean;
    kind?: 'agency-advisory' | 'carrier-notice';
    channels?: ('email' | 'sms')[];
  } = {},
): Promise<{ incidentId: number; campaignId: number }> {
  const op = as('operator', url);
  const inc = await op('POST', '/v1/incidents', incidentBody(opts.incident));
  if (inc.status !== 201) throw new Error(`incident: ${inc.status} ${JSON.stringify(inc.body)}`);
  const incident = inc.body as unknown as {
    id: number;
    carriers: string[];
    window: { start: string; end: string };
  };
  if (opts.sendReport) {
    const r = await op('POST', `/v1/incidents/${incident.id}/law-enforcement-report`, leReportFor(incident));
    if (r.status !== 201) throw new Error(`report: ${r.status} ${JSON.stringify(r.body)}`);
  }
  const c = await op('POST', '/v1/campaigns', {
    incidentId: incident.id,
    kind: opts.kind ?? 'carrier-notice',
    channels: opts.channels ?? ['email', 'sms'],
  });
  if (c.status !== 201) throw new Error(`campaign: ${c.status} ${JSON.stringify(c.body)}`);
  return { incidentId: incident.id, campaignId: c.body.id as number };
}

export const holdBody = (days = 10) => ({
  agency: 'SIMULATED FBI field office',
  until: new Date(Date.now() + days * 86_400_000).toISOString(),
  basis: 'Written directive: notifying customers now would impede an active investigation.',
});

export const releaseBody = { basis: 'Written release: the investigation no longer needs the delay.' };
