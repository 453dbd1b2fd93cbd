import type { Db } from '../../../shared/store/db';
import { AppError } from '../../../shared/errors';
import { appendAudit } from '../../../shared/audit/append-audit';
import type { Incident, IncidentInput } from '../../../shared/api/incidents.schema';
import { advisoryIdFor, isValidAdvisoryId } from '../../../shared/notices';

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
  created_at: Date;
}

const iso = (d: Date) => new Date(d).toISOString();

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
    lawEnforcementReportSentAt: r.le_report_sent_at ? iso(r.le_report_sent_at) : null,
    createdAt: iso(r.created_at),
  };
}

export async function createIncident(db: Db, input: IncidentInput, actor: string): Promise<Incident> {
  const advisoryId = input.advisoryId ?? advisoryIdFor(new Date(input.determinedAt), 'A');
  if (!isValidAdvisoryId(advisoryId)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'advisoryId must match SIM-AAyy-dddL with a day that exists in that year',
      [{ path: 'body.advisoryId', code: 'invalid_advisory_id', message: 'expected e.g. SIM-AA24-310A' }],
    );
  }
  return db.transaction(async (tx) => {
    const r = await tx.query<IncidentRow>(
      `INSERT INTO incidents (exercise_id, title, threat_actor, carriers, data_categories, window_start, window_end,
         determined_at, regime, tlp, advisory_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
      [
        input.exerciseId,
        input.title,
        input.threatActor,
        input.carriers,
        input.dataCategories,
        input.window.start,
        input.window.end,
        input.determinedAt,
        input.regime,
        input.tlp,
        advisoryId,
      ],
    );
    const row = r.rows[0]!;
    await appendAudit(tx, [
      {
        type: 'incident.created',
        actor,
        incidentId: row.id,
        outcome: 'created',
        details: { exerciseId: row.exercise_id, regime: row.regime, carriers: row.carriers, advisoryId },
      },
    ]);
    return toIncident(row);
  });
}

export async function getIncident(db: Db, id: number): Promise<Incident> {
  const r = await db.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id]);
  if (!r.rows[0]) throw new AppError('NOT_FOUND', `incident ${id} does not exist`);
  return toIncident(r.rows[0]);
}
