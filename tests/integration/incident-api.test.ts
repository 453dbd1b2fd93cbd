import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  arrivalsTo,
  as,
  holdBody,
  incidentBody,
  leReportFor,
  releaseBody,
  REPORT_SINK,
  startApiWithSink,
  type ApiWithSink,
} from '../helpers/lifecycle-kit';

// Incidents: bad input, the law-enforcement report (really sent to the SMTP sink), holds,
// determinations, the urgent-need override and the timeline, over real HTTP and the test database.
let w: ApiWithSink;
let op: ReturnType<typeof as>;
let auditor: ReturnType<typeof as>;

beforeAll(async () => {
  w = await startApiWithSink('incidentapi');
  op = as('operator', w.url);
  auditor = as('auditor', w.url);
}, 120_000); // PGlite start and migrations are slow on a loaded machine
afterAll(async () => {
  await w?.close();
});

async function count(table: string): Promise<number> {
  return (await w.api.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
}

async function auditOf(incidentId: number, type: string) {
  return (
    await w.api.deps.db.query<{
      type: string;
      actor: string;
      outcome: string;
      details: Record<string, unknown>;
    }>(
      'SELECT type, actor, outcome, details FROM audit_log WHERE incident_id = $1 AND type = $2 ORDER BY seq',
      [incidentId, type],
    )
  ).rows;
}

interface Gate {
  allowedFrom: string | null;
  allowedNow: boolean;
  suppressed: boolean;
  blockedReasons: { code: string }[];
}
const gate = (r: { body: Record<string, unknown> }) => r.body.customerNotices as Gate;

async function newIncident(overrides: Record<string, unknown> = {}) {
  const r = await op('POST', '/v1/incidents', incidentBody(overrides));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as unknown as {
    id: number;
    carriers: string[];
    window: { start: string; end: string };
    lawEnforcementReportSentAt: string | null;
    createdBy: string;
  };
}

describe('POST /v1/incidents → bad input → 4xx with a clear code, nothing created', () => {
  it.each([
    ['an unknown carrier', { carriers: ['northwind-mobile', 'acme-tel'] }, 400, 'UNKNOWN_CARRIER'],
    ['an invalid TLP label', { tlp: 'TLP:WHITE' }, 400, 'VALIDATION_FAILED'],
    [
      'an advisory id on a day that does not exist',
      { advisoryId: 'SIM-AA23-366A' },
      400,
      'VALIDATION_FAILED',
    ],
    ['a malformed advisory id', { advisoryId: 'AA24-100A' }, 400, 'VALIDATION_FAILED'],
    [
      'a window that ends before it begins',
      { window: { start: '2024-09-01T00:00:00Z', end: '2024-03-01T00:00:00Z' } },
      400,
      'VALIDATION_FAILED',
    ],
    ['a title its notices would fail the lint with', { title: 'THIS IS NOT A DRILL' }, 422, 'UNSAFE_CONTENT'],
    ['a threat actor naming a real agency', { threatActor: 'FBI insider' }, 422, 'UNSAFE_CONTENT'],
    ['a title naming a real carrier', { title: 'Verizon core breach' }, 422, 'UNSAFE_CONTENT'],
  ])('%s → %i %s', async (_what, overrides, status, code) => {
    const before = await count('incidents');
    const r = await op('POST', '/v1/incidents', incidentBody(overrides));
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.body.error?.code).toBe(code);
    expect(r.body.error?.details.length).toBeGreaterThan(0);
    expect(await count('incidents')).toBe(before);
  });

  it('a campaign with an unknown audience carrier → 400 UNKNOWN_CARRIER, no campaign', async () => {
    const inc = await newIncident();
    const before = await count('campaigns');
    const r = await op('POST', '/v1/campaigns', {
      incidentId: inc.id,
      kind: 'carrier-notice',
      channels: ['sms'],
      audience: { carriers: ['acme-tel'] },
    });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('UNKNOWN_CARRIER');
    expect(await count('campaigns')).toBe(before);
  });

  it('the creator is recorded as the calling key, never the key itself', async () => {
    const inc = await newIncident();
    expect(inc.createdBy).toMatch(/^key:/);
    expect(inc.createdBy).not.toContain('bd_test');
  });
});

describe('POST /v1/incidents/:id/law-enforcement-report', () => {
  it('a report missing one of the seven fields → 400, nothing sent or recorded', async () => {
    const inc = await newIncident();
    const { estimatedFinancialLossUsd: _omit, ...partial } = leReportFor(inc);
    const before = (await arrivalsTo(w.simUrl, REPORT_SINK)).length;
    const r = await op('POST', `/v1/incidents/${inc.id}/law-enforcement-report`, partial);
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(r.body.error?.details)).toContain('estimatedFinancialLossUsd');
    expect((await arrivalsTo(w.simUrl, REPORT_SINK)).length).toBe(before);
    expect((await op('GET', `/v1/incidents/${inc.id}`)).body.lawEnforcementReportSentAt).toBeNull();
  });

  it('a report whose text fails the lint → 422 UNSAFE_CONTENT, nothing sent', async () => {
    const inc = await newIncident();
    const before = (await arrivalsTo(w.simUrl, REPORT_SINK)).length;
    const r = await op('POST', `/v1/incidents/${inc.id}/law-enforcement-report`, {
      ...leReportFor(inc),
      incidentDescription: 'This is a REAL WORLD intrusion.',
    });
    expect(r.status).toBe(422);
    expect(r.body.error?.code).toBe('UNSAFE_CONTENT');
    expect((await arrivalsTo(w.simUrl, REPORT_SINK)).length).toBe(before);
  });

  it('five concurrent sends → exactly one is sent (one arrival at the sink) and recorded, the rest 409', async () => {
    const inc = await newIncident();
    const before = (await arrivalsTo(w.simUrl, REPORT_SINK)).length;
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        op('POST', `/v1/incidents/${inc.id}/law-enforcement-report`, leReportFor(inc)),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
    const ok = results.find((r) => r.status === 201)!.body;
    expect(ok).toMatchObject({ incidentId: inc.id, recipient: REPORT_SINK, carrier: inc.carriers[0] });
    expect(String(ok.subject)).toMatch(/^EXERCISE EXERCISE EXERCISE/);
    // Ground truth: the sink got it, once.
    const arrivals = await arrivalsTo(w.simUrl, REPORT_SINK);
    expect(arrivals.length).toBe(before + 1);
    const after = await op('GET', `/v1/incidents/${inc.id}`);
    expect(after.body.lawEnforcementReportSentAt).toBe(ok.sentAt);
    const events = await auditOf(inc.id, 'incident.le_report_sent');
    expect(events).toHaveLength(1);
    expect(events[0]!.outcome).toBe('met');
    expect(events[0]!.actor).toMatch(/^key:/);
    const again = await op('POST', `/v1/incidents/${inc.id}/law-enforcement-report`, leReportFor(inc));
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body.error?.details)).toContain('already_sent');
  });

  it('an auditor may read but not send it', async () => {
    const inc = await newIncident();
    expect(
      (await auditor('POST', `/v1/incidents/${inc.id}/law-enforcement-report`, leReportFor(inc))).status,
    ).toBe(403);
    expect((await auditor('GET', `/v1/incidents/${inc.id}/timeline`)).status).toBe(200);
  });
});

describe('GET /v1/incidents/:id/timeline', () => {
  it('amended, determined long ago, nothing done → both deadlines missed, audited once', async () => {
    const inc = await newIncident({ determinedAt: '2024-12-18T15:00:00Z' });
    const t = await auditor('GET', `/v1/incidents/${inc.id}/timeline`);
    expect(t.status).toBe(200);
    const deadlines = t.body.deadlines as { id: string; status: string; dueDate: string }[];
    expect(deadlines.map((d) => [d.id, d.status])).toEqual([
      ['le-report', 'missed'],
      ['customer-notice', 'missed'],
    ]);
    // 7 business days after Wed 2024-12-18, skipping Christmas and two weekends (DOMAIN.md §5).
    expect(deadlines[0]!.dueDate).toBe('2024-12-30');
    expect(deadlines[1]!.dueDate).toBe('2025-01-17');
    expect(t.body.customerNotices).toMatchObject({
      allowedNow: false,
      blockedReasons: [{ code: 'le-report-not-sent' }],
    });
    await auditor('GET', `/v1/incidents/${inc.id}/timeline`);
    const missed = await auditOf(inc.id, 'incident.deadline_missed');
    expect(missed.map((m) => m.outcome).sort()).toEqual(['customer-notice', 'le-report']);
  });

  it('HOLIDAY_EXTRA_DATES moves the report deadline by a day', async () => {
    const extra = await startApiWithSink('incidentholiday', { HOLIDAY_EXTRA_DATES: '2024-12-27' });
    try {
      const r = await as('operator', extra.url)(
        'POST',
        '/v1/incidents',
        incidentBody({ determinedAt: '2024-12-18T15:00:00Z' }),
      );
      const t = await as('auditor', extra.url)('GET', `/v1/incidents/${r.body.id}/timeline`);
      expect((t.body.deadlines as { dueDate: string }[])[0]!.dueDate).toBe('2024-12-31');
    } finally {
      await extra.close();
    }
  }, 120_000);

  it('legacy, report sent now → report met, customer notices wait 7 full business days', async () => {
    const inc = await newIncident({ regime: 'legacy' });
    expect(
      (await op('POST', `/v1/incidents/${inc.id}/law-enforcement-report`, leReportFor(inc))).status,
    ).toBe(201);
    const t = await op('GET', `/v1/incidents/${inc.id}/timeline`);
    const deadlines = t.body.deadlines as { id: string; status: string }[];
    expect(deadlines).toHaveLength(1);
    expect(deadlines[0]).toMatchObject({ id: 'le-report', status: 'met' });
    expect(t.body.customerNotices).toMatchObject({
      allowedNow: false,
      blockedReasons: [{ code: 'legacy-waiting-period' }],
    });
    expect(Date.parse(gate(t).allowedFrom!)).toBeGreaterThan(Date.now() + 7 * 86_400_000);
    expect(t.body.lawEnforcementReport).toMatchObject({ recipient: REPORT_SINK });

    // The urgent-need override lifts the wait, and is recorded once.
    const u = await op('POST', `/v1/incidents/${inc.id}/urgent-need`, {
      agencyConsulted: 'SIMULATED Secret Service',
      basis: 'Agency consulted: customers must change voicemail PINs at once.',
    });
    expect(u.status).toBe(201);
    expect(u.body.urgentNeedOverride).toMatchObject({ agencyConsulted: 'SIMULATED Secret Service' });
    expect(gate(await op('GET', `/v1/incidents/${inc.id}/timeline`)).allowedNow).toBe(true);
    expect(
      (
        await op('POST', `/v1/incidents/${inc.id}/urgent-need`, {
          agencyConsulted: 'x',
          basis: 'again, another basis',
        })
      ).status,
    ).toBe(409);
    expect(await auditOf(inc.id, 'incident.urgent_need_recorded')).toHaveLength(1);
  });
});

describe('holds, determinations and the override → recorded in writing, audited, refused when wrong', () => {
  it('a hold: > 30 days → 400; a short basis → 400; direct, extend, release → each audited and shown', async () => {
    const inc = await newIncident();
    const tooLong = await op('POST', `/v1/incidents/${inc.id}/holds`, holdBody(31));
    expect(tooLong.status).toBe(400);
    expect(JSON.stringify(tooLong.body.error?.details)).toContain('INITIAL_HOLD_TOO_LONG');
    expect(
      (await op('POST', `/v1/incidents/${inc.id}/holds`, { ...holdBody(), basis: 'short' })).status,
    ).toBe(400);
    const future = await op('POST', `/v1/incidents/${inc.id}/holds`, {
      ...holdBody(),
      directedAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(future.status).toBe(400);

    const h = await op('POST', `/v1/incidents/${inc.id}/holds`, holdBody(10));
    expect(h.status).toBe(201);
    expect(h.body).toMatchObject({ active: true, releasedAt: null, campaignsPaused: [] });
    const holdId = h.body.id as number;
    const earlier = await op('POST', `/v1/incidents/${inc.id}/holds/${holdId}/extend`, {
      until: new Date(Date.now() + 5 * 86_400_000).toISOString(),
      basis: 'Extension that would shorten the hold.',
    });
    expect(earlier.status).toBe(400);
    const ext = await op('POST', `/v1/incidents/${inc.id}/holds/${holdId}/extend`, {
      until: new Date(Date.now() + 45 * 86_400_000).toISOString(),
      basis: 'Written extension: the investigation continues.',
    });
    expect(ext.status).toBe(200);
    expect(ext.body.extensions).toHaveLength(1);

    const blocked = await op('GET', `/v1/incidents/${inc.id}/timeline`);
    expect(gate(blocked).blockedReasons.map((b) => b.code)).toContain('agency-hold');

    const rel = await op('POST', `/v1/incidents/${inc.id}/holds/${holdId}/release`, releaseBody);
    expect(rel.status).toBe(200);
    expect(rel.body).toMatchObject({ active: false, releaseBasis: releaseBody.basis });
    expect((await op('POST', `/v1/incidents/${inc.id}/holds/${holdId}/release`, releaseBody)).status).toBe(
      409,
    );
    expect(
      (
        await op('POST', `/v1/incidents/${inc.id}/holds/${holdId}/extend`, {
          until: new Date(Date.now() + 60 * 86_400_000).toISOString(),
          basis: 'Too late: it was released.',
        })
      ).status,
    ).toBe(409);
    expect((await op('POST', `/v1/incidents/${inc.id}/holds/999999/release`, releaseBody)).status).toBe(404);

    const t = await op('GET', `/v1/incidents/${inc.id}/timeline`);
    expect(t.body.holds).toHaveLength(1);
    const types = (t.body.events as { type: string }[]).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['incident.hold_directed', 'incident.hold_extended', 'incident.hold_released']),
    );
  });

  it('no-harm determination: amended → recorded once; legacy → 409; the override in amended → 409', async () => {
    const amended = await newIncident();
    const body = {
      finding: 'no-harm-reasonably-likely',
      basis: 'Only encrypted metadata of test lines was reached; no customer data is readable.',
    };
    const d = await op('POST', `/v1/incidents/${amended.id}/determinations`, body);
    expect(d.status).toBe(201);
    expect(d.body.noHarmDetermination).toMatchObject({ basis: body.basis });
    expect((await op('POST', `/v1/incidents/${amended.id}/determinations`, body)).status).toBe(409);
    expect(
      (
        await op('POST', `/v1/incidents/${amended.id}/urgent-need`, {
          agencyConsulted: 'x',
          basis: 'not in this regime',
        })
      ).status,
    ).toBe(409);
    const t = await op('GET', `/v1/incidents/${amended.id}/timeline`);
    expect(gate(t).suppressed).toBe(true);
    expect((t.body.deadlines as { id: string; status: string }[])[1]).toMatchObject({
      id: 'customer-notice',
      status: 'not-applicable',
    });

    const legacy = await newIncident({ regime: 'legacy' });
    const l = await op('POST', `/v1/incidents/${legacy.id}/determinations`, body);
    expect(l.status).toBe(409);
    expect(JSON.stringify(l.body.error?.details)).toContain('regime_has_no_harm_exception');
    expect(
      (await op('POST', `/v1/incidents/${legacy.id}/determinations`, { ...body, basis: '' })).status,
    ).toBe(400);
  });
});
