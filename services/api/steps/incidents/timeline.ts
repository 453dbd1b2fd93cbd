import type { Db, Queryable } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import { appendAudit } from '../../../../shared/audit/append-audit';
import type { IncidentTimeline } from '../../../../shared/api/incidents.schema';
import { BLOCKED_REASON_DESCRIPTIONS, type Deadline } from '../../../../shared/regulatory/deadlines';
import { readIncident, toIncident, iso } from './incident-record';
import { evaluateIncident, regulatoryClock } from './incident-clock';
import { loadHoldViews } from './holds';

const EVENT_LIMIT = 2000; // incident-level events shown; per-notification events are in /v1/audit

interface EventRow {
  at: Date;
  type: string;
  actor: string;
  campaign_id: number | null;
  outcome: string | null;
  details: Record<string, unknown>;
}

function summarize(e: EventRow): string {
  const d = e.details ?? {};
  const s = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : '');
  switch (e.type) {
    case 'incident.created':
      return `Incident recorded (${s('regime')} regime, advisory ${s('advisoryId')})`;
    case 'incident.le_report_sent':
      return `Law-enforcement report sent to ${s('recipient')} (deadline ${e.outcome ?? ''})`;
    case 'incident.hold_directed':
      return `Hold ${String(d.holdId)} directed by ${s('agency')} until ${s('until')}: ${s('basis')}`;
    case 'incident.hold_extended':
      return `Hold ${String(d.holdId)} extended to ${s('until')}: ${s('basis')}`;
    case 'incident.hold_released':
      return `Hold ${String(d.holdId)} released: ${s('basis')}`;
    case 'incident.determination_recorded':
      return `Determination "${s('finding')}": ${s('basis')}`;
    case 'incident.urgent_need_recorded':
      return `Urgent-need override, ${s('agencyConsulted')} consulted: ${s('basis')}`;
    case 'incident.deadline_missed':
      return `Deadline missed: ${s('label')} (due ${s('dueAt')})`;
    default:
      return `${e.type.replace('.', ' ').replace(/_/g, ' ')}${e.campaign_id ? ` (campaign ${e.campaign_id})` : ''}${e.outcome ? `: ${e.outcome}` : ''}`;
  }
}

/**
 * A missed deadline goes into the audit log once, the first time it is observed (DOMAIN.md §5: each
 * incident shows any missed deadline in the API and in the audit log).
 */
export async function auditMissedDeadlines(db: Db, incidentId: number, missed: readonly Deadline[]) {
  if (missed.length === 0) return;
  await db.transaction(async (tx) => {
    const ins = await tx.query<{ deadline_id: string }>(
      `INSERT INTO incident_deadline_misses (incident_id, deadline_id, due_at)
       SELECT $1, d.id, d.due FROM jsonb_to_recordset($2::jsonb) AS d(id text, due timestamptz)
       ON CONFLICT DO NOTHING RETURNING deadline_id`,
      [incidentId, JSON.stringify(missed.map((m) => ({ id: m.id, due: m.dueAt })))],
    );
    const fresh = new Set(ins.rows.map((r) => r.deadline_id));
    await appendAudit(
      tx,
      missed
        .filter((m) => fresh.has(m.id))
        .map((m) => ({
          type: 'incident.deadline_missed' as const,
          actor: 'system:regulatory-clock',
          incidentId,
          outcome: m.id,
          details: { label: m.label, dueAt: m.dueAt, completedAt: m.completedAt ?? null, rule: m.rule },
        })),
    );
  });
}

export async function incidentEvents(q: Queryable, incidentId: number): Promise<IncidentTimeline['events']> {
  const r = await q.query<EventRow>(
    `SELECT at, type, actor, campaign_id, outcome, details FROM audit_log
      WHERE incident_id = $1 AND notification_id IS NULL ORDER BY seq LIMIT ${EVENT_LIMIT}`,
    [incidentId],
  );
  return r.rows.map((e) => ({
    at: iso(e.at),
    type: e.type,
    summary: summarize(e),
    campaignId: e.campaign_id,
    actor: e.actor,
  }));
}

/**
 * Every deadline of DOMAIN.md §5 for the incident as of now, each due, met, missed or not applicable,
 * what is due next, the customer-notice gate, the report, holds (with extensions and releases), the
 * determinations, and the incident's own audit trail.
 */
export async function incidentTimeline(
  deps: { db: Db; config: Pick<Config, 'HOLIDAY_EXTRA_DATES' | 'REGULATORY_TIME_ZONE'> },
  incidentId: number,
  now = new Date(),
): Promise<IncidentTimeline> {
  const clock = regulatoryClock(deps.config);
  const row = await readIncident(deps.db, incidentId);
  const { firstSentAt, result } = await evaluateIncident(deps.db, row, now, clock);
  await auditMissedDeadlines(deps.db, incidentId, result.missed);
  const incident = toIncident(row);
  const le = await deps.db.query<{
    carrier: string;
    recipient: string;
    message_id: string;
    subject: string;
    sent_at: Date;
  }>(
    'SELECT carrier, recipient, message_id, subject, sent_at FROM incident_le_reports WHERE incident_id = $1',
    [incidentId],
  );
  const report = le.rows[0];
  return {
    incidentId,
    regime: row.regime,
    timeZone: clock.zone,
    asOf: now.toISOString(),
    determinedAt: incident.determinedAt,
    deadlines: result.deadlines,
    next: result.next,
    missed: result.missed,
    customerNotices: {
      allowedFrom: result.customerNoticesAllowedFrom,
      allowedNow: result.blockedReasons.length === 0,
      suppressed: result.blockedReasons.includes('no-harm-suppression'),
      blockedReasons: result.blockedReasons.map((code) => ({
        code,
        description: BLOCKED_REASON_DESCRIPTIONS[code],
      })),
      firstSentAt: firstSentAt ? firstSentAt.toISOString() : null,
    },
    lawEnforcementReport: report
      ? {
          incidentId,
          sentAt: iso(report.sent_at),
          recipient: report.recipient,
          messageId: report.message_id,
          subject: report.subject,
          carrier: report.carrier,
        }
      : null,
    holds: await loadHoldViews(deps.db, incidentId, now),
    noHarmDetermination: incident.noHarmDetermination,
    urgentNeedOverride: incident.urgentNeedOverride,
    events: await incidentEvents(deps.db, incidentId),
  };
}
