import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSubscribers } from '../helpers/campaign-kit';
import {
  as,
  draftCampaign,
  holdBody,
  leReportFor,
  releaseBody,
  startApiWithSink,
  type ApiWithSink,
} from '../helpers/lifecycle-kit';
import { jobIds } from '../../shared/queues';

// The campaign lifecycle's rules over real HTTP and the test database, without workers (a triggered
// campaign stays triggered): the two-person rule, and the ordering rules of DOMAIN.md §5 under
// concurrent requests. Outcomes are checked in the store, not only in the answers.
let w: ApiWithSink;
let op: ReturnType<typeof as>;
let op2: ReturnType<typeof as>;
const carriers = ['northwind-mobile', 'bluecrest-wireless'];

beforeAll(async () => {
  w = await startApiWithSink('lifecyclerules');
  op = as('operator', w.url);
  op2 = as('operator2', w.url);
  await seedSubscribers(w.api.deps.db, { count: 30, seed: 5, carriers });
}, 120_000); // PGlite start and migrations are slow on a loaded machine
afterAll(async () => {
  await w?.close();
});

async function campaignRow(id: number) {
  return (
    await w.api.deps.db.query<{ state: string; paused_by_hold: boolean; triggered_at: Date | null }>(
      'SELECT state, paused_by_hold, triggered_at FROM campaigns WHERE id = $1',
      [id],
    )
  ).rows[0]!;
}

async function auditCount(campaignId: number, type: string): Promise<number> {
  return (
    await w.api.deps.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM audit_log WHERE campaign_id = $1 AND type = $2',
      [campaignId, type],
    )
  ).rows[0]!.n;
}

async function approved(opts: Parameters<typeof draftCampaign>[1] = {}) {
  const d = await draftCampaign(w.url, opts);
  const a = await op2('POST', `/v1/campaigns/${d.campaignId}/approve`);
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  return d;
}

const codes = (r: { body: { error?: { details: unknown[] } } }) =>
  (r.body.error?.details as { code?: string }[] | undefined)?.map((d) => d.code) ?? [];

describe('two-person rule', () => {
  it('the creator’s own key → 403 two_person_rule, audited; an auditor → 403; a second operator → approved', async () => {
    const { campaignId } = await draftCampaign(w.url, { sendReport: true });
    const self = await op('POST', `/v1/campaigns/${campaignId}/approve`);
    expect(self.status).toBe(403);
    expect(self.body.error?.code).toBe('FORBIDDEN');
    expect(codes(self)).toContain('two_person_rule');
    expect(await auditCount(campaignId, 'campaign.approval_refused')).toBe(1);
    expect((await as('auditor', w.url)('POST', `/v1/campaigns/${campaignId}/approve`)).status).toBe(403);
    expect((await campaignRow(campaignId)).state).toBe('draft');

    // A draft cannot be triggered.
    const early = await op('POST', `/v1/campaigns/${campaignId}/trigger`);
    expect(early.status).toBe(409);
    expect(codes(early)).toContain('not_approved');

    const ok = await op2('POST', `/v1/campaigns/${campaignId}/approve`);
    expect(ok.status).toBe(200);
    expect(ok.body.state).toBe('approved');
    expect(ok.body.approvedBy).toMatch(/^key:/);
    expect(ok.body.approvedBy).not.toBe(ok.body.createdBy);
    expect((await op2('POST', `/v1/campaigns/${campaignId}/approve`)).status).toBe(409);
    const t = await op('POST', `/v1/campaigns/${campaignId}/trigger`);
    expect(t.status).toBe(202);
    expect(t.body.state).toBe('triggered');
  });

  it('concurrent approvals by the creator and a second key → exactly one approval, by the second key', async () => {
    const { campaignId } = await draftCampaign(w.url);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? op2 : op)('POST', `/v1/campaigns/${campaignId}/approve`)),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 403 || s === 409)).toBe(true);
    expect(await auditCount(campaignId, 'campaign.approved')).toBe(1);
    const winner = results.find((r) => r.status === 200)!;
    expect(winner.body.approvedBy).not.toBe(winner.body.createdBy);
  });

  it('concurrent triggers of one approved campaign → exactly one 202, one fan-out job', async () => {
    const { campaignId } = await approved({ sendReport: true });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => op('POST', `/v1/campaigns/${campaignId}/trigger`)),
    );
    expect(results.map((r) => r.status).sort()).toEqual([202, 409, 409, 409, 409, 409]);
    expect(await auditCount(campaignId, 'campaign.triggered')).toBe(1);
    expect(await w.api.deps.queues.fanOut.getJob(jobIds.fanOut(campaignId))).toBeTruthy();
  });
});

describe('ordering rules at trigger (DOMAIN.md §5)', () => {
  it('no law-enforcement report → 409 le-report-not-sent, audited, nothing enqueued', async () => {
    const { campaignId } = await approved();
    const r = await op('POST', `/v1/campaigns/${campaignId}/trigger`);
    expect(r.status).toBe(409);
    expect(codes(r)).toEqual(['le-report-not-sent']);
    expect(await auditCount(campaignId, 'campaign.trigger_refused')).toBe(1);
    expect((await campaignRow(campaignId)).state).toBe('approved');
    expect(await w.api.deps.queues.fanOut.getJob(jobIds.fanOut(campaignId))).toBeFalsy();
  });

  it('report and trigger at once → the trigger never wins before the report is recorded as sent', async () => {
    for (let i = 0; i < 4; i++) {
      const { incidentId, campaignId } = await approved();
      const inc = (await op('GET', `/v1/incidents/${incidentId}`)).body as unknown as Parameters<
        typeof leReportFor
      >[0];
      const [rep, trig] = await Promise.all([
        op('POST', `/v1/incidents/${incidentId}/law-enforcement-report`, leReportFor(inc)),
        op('POST', `/v1/campaigns/${campaignId}/trigger`),
      ]);
      expect(rep.status).toBe(201);
      if (trig.status === 202) {
        expect(Date.parse(String(rep.body.sentAt))).toBeLessThanOrEqual(
          (await campaignRow(campaignId)).triggered_at!.getTime(),
        );
      } else {
        expect(trig.status).toBe(409);
        expect(codes(trig)).toEqual(['le-report-not-sent']);
        expect((await op('POST', `/v1/campaigns/${campaignId}/trigger`)).status).toBe(202);
      }
    }
  });

  it('legacy: 7 full business days after the report → 409 legacy-waiting-period; the urgent-need override → 202', async () => {
    const { incidentId, campaignId } = await approved({ incident: { regime: 'legacy' }, sendReport: true });
    const r = await op('POST', `/v1/campaigns/${campaignId}/trigger`);
    expect(r.status).toBe(409);
    expect(codes(r)).toEqual(['legacy-waiting-period']);
    await op('POST', `/v1/incidents/${incidentId}/urgent-need`, {
      agencyConsulted: 'SIMULATED Secret Service',
      basis: 'Agency consulted: immediate notice needed to stop SIM-swap fraud.',
    });
    expect((await op('POST', `/v1/campaigns/${campaignId}/trigger`)).status).toBe(202);
  });

  it('a hold directed while a trigger runs → either the trigger is refused or the campaign ends paused; never live under a hold', async () => {
    let refused = 0;
    let paused = 0;
    for (let i = 0; i < 6; i++) {
      const { incidentId, campaignId } = await approved({ sendReport: true });
      const [trig, hold] = await Promise.all([
        op('POST', `/v1/campaigns/${campaignId}/trigger`),
        op('POST', `/v1/incidents/${incidentId}/holds`, holdBody()),
      ]);
      expect(hold.status).toBe(201);
      const row = await campaignRow(campaignId);
      if (trig.status === 202) {
        paused += 1;
        expect(row).toMatchObject({ state: 'paused', paused_by_hold: true });
        expect(hold.body.campaignsPaused).toEqual([campaignId]);
      } else {
        refused += 1;
        expect(trig.status).toBe(409);
        expect(codes(trig)).toContain('agency-hold');
        expect(row.state).toBe('approved');
      }
    }
    expect(refused + paused).toBe(6);
  });

  it('a held campaign: a manual resume → 409 agency-hold; the release → resumed; an operator’s own pause stands', async () => {
    const { incidentId, campaignId } = await approved({ sendReport: true });
    expect((await op('POST', `/v1/campaigns/${campaignId}/trigger`)).status).toBe(202);
    const h = await op('POST', `/v1/incidents/${incidentId}/holds`, holdBody());
    expect(h.body.campaignsPaused).toEqual([campaignId]);
    const resume = await op('POST', `/v1/campaigns/${campaignId}/resume`);
    expect(resume.status).toBe(409);
    expect(codes(resume)).toContain('agency-hold');
    const rel = await op('POST', `/v1/incidents/${incidentId}/holds/${h.body.id}/release`, releaseBody);
    expect(rel.body.campaignsResumed).toEqual([campaignId]);
    expect(await campaignRow(campaignId)).toMatchObject({ state: 'running', paused_by_hold: false });

    // An operator pauses it; a second hold and its release leave that pause alone.
    expect((await op('POST', `/v1/campaigns/${campaignId}/pause`)).status).toBe(200);
    const h2 = await op('POST', `/v1/incidents/${incidentId}/holds`, holdBody());
    expect(h2.body.campaignsPaused).toEqual([]);
    const rel2 = await op('POST', `/v1/incidents/${incidentId}/holds/${h2.body.id}/release`, releaseBody);
    expect(rel2.body.campaignsResumed).toEqual([]);
    expect((await campaignRow(campaignId)).state).toBe('paused');
    expect((await op('POST', `/v1/campaigns/${campaignId}/resume`)).status).toBe(200);
  });

  it('two overlapping holds → the first release does not resume; the last one does', async () => {
    const { incidentId, campaignId } = await approved({ sendReport: true });
    expect((await op('POST', `/v1/campaigns/${campaignId}/trigger`)).status).toBe(202);
    const a = await op('POST', `/v1/incidents/${incidentId}/holds`, holdBody(5));
    const b = await op('POST', `/v1/incidents/${incidentId}/holds`, holdBody(9));
    expect(a.body.campaignsPaused).toEqual([campaignId]);
    const ra = await op('POST', `/v1/incidents/${incidentId}/holds/${a.body.id}/release`, releaseBody);
    expect(ra.body.campaignsResumed).toEqual([]);
    expect((await campaignRow(campaignId)).state).toBe('paused');
    const rb = await op('POST', `/v1/incidents/${incidentId}/holds/${b.body.id}/release`, releaseBody);
    expect(rb.body.campaignsResumed).toEqual([campaignId]);
  });

  it('amended, no-harm recorded → the trigger completes the campaign with every recipient suppressed and audited', async () => {
    const { incidentId, campaignId } = await approved({ sendReport: true });
    const d = await op('POST', `/v1/incidents/${incidentId}/determinations`, {
      finding: 'no-harm-reasonably-likely',
      basis: 'Only hashed, salted metadata of test lines was copied.',
    });
    expect(d.status).toBe(201);
    const t = await op('POST', `/v1/campaigns/${campaignId}/trigger`);
    expect(t.status).toBe(202);
    expect(t.body.state).toBe('completed');
    const rows = (
      await w.api.deps.db.query<{ id: number; state: string; reason: string }>(
        'SELECT id, state, reason FROM notification WHERE campaign_id = $1',
        [campaignId],
      )
    ).rows;
    expect(rows.length).toBeGreaterThan(20);
    expect(t.body.suppressed).toBe(rows.length);
    expect(rows.every((r) => r.state === 'suppressed' && /no harm reasonably likely/.test(r.reason))).toBe(
      true,
    );
    // Every suppressed recipient audited, one event each, with a masked contact and a hashed id.
    const ev = await w.api.deps.db.query<{
      notification_id: number;
      contact_masked: string;
      subscriber_hash: string;
    }>(
      `SELECT notification_id, contact_masked, subscriber_hash FROM audit_log
        WHERE campaign_id = $1 AND type = 'notification.suppressed'`,
      [campaignId],
    );
    expect(ev.rows.map((e) => e.notification_id).sort((a, b) => a - b)).toEqual(
      rows.map((r) => r.id).sort((a, b) => a - b),
    );
    expect(ev.rows.every((e) => e.contact_masked.includes('*') && e.subscriber_hash.length === 24)).toBe(
      true,
    );
    expect(await w.api.deps.queues.fanOut.getJob(jobIds.fanOut(campaignId))).toBeFalsy();
    const c = await op('GET', `/v1/campaigns/${campaignId}`);
    expect(c.body).toMatchObject({ state: 'completed', fanOutDone: true });
    expect(c.body.suppressedReason).toMatch(/no harm/);
    // Nobody received it, so there is nothing to correct.
    const corr = await op('POST', `/v1/campaigns/${campaignId}/correction`);
    expect(corr.status).toBe(409);
    expect(codes(corr)).toContain('nothing_to_correct');
  });

  it('a determination while a customer campaign is in flight → 409; trigger and determination at once → never both', async () => {
    const busy = await approved({ sendReport: true });
    expect((await op('POST', `/v1/campaigns/${busy.campaignId}/trigger`)).status).toBe(202);
    const refused = await op('POST', `/v1/incidents/${busy.incidentId}/determinations`, {
      finding: 'no-harm-reasonably-likely',
      basis: 'Basis written while notices are already going out.',
    });
    expect(refused.status).toBe(409);
    expect(codes(refused)).toContain('customer_notices_in_flight');

    for (let i = 0; i < 4; i++) {
      const { incidentId, campaignId } = await approved({ sendReport: true });
      const [trig, det] = await Promise.all([
        op('POST', `/v1/campaigns/${campaignId}/trigger`),
        op('POST', `/v1/incidents/${incidentId}/determinations`, {
          finding: 'no-harm-reasonably-likely',
          basis: 'Basis recorded concurrently with a trigger.',
        }),
      ]);
      expect(trig.status).toBe(202);
      if (det.status === 201)
        expect(trig.body.state).toBe('completed'); // suppressed
      else {
        expect(det.status).toBe(409);
        expect(trig.body.state).toBe('triggered');
      }
    }
  });
});

describe('POST /v1/campaigns/:id/preview', () => {
  it('renders sample subscribers: marker first, SMS within two segments, lint clean, contacts masked', async () => {
    const { campaignId } = await draftCampaign(w.url, { kind: 'agency-advisory' });
    const p = await op('POST', `/v1/campaigns/${campaignId}/preview`, { sampleSize: 2 });
    expect(p.status).toBe(200);
    expect(p.body.ok).toBe(true);
    const samples = p.body.samples as {
      subscriberId: number | null;
      email: { subject: string; to: string; lint: unknown[] };
      sms: { text: string; segments: number; encoding: string; to: string; lint: unknown[] };
      wireless: { short: string; long: string };
    }[];
    expect(samples).toHaveLength(2);
    for (const s of samples) {
      expect(s.subscriberId).toBeGreaterThan(0);
      expect(s.email.subject).toMatch(/^EXERCISE EXERCISE EXERCISE TLP:CLEAR/);
      expect(s.sms.text).toMatch(/^EXERCISE EXERCISE EXERCISE/);
      expect(s.sms.segments).toBeGreaterThanOrEqual(1);
      expect(s.sms.segments).toBeLessThanOrEqual(2);
      expect(s.email.lint).toEqual([]);
      expect(s.sms.lint).toEqual([]);
      expect(s.email.to).toContain('***');
      expect(s.wireless.short.length).toBeLessThanOrEqual(90);
      expect(s.wireless.long.length).toBeLessThanOrEqual(360);
    }
    expect((p.body.cap as { xml: string }).xml).toContain('<status>Exercise</status>');
    // Nothing changed.
    expect((await campaignRow(campaignId)).state).toBe('draft');
  });

  it('an audience nobody is registered in → one placeholder per carrier', async () => {
    const inc = await op('POST', '/v1/incidents', {
      exerciseId: `EX-EMPTY-${Date.now()}`,
      title: 'Simulated exposure, empty audience',
      threatActor: 'SIMULATED-APT',
      carriers: ['prairie-link'],
      dataCategories: ['call_records'],
      window: { start: '2024-03-01T00:00:00Z', end: '2024-09-01T00:00:00Z' },
      determinedAt: '2024-10-01T12:00:00Z',
    });
    const c = await op('POST', '/v1/campaigns', {
      incidentId: inc.body.id,
      kind: 'carrier-notice',
      channels: ['sms'],
    });
    const p = await op('POST', `/v1/campaigns/${c.body.id}/preview`);
    expect(p.status).toBe(200);
    expect(p.body.samples).toMatchObject([{ subscriberId: null, carrier: 'prairie-link' }]);
  });
});
