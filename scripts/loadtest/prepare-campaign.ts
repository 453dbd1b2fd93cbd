/**
 * "Prepare and trigger a campaign", in one place for the load test and the benchmark: whatever the
 * campaign lifecycle requires before a trigger (incident, law-enforcement report, approval by a
 * second operator) goes through the drill helpers the demo uses (scripts/lib/drill.ts), so a change
 * in the lifecycle is adapted here only.
 */
import type { Campaign } from '../../shared/api/campaigns.schema';
import type { Channel, NoticeKind } from '../../shared/domain';
import type { ApiClient } from '../lib/api-client';
import { clientsWithNewKeys, createDrillIncident, sendDrillLawEnforcementReport } from '../lib/drill';

export interface Operators {
  /** Creates incidents and campaigns, and triggers. */
  author: ApiClient;
  /** A second, distinct operator: the two-person rule's approver. */
  approver: ApiClient;
}

/** Two fresh operator keys made with the admin key (POST /v1/keys). */
export async function createOperators(apiUrl: string, adminKey: string, label: string): Promise<Operators> {
  const stamp = Date.now().toString(36);
  const [author, approver] = await clientsWithNewKeys(apiUrl, adminKey, [
    { name: `${label} operator ${stamp}`, role: 'operator' },
    { name: `${label} approver ${stamp}`, role: 'operator' },
  ]);
  return { author: author!, approver: approver! };
}

export interface CampaignPlan {
  kind: Extract<NoticeKind, 'agency-advisory' | 'carrier-notice'>;
  channels: Channel[];
  /** Audience narrowing (regions, carriers...); everyone registered by default. */
  audience?: Record<string, unknown>;
  /** Exercise id prefix. */
  label: string;
}

/** Incident with its law-enforcement report sent, then a campaign approved by the second operator. */
export async function prepareCampaign(ops: Operators, plan: CampaignPlan): Promise<number> {
  const exerciseId =
    `${plan.label}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`
      .toUpperCase()
      .replace(/[^A-Z0-9-]/g, '-');
  const incident = await createDrillIncident(ops.author, exerciseId);
  // No customer notice before the law-enforcement report is recorded as sent (DOMAIN.md §5). It is
  // an email through the carrier-sim's SMTP sink, so an injected SMTP fault may refuse it: retry.
  for (let attempt = 1; ; attempt++) {
    try {
      await sendDrillLawEnforcementReport(ops.author, incident);
      break;
    } catch (err) {
      if (attempt >= 10) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
  const campaign = await ops.author.post<Campaign>('/v1/campaigns', {
    incidentId: incident.id,
    kind: plan.kind,
    channels: plan.channels,
    ...(plan.audience ? { audience: plan.audience } : {}),
  });
  await ops.approver.post(`/v1/campaigns/${campaign.id}/approve`);
  return campaign.id;
}

/** Triggers prepared campaigns at once (a spike triggers several in the same instant). */
export async function triggerCampaigns(ops: Operators, ids: readonly number[]): Promise<void> {
  await Promise.all(ids.map((id) => ops.author.post(`/v1/campaigns/${id}/trigger`)));
}
