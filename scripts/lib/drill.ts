import { Presets, SingleBar } from 'cli-progress';
import { generatePopulation } from '../../shared/population/generate-population';
import type { Campaign } from '../../shared/api/campaigns.schema';
import type { Incident } from '../../shared/api/incidents.schema';
import { CARRIER_IDS, getCarrier } from '../../shared/carriers';
import type { KeyRole } from '../../shared/auth/api-keys';
import { apiClient, percentile, type ApiClient } from './api-client';

interface AuditEvent {
  seq: number;
  at: string;
  type: string;
  campaignId: number | null;
  notificationId: number | null;
  carrier: string | null;
  channel: string | null;
}

export interface Arrival {
  channel: 'sms' | 'email';
  carrier: string;
  recipient: string;
  key: string;
  campaignId: number | null;
  at: string;
}

/** Registers a seeded synthetic population through the API, a few requests at a time. */
export async function registerPopulation(
  api: ApiClient,
  count: number,
  seed: number,
  progress = true,
): Promise<number> {
  const bar = progress
    ? new SingleBar(
        { format: 'register   [{bar}] {value}/{total}', hideCursor: true },
        Presets.shades_classic,
      )
    : null;
  bar?.start(count, 0);
  const people = [...generatePopulation({ count, seed })];
  let done = 0;
  for (let i = 0; i < people.length; i += 8) {
    await Promise.all(people.slice(i, i + 8).map((p) => api.post('/v1/subscribers', p)));
    done = Math.min(people.length, i + 8);
    bar?.update(done);
  }
  bar?.stop();
  return done;
}

export async function createDrillIncident(api: ApiClient, exerciseId: string): Promise<Incident> {
  const now = Date.now();
  return api.post<Incident>('/v1/incidents', {
    exerciseId,
    title: 'Simulated telecom metadata exposure (Salt Typhoon-style scenario)',
    threatActor: 'SIMULATED-APT-TIDEPOOL',
    carriers: CARRIER_IDS,
    dataCategories: ['call_records', 'sms_metadata', 'location'],
    window: {
      start: new Date(now - 200 * 86_400_000).toISOString(),
      end: new Date(now - 10 * 86_400_000).toISOString(),
    },
    determinedAt: new Date(now - 3 * 86_400_000).toISOString(),
    regime: 'amended',
    tlp: 'TLP:CLEAR',
  });
}

/**
 * The drill's law-enforcement report (the seven FCC 64.2011(a)(1) fields, all fictional), from the
 * incident's first carrier. Customer notices wait until it is recorded as sent (DOMAIN.md §5).
 */
export function drillLawEnforcementReport(incident: Pick<Incident, 'carriers' | 'window'>) {
  const carrier = getCarrier(incident.carriers[0]!);
  return {
    carrier: carrier.id,
    carrierContact: {
      carrierName: carrier.name,
      postalAddress: carrier.postalAddress,
      contactName: 'Morgan Example, Privacy Officer',
      phone: carrier.supportPhone,
      email: `breach-reports@${carrier.emailDomain}`,
    },
    incidentDescription: 'Simulated intruders accessed core network systems and copied call metadata.',
    methodOfCompromise:
      'Simulated exploitation of an unpatched edge router, then stolen administrator credentials.',
    dateRange: { start: incident.window.start, end: incident.window.end },
    approximateCustomersAffected: 125000,
    estimatedFinancialLossUsd: 2500000,
    dataTypes: ['call_records', 'location'],
  };
}

export async function sendDrillLawEnforcementReport(api: ApiClient, incident: Incident): Promise<void> {
  await api.post(`/v1/incidents/${incident.id}/law-enforcement-report`, drillLawEnforcementReport(incident));
}

/** Two-person rule: the campaign's creator cannot approve it; a second operator does, then it is triggered. */
export async function approveAndTrigger(
  approver: ApiClient,
  trigger: ApiClient,
  campaignId: number,
): Promise<void> {
  await approver.post(`/v1/campaigns/${campaignId}/approve`);
  await trigger.post(`/v1/campaigns/${campaignId}/trigger`);
}

/** Creates API keys through the admin key (POST /v1/keys) and returns a client for each. */
export async function clientsWithNewKeys(
  apiUrl: string,
  adminKey: string,
  keys: readonly { name: string; role: KeyRole }[],
): Promise<ApiClient[]> {
  const admin = apiClient(apiUrl, { authorization: `Bearer ${adminKey}` });
  const out: ApiClient[] = [];
  for (const k of keys) {
    const created = await admin.post<{ key: string }>('/v1/keys', { name: k.name, role: k.role });
    out.push(apiClient(apiUrl, { authorization: `Bearer ${created.key}` }));
  }
  return out;
}

/** Polls the campaigns until all are completed, drawing one bar per campaign. */
export async function waitForCampaigns(
  api: ApiClient,
  ids: number[],
  timeoutMs: number,
  progress = true,
): Promise<Campaign[]> {
  const bars = progress
    ? new (await import('cli-progress')).MultiBar(
        { format: 'campaign {campaign} [{bar}] {value}/{total} terminal  {state}', hideCursor: true },
        Presets.shades_classic,
      )
    : null;
  const handles = new Map(ids.map((id) => [id, bars?.create(1, 0, { campaign: id, state: 'triggered' })]));
  const deadline = Date.now() + timeoutMs;
  let last: Campaign[] = [];
  try {
    while (Date.now() < deadline) {
      last = await Promise.all(ids.map((id) => api.get<Campaign>(`/v1/campaigns/${id}`)));
      for (const c of last) {
        const open = ['pending', 'sending', 'sent', 'retrying'].reduce(
          (n, s) => n + (c.counts.byState[s] ?? 0),
          0,
        );
        const h = handles.get(c.id);
        h?.setTotal(Math.max(1, c.counts.total));
        h?.update(c.counts.total - open, { state: c.state });
      }
      if (last.every((c) => c.state === 'completed' || c.state === 'cancelled')) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    return last;
  } finally {
    bars?.stop();
  }
}

export async function auditEvents(api: ApiClient, campaignId: number, type: string): Promise<AuditEvent[]> {
  const out: AuditEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await api.get<{ items: AuditEvent[]; nextCursor: number | null }>(
      `/v1/audit?campaign=${campaignId}&type=${type}&limit=1000&after=${after}`,
    );
    out.push(...page.items);
    if (page.nextCursor === null) return out;
    after = page.nextCursor;
  }
}

export async function fetchArrivals(simUrl: string): Promise<Arrival[]> {
  const res = await fetch(`${simUrl}/arrivals`);
  const text = await res.text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Arrival);
}

export interface SummaryRow {
  key: string;
  delivered: number;
  failed: number;
  other: number;
  p50: number;
  p95: number;
}

/** Per-channel and per-carrier summary from the audit log; latency is trigger → delivered. */
export async function summarize(
  api: ApiClient,
  campaigns: Campaign[],
): Promise<{ byChannel: SummaryRow[]; byCarrier: SummaryRow[] }> {
  const rows = new Map<string, { delivered: number; failed: number; other: number; lat: number[] }>();
  const bump = (key: string, field: 'delivered' | 'failed' | 'other', lat?: number) => {
    const r = rows.get(key) ?? { delivered: 0, failed: 0, other: 0, lat: [] };
    r[field] += 1;
    if (lat !== undefined) r.lat.push(lat);
    rows.set(key, r);
  };
  for (const c of campaigns) {
    const triggered = Date.parse(c.triggeredAt ?? c.createdAt);
    for (const e of await auditEvents(api, c.id, 'notification.delivered')) {
      const lat = Date.parse(e.at) - triggered;
      bump(`channel:${e.channel}`, 'delivered', lat);
      bump(`carrier:${e.carrier}`, 'delivered', lat);
    }
    for (const e of await auditEvents(api, c.id, 'notification.failed')) {
      bump(`channel:${e.channel}`, 'failed');
      bump(`carrier:${e.carrier}`, 'failed');
    }
  }
  const toRow = ([key, r]: [
    string,
    { delivered: number; failed: number; other: number; lat: number[] },
  ]): SummaryRow => {
    const sorted = [...r.lat].sort((a, b) => a - b);
    return {
      key: key.split(':')[1]!,
      delivered: r.delivered,
      failed: r.failed,
      other: r.other,
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
    };
  };
  const all = [...rows].map(toRow);
  return {
    byChannel: [...rows].filter(([k]) => k.startsWith('channel:')).map(toRow),
    byCarrier: [...rows]
      .filter(([k]) => k.startsWith('carrier:'))
      .map(toRow)
      .sort((a, b) => a.key.localeCompare(b.key)),
    ...(all.length < 0 ? {} : {}),
  };
}

export function printTable(title: string, rows: SummaryRow[]): void {
  console.log(`\n${title}`);
  console.log(
    `  ${'name'.padEnd(22)}${'delivered'.padStart(10)}${'failed'.padStart(8)}${'p50 ms'.padStart(9)}${'p95 ms'.padStart(9)}`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.key.padEnd(22)}${String(r.delivered).padStart(10)}${String(r.failed).padStart(8)}${String(r.p50).padStart(9)}${String(r.p95).padStart(9)}`,
    );
  }
}
