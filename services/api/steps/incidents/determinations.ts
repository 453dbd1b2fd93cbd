import type { Db } from '../../../../shared/store/db';
import { AppError } from '../../../../shared/errors';
import { appendAudit } from '../../../../shared/audit/append-audit';
import { CUSTOMER_NOTICE_KINDS } from '../../../../shared/domain';
import type { DeterminationInput, Incident, UrgentNeedInput } from '../../../../shared/api/incidents.schema';
import { lockIncident, toIncident, type IncidentRow } from './incident-record';

/**
 * Amended regime: "no harm reasonably likely", with its written basis (DOMAIN.md §5). From then on
 * customer campaigns of the incident complete with every recipient suppressed and audited. Recorded
 * once; refused in the legacy regime (it has no harm-based exception) and while a customer campaign
 * is in flight (ENDEX it or let it finish first: notices already on their way are not withdrawn).
 */
export async function recordNoHarmDetermination(
  deps: { db: Db },
  incidentId: number,
  input: DeterminationInput,
  actor: string,
): Promise<Incident> {
  return deps.db.transaction(async (tx) => {
    const incident = await lockIncident(tx, incidentId);
    if (incident.regime !== 'amended') {
      throw new AppError(
        'CONFLICT',
        'the legacy regime (47 CFR 64.2011, 2007 text) has no harm-based exception to customer notice',
        [{ code: 'regime_has_no_harm_exception', message: `incident ${incidentId} is legacy` }],
      );
    }
    if (incident.no_harm_at) {
      throw new AppError(
        'CONFLICT',
        `a no-harm determination was already recorded for incident ${incidentId}`,
        [{ code: 'already_recorded', message: `recorded at ${new Date(incident.no_harm_at).toISOString()}` }],
      );
    }
    const inFlight = await tx.query<{ id: number }>(
      `SELECT id FROM campaigns WHERE incident_id = $1 AND kind = ANY($2::text[])
          AND state IN ('triggered', 'running', 'paused') ORDER BY id`,
      [incidentId, CUSTOMER_NOTICE_KINDS],
    );
    if (inFlight.rows.length > 0) {
      throw new AppError(
        'CONFLICT',
        `customer campaigns are in flight (${inFlight.rows.map((r) => r.id).join(', ')}); ENDEX them or let them complete first`,
        [
          {
            code: 'customer_notices_in_flight',
            message: 'notices on their way are not withdrawn by a determination',
          },
        ],
      );
    }
    const r = await tx.query<IncidentRow>(
      `UPDATE incidents SET no_harm_at = now(), no_harm_basis = $2, no_harm_by = $3 WHERE id = $1 RETURNING *`,
      [incidentId, input.basis, actor],
    );
    await appendAudit(tx, [
      {
        type: 'incident.determination_recorded',
        actor,
        incidentId,
        outcome: input.finding,
        details: { finding: input.finding, basis: input.basis, regime: incident.regime },
      },
    ]);
    return toIncident(r.rows[0]!);
  });
}

/**
 * Legacy regime: "urgent need, agency consulted" (47 CFR 64.2011(b)(2), 2007 text) lifts the wait of
 * 7 full business days after the report. The report must still be recorded as sent first.
 */
export async function recordUrgentNeedOverride(
  deps: { db: Db },
  incidentId: number,
  input: UrgentNeedInput,
  actor: string,
): Promise<Incident> {
  return deps.db.transaction(async (tx) => {
    const incident = await lockIncident(tx, incidentId);
    if (incident.regime !== 'legacy') {
      throw new AppError('CONFLICT', 'the urgent-need override exists only in the legacy regime', [
        { code: 'regime_has_no_wait', message: `incident ${incidentId} is ${incident.regime}` },
      ]);
    }
    if (incident.urgent_need_at) {
      throw new AppError(
        'CONFLICT',
        `an urgent-need override was already recorded for incident ${incidentId}`,
        [
          {
            code: 'already_recorded',
            message: `recorded at ${new Date(incident.urgent_need_at).toISOString()}`,
          },
        ],
      );
    }
    const r = await tx.query<IncidentRow>(
      `UPDATE incidents SET urgent_need_at = now(), urgent_need_basis = $2, urgent_need_agency = $3, urgent_need_by = $4
        WHERE id = $1 RETURNING *`,
      [incidentId, input.basis, input.agencyConsulted, actor],
    );
    await appendAudit(tx, [
      {
        type: 'incident.urgent_need_recorded',
        actor,
        incidentId,
        outcome: 'urgent-need',
        details: { agencyConsulted: input.agencyConsulted, basis: input.basis },
      },
    ]);
    return toIncident(r.rows[0]!);
  });
}
