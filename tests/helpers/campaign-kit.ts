import { expect } from 'vitest';
import type { Db } from '../../shared/store/db';
import { generatePopulation } from '../../shared/population/generate-population';
import type { SubscriberInput } from '../../shared/api/subscribers.schema';
import type { Campaign } from '../../shared/api/campaigns.schema';
import { ApiError, apiClient } from '../../scripts/lib/api-client';
import {
  approveAndTrigger,
  drillLawEnforcementReport,
  fetchArrivals,
  type Arrival,
} from '../../scripts/lib/drill';
import { authHeaders } from './api-harness';
import { idempotencyKey, messageIdFor } from '../../shared/queues';

/** Inserts a seeded population straight into the store (engine tests do not test registration). */
export async function seedSubscribers(
  db: Db,
  opts: { count: number; seed: number; carriers?: string[] },
): Promise<SubscriberInput[]> {
  const people = [...generatePopulation(opts)];
  await db.query(
    `INSERT INTO subscribers (carrier, msisdn, email, display_name, locale, region, account_type, data_categories, channels)
     SELECT carrier, msisdn, email, display_name, locale, region, account_type,
            ARRAY(SELECT jsonb_array_elements_text(data_categories)), ARRAY(SELECT jsonb_array_elements_text(channels))
       FROM jsonb_to_recordset($1::jsonb) AS p(carrier text, msisdn text, email text, display_name text, locale text,
            region text, account_type text, data_categories jsonb, channels jsonb)
     ON CONFLICT (carrier, msisdn) DO NOTHING`,
    [
      JSON.stringify(
        people.map((p) => ({
          carrier: p.carrier,
          msisdn: p.msisdn,
          email: p.email,
          display_name: p.displayName,
          locale: p.locale,
          region: p.region,
          account_type: p.accountType,
          data_categories: p.dataCategories,
          channels: p.channels,
        })),
      ),
    ],
  );
  return people;
}

export interface LaunchOptions {
  channels: ('email' | 'sms')[];
  carriers: string[];
  kind?: 'agency-advisory' | 'carrier-notice';
  /** Create and prepare, but do not trigger. */
  trigger?: boolean;
  /** More campaign fields (start time, throttle). */
  campaign?: { startAt?: string; throttle?: number };
}

/**
 * Creates an incident and a campaign through the API and triggers it, doing whatever the lifecycle
 * requires first (law-enforcement report, approval by a second operator) when those routes exist.
 */
export async function launchCampaign(apiUrl: string, opts: LaunchOptions): Promise<number> {
  const op = apiClient(apiUrl, authHeaders('operator'));
  const incident = await op.post<{ id: number; carriers: string[]; window: { start: string; end: string } }>(
    '/v1/incidents',
    {
      exerciseId: `EX-${Date.now().toString(36)}`,
      title: 'Simulated metadata exposure',
      threatActor: 'SIMULATED-APT',
      carriers: opts.carriers,
      dataCategories: ['call_records'],
      window: { start: '2024-03-01T00:00:00Z', end: '2024-09-01T00:00:00Z' },
      determinedAt: '2024-10-01T12:00:00Z',
    },
  );
  // Ordering rule: customer notices wait for the law-enforcement report (DOMAIN.md §5). It is an
  // email too, so a test's injected SMTP faults may refuse it (503): send it again.
  for (let attempt = 1; ; attempt++) {
    try {
      await op.post(
        `/v1/incidents/${incident.id}/law-enforcement-report`,
        drillLawEnforcementReport(incident),
      );
      break;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 503) || attempt >= 30) throw err;
    }
  }
  const campaign = await op.post<Campaign>('/v1/campaigns', {
    incidentId: incident.id,
    kind: opts.kind ?? 'carrier-notice',
    channels: opts.channels,
    ...opts.campaign,
  });
  // Two-person rule: a second operator approves, then it is triggered.
  if (opts.trigger !== false)
    await approveAndTrigger(apiClient(apiUrl, authHeaders('operator2')), op, campaign.id);
  else await apiClient(apiUrl, authHeaders('operator2')).post(`/v1/campaigns/${campaign.id}/approve`);
  return campaign.id;
}

export async function getCampaign(apiUrl: string, id: number): Promise<Campaign> {
  return apiClient(apiUrl, authHeaders('operator')).get<Campaign>(`/v1/campaigns/${id}`);
}

export async function waitForState(
  apiUrl: string,
  id: number,
  states: string[],
  timeoutMs = 60_000,
): Promise<Campaign> {
  const deadline = Date.now() + timeoutMs;
  let c = await getCampaign(apiUrl, id);
  while (!states.includes(c.state) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    c = await getCampaign(apiUrl, id);
  }
  return c;
}

export async function arrivalsOf(simUrl: string, campaignId: number): Promise<Arrival[]> {
  return (await fetchArrivals(simUrl)).filter((a) => Number(a.campaignId) === campaignId);
}

export interface LedgerRow {
  id: number;
  channel: 'email' | 'sms';
  state: string;
  reason: string | null;
  attempts: number;
  carrier: string;
}

export async function ledgerOf(db: Db, campaignId: number): Promise<LedgerRow[]> {
  return (
    await db.query<LedgerRow>(
      'SELECT id, channel, state, reason, attempts, carrier FROM notification WHERE campaign_id = $1 ORDER BY id',
      [campaignId],
    )
  ).rows;
}

export function arrivalKeyOf(row: { id: number; channel: 'email' | 'sms' }, campaignId: number): string {
  return row.channel === 'sms'
    ? idempotencyKey(campaignId, row.id)
    : messageIdFor(campaignId, row.id).replace(/^<|>$/g, '');
}

/**
 * The ground-truth check: every arrival is one of ours and arrived once; every notification that
 * the ledger says reached the carrier arrived; none that ended failed or cancelled arrived; nothing
 * is left non-terminal.
 */
export function expectExactlyOnce(campaignId: number, rows: LedgerRow[], arrivals: Arrival[]): void {
  const keys = arrivals.map((a) => a.key);
  expect(new Set(keys).size, 'duplicate arrivals').toBe(keys.length);
  const byKey = new Map(rows.map((r) => [arrivalKeyOf(r, campaignId), r]));
  for (const k of keys) expect(byKey.has(k), `unexpected arrival ${k}`).toBe(true);
  const arrived = new Set(keys);
  for (const r of rows) {
    expect(
      ['delivered', 'undelivered', 'failed', 'suppressed', 'cancelled'],
      `row ${r.id} not terminal`,
    ).toContain(r.state);
    if (r.state === 'delivered')
      expect(arrived.has(arrivalKeyOf(r, campaignId)), `delivered row ${r.id} never arrived`).toBe(true);
    if (r.state === 'failed' || r.state === 'cancelled' || r.state === 'suppressed') {
      expect(arrived.has(arrivalKeyOf(r, campaignId)), `${r.state} row ${r.id} arrived`).toBe(false);
    }
    if (r.state !== 'delivered') expect(r.reason, `row ${r.id} ${r.state} without a reason`).toBeTruthy();
  }
}
