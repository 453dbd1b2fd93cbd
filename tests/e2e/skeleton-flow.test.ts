import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcessStack, type InProcessStack } from '../helpers/stack-harness';
import { authHeaders } from '../helpers/api-harness';
import { apiClient } from '../../scripts/lib/api-client';
import {
  approveAndTrigger,
  drillLawEnforcementReport,
  fetchArrivals,
  waitForCampaigns,
} from '../../scripts/lib/drill';
import { generatePopulation } from '../../shared/population/generate-population';
import type { Campaign } from '../../shared/api/campaigns.schema';
import type { Incident } from '../../shared/api/incidents.schema';

let stack: InProcessStack;
beforeAll(async () => {
  stack = await startInProcessStack('e2e');
});
afterAll(async () => {
  await stack?.close();
});

describe('skeleton flow over real HTTP, Redis, the database and SMTP', () => {
  it('register → incident → campaign → trigger → every notice arrives once at the carrier-sim', async () => {
    const api = apiClient(stack.apiUrl, authHeaders('operator'));
    const people = [...generatePopulation({ count: 40, seed: 7 })];
    for (const p of people) await api.post('/v1/subscribers', p);
    const incident = await api.post<Incident>('/v1/incidents', {
      exerciseId: 'EX-E2E-1',
      title: 'Simulated metadata exposure',
      threatActor: 'SIMULATED-APT',
      carriers: [...new Set(people.map((p) => p.carrier))],
      dataCategories: ['call_records', 'location'],
      window: { start: '2024-03-01T00:00:00Z', end: '2024-09-01T00:00:00Z' },
      determinedAt: '2024-10-01T12:00:00Z',
    });
    const campaign = await api.post<Campaign>('/v1/campaigns', {
      incidentId: incident.id,
      kind: 'carrier-notice',
      channels: ['email', 'sms'],
    });
    // Lifecycle: the law-enforcement report first, then a second operator approves (two-person rule).
    await api.post(
      `/v1/incidents/${incident.id}/law-enforcement-report`,
      drillLawEnforcementReport(incident),
    );
    await approveAndTrigger(apiClient(stack.apiUrl, authHeaders('operator2')), api, campaign.id);

    const [done] = await waitForCampaigns(api, [campaign.id], 60_000, false);
    expect(done!.state).toBe('completed');

    // The oracle is what the carrier-sim received, not our ledger.
    const expectedSms = people
      .filter((p) => p.channels.includes('sms'))
      .map((p) => p.msisdn)
      .sort();
    const expectedEmail = people
      .filter((p) => p.channels.includes('email'))
      .map((p) => p.email!.toLowerCase())
      .sort();
    const arrivals = (await fetchArrivals(stack.simUrl)).filter((a) => Number(a.campaignId) === campaign.id);
    expect(
      arrivals
        .filter((a) => a.channel === 'sms')
        .map((a) => a.recipient)
        .sort(),
    ).toEqual(expectedSms);
    expect(
      arrivals
        .filter((a) => a.channel === 'email')
        .map((a) => a.recipient.toLowerCase())
        .sort(),
    ).toEqual(expectedEmail);
    expect(new Set(arrivals.map((a) => a.key)).size).toBe(arrivals.length);

    expect(done!.counts.byState).toEqual({ delivered: expectedSms.length + expectedEmail.length });

    // What a handset shows: the SMS starts with the exercise marker.
    const inbox = (await (
      await fetch(`${stack.simUrl}/inbox/sms/${encodeURIComponent(expectedSms[0]!)}`)
    ).json()) as { text?: string }[] | { messages: { text: string }[] };
    const first = Array.isArray(inbox) ? inbox[0] : inbox.messages[0];
    expect(first?.text).toMatch(/^EXERCISE EXERCISE EXERCISE/);

    // The audit log has the whole story of one notification.
    const audit = await api.get<{ items: { type: string; notificationId: number | null }[] }>(
      `/v1/audit?campaign=${campaign.id}&limit=1000`,
    );
    const types = new Set(audit.items.map((e) => e.type));
    for (const t of [
      'campaign.triggered',
      'notification.queued',
      'notification.attempt_started',
      'notification.sent',
      'notification.delivered',
      'campaign.completed',
    ]) {
      expect(types, t).toContain(t);
    }
  });
});
