import type { Queryable } from '../../../../shared/store/db';
import { AppError } from '../../../../shared/errors';
import type { DataCategory, TlpLabel } from '../../../../shared/domain';
import type { Incident } from '../../../../shared/api/incidents.schema';
import type { NoticeIncident } from '../../../../shared/notices';

export interface IncidentRow {
  id: number;
  exercise_id: string;
  title: string;
  threat_actor: string;
  carriers: string[];
  data_categories: string[];
  window_start: Date;
  window_end: Date;
  determined_at: Date;
  regime: string;
  tlp: string;
  advisory_id: string;
  le_report_sent_at: Date | null;
  le_report_claimed_at: Date | null;
  urgent_need_at: Date | null;
  urgent_need_basis: string | null;
  urgent_need_agency: string | null;
  urgent_need_by: string | null;
  no_harm_at: Date | null;
  no_harm_basis: string | null;
  no_harm_by: string | null;
  created_by: string | null;
  created_at: Date;
}

export const iso = (d: Date) => new Date(d).toISOString();
export const isoOrNull = (d: Date | null) => (d ? iso(d) : null);

export function toIncident(r: IncidentRow): Incident {
  return {
    id: r.id,
    exerciseId: r.exercise_id,
    title: r.title,
    threatActor: r.threat_actor,
    carriers: r.carriers,
    dataCategories: r.data_categories,
    window: { start: iso(r.window_start), end: iso(r.window_end) },
    determinedAt: iso(r.determined_at),
    regime: r.regime,
    tlp: r.tlp,
    advisoryId: r.advisory_id,
    lawEnforcementReportSentAt: isoOrNull(r.le_report_sent_at),
    urgentNeedOverride: r.urgent_need_at
      ? {
          at: iso(r.urgent_need_at),
          agencyConsulted: r.urgent_need_agency ?? '',
          basis: r.urgent_need_basis ?? '',
          by: r.urgent_need_by ?? '',
        }
      : null,
    noHarmDetermination: r.no_harm_at
      ? { at: iso(r.no_harm_at), basis: r.no_harm_basis ?? '', by: r.no_harm_by ?? '' }
      : null,
    createdBy: r.created_by,
    createdAt: iso(r.created_at),
  };
}

/** The incident as the notices see it. `lawEnforcementDelayed`: an agency directed a hold. */
export function toNoticeIncident(r: IncidentRow, lawEnforcementDelayed: boolean): NoticeIncident {
  return {
    id: r.id,
    exerciseId: r.exercise_id,
    title: r.title,
    threatActor: r.threat_actor,
    dataCategories: r.data_categories as DataCategory[],
    windowStart: new Date(r.window_start),
    windowEnd: new Date(r.window_end),
    determinedAt: new Date(r.determined_at),
    tlp: r.tlp as TlpLabel,
    advisoryId: r.advisory_id,
    lawEnforcementDelayed,
  };
}

export async function readIncident(q: Queryable, id: number): Promise<IncidentRow> {
  const r = await q.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id]);
  if (!r.rows[0]) throw new AppError('NOT_FOUND', `incident ${id} does not exist`);
  return r.rows[0];
}

/**
 * Reads the incident and locks its row until the transaction ends. Every action that changes what
 * customer notices may do (report, hold, release, determination, override, trigger, resume) takes
 * this lock first, so they serialise per incident and each sees the others' committed effects.
 */
export async function lockIncident(tx: Queryable, id: number): Promise<IncidentRow> {
  const r = await tx.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1 FOR UPDATE', [id]);
  if (!r.rows[0]) throw new AppError('NOT_FOUND', `incident ${id} does not exist`);
  return r.rows[0];
}

export async function hasHolds(q: Queryable, incidentId: number): Promise<boolean> {
  const r = await q.query<{ x: number }>('SELECT 1 AS x FROM incident_holds WHERE incident_id = $1 LIMIT 1', [
    incidentId,
  ]);
  return r.rows.length > 0;
}
