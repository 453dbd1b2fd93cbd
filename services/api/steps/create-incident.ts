import type { Db } from '../../../shared/store/db';
import type { Config } from '../../../shared/config';
import { AppError, type ErrorDetail } from '../../../shared/errors';
import { appendAudit } from '../../../shared/audit/append-audit';
import { CARRIER_IDS } from '../../../shared/carriers';
import { CUSTOMER_NOTICE_KINDS, LOCALES, CHANNELS } from '../../../shared/domain';
import type { Incident, IncidentInput } from '../../../shared/api/incidents.schema';
import { advisoryIdFor, isValidAdvisoryId } from '../../../shared/notices';
import { readIncident, toIncident, toNoticeIncident, type IncidentRow } from './incidents/incident-record';
import { assertNoticesSafe, lintNotices } from './lifecycle/notice-lint';

export { toIncident, type IncidentRow };

/** Carrier ids outside the fictional registry, as error details (UNKNOWN_CARRIER). */
export function unknownCarriers(carriers: readonly string[], path: string): ErrorDetail[] {
  return carriers.flatMap((c, i) =>
    (CARRIER_IDS as readonly string[]).includes(c)
      ? []
      : [{ path: `${path}.${i}`, code: 'unknown_carrier', message: `"${c}" is not a fictional carrier` }],
  );
}

export async function createIncident(
  deps: { db: Db; config: Pick<Config, 'EXERCISE_MARKER' | 'REGULATORY_TIME_ZONE'> },
  input: IncidentInput,
  actor: string,
): Promise<Incident> {
  const unknown = unknownCarriers(input.carriers, 'body.carriers');
  if (unknown.length > 0) {
    throw new AppError(
      'UNKNOWN_CARRIER',
      `not in the fictional carrier registry: ${unknown.map((u) => u.message).join('; ')}`,
      unknown,
    );
  }
  const advisoryId = input.advisoryId ?? advisoryIdFor(new Date(input.determinedAt), 'A');
  if (!isValidAdvisoryId(advisoryId)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'advisoryId must match SIM-AAyy-dddL with a day that exists in that year',
      [{ path: 'body.advisoryId', code: 'invalid_advisory_id', message: 'expected e.g. SIM-AA24-310A' }],
    );
  }
  const carriers = [...new Set(input.carriers)];
  // Every notice this incident can produce, rendered and linted before anything is stored: an unsafe
  // title or actor name is refused here (422), not at send time.
  const sample: IncidentRow = {
    id: 0,
    exercise_id: input.exerciseId,
    title: input.title,
    threat_actor: input.threatActor,
    carriers,
    data_categories: input.dataCategories,
    window_start: new Date(input.window.start),
    window_end: new Date(input.window.end),
    determined_at: new Date(input.determinedAt),
    regime: input.regime,
    tlp: input.tlp,
    advisory_id: advisoryId,
    le_report_sent_at: null,
    le_report_claimed_at: null,
    urgent_need_at: null,
    urgent_need_basis: null,
    urgent_need_agency: null,
    urgent_need_by: null,
    no_harm_at: null,
    no_harm_basis: null,
    no_harm_by: null,
    created_by: actor,
    created_at: new Date(input.determinedAt),
  };
  const lintOpts = {
    marker: deps.config.EXERCISE_MARKER,
    campaignId: 1,
    noticeDate: new Date(input.determinedAt),
    timeZone: deps.config.REGULATORY_TIME_ZONE,
  };
  // Whether law enforcement delayed the notice only switches between two fixed sentences.
  const notice = toNoticeIncident(sample, false);
  const subjects = [
    ...CUSTOMER_NOTICE_KINDS.map((kind) => ({ kind })),
    ...CUSTOMER_NOTICE_KINDS.map((correctionOf) => ({ kind: 'correction' as const, correctionOf })),
  ];
  for (const s of subjects) {
    assertNoticesSafe(
      lintNotices(notice, { ...s, channels: CHANNELS, locales: LOCALES, carriers }, lintOpts),
      'this incident',
    );
  }

  return deps.db.transaction(async (tx) => {
    const r = await tx.query<IncidentRow>(
      `INSERT INTO incidents (exercise_id, title, threat_actor, carriers, data_categories, window_start, window_end,
         determined_at, regime, tlp, advisory_id, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [
        input.exerciseId,
        input.title,
        input.threatActor,
        carriers,
        input.dataCategories,
        input.window.start,
        input.window.end,
        input.determinedAt,
        input.regime,
        input.tlp,
        advisoryId,
        actor,
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
  return toIncident(await readIncident(db, id));
}
