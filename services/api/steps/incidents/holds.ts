import type { Db, Queryable } from '../../../../shared/store/db';
import type { Config } from '../../../../shared/config';
import { AppError } from '../../../../shared/errors';
import { appendAudit } from '../../../../shared/audit/append-audit';
import type { AuditEventInput } from '../../../../shared/audit/audit-event';
import { CUSTOMER_NOTICE_KINDS } from '../../../../shared/domain';
import type {
  Hold,
  HoldExtensionInput,
  HoldInput,
  HoldReleaseInput,
} from '../../../../shared/api/incidents.schema';
import { isHoldActive, validateHold } from '../../../../shared/regulatory/holds';
import { lockIncident } from './incident-record';
import { loadHolds, toDirective, type HoldRow } from './incident-clock';

/** A directive may be recorded a little after the fact, never ahead of time. */
const CLOCK_SKEW_MS = 60_000;

interface ExtensionRow {
  hold_id: number;
  extended_at: Date;
  previous_until: Date;
  until: Date;
  basis: string;
  extended_by: string;
}

const iso = (d: Date) => new Date(d).toISOString();

export function toHold(h: HoldRow, extensions: readonly ExtensionRow[], now: Date): Hold {
  return {
    id: h.id,
    incidentId: h.incident_id,
    agency: h.agency,
    directedAt: iso(h.directed_at),
    until: iso(h.until),
    basis: h.basis,
    directedBy: h.directed_by,
    active: isHoldActive(toDirective(h), now),
    releasedAt: h.released_at ? iso(h.released_at) : null,
    releaseBasis: h.release_basis,
    releasedBy: h.released_by,
    extensions: extensions
      .filter((e) => e.hold_id === h.id)
      .map((e) => ({
        at: iso(e.extended_at),
        previousUntil: iso(e.previous_until),
        until: iso(e.until),
        basis: e.basis,
        by: e.extended_by,
      })),
  };
}

export async function loadHoldViews(q: Queryable, incidentId: number, now: Date): Promise<Hold[]> {
  const holds = await loadHolds(q, incidentId);
  const ext = await q.query<ExtensionRow>(
    `SELECT e.* FROM incident_hold_extensions e JOIN incident_holds h ON h.id = e.hold_id
      WHERE h.incident_id = $1 ORDER BY e.id`,
    [incidentId],
  );
  return holds.map((h) => toHold(h, ext.rows, now));
}

async function lockHold(tx: Queryable, incidentId: number, holdId: number): Promise<HoldRow> {
  const r = await tx.query<HoldRow>(
    'SELECT * FROM incident_holds WHERE id = $1 AND incident_id = $2 FOR UPDATE',
    [holdId, incidentId],
  );
  if (!r.rows[0]) throw new AppError('NOT_FOUND', `incident ${incidentId} has no hold ${holdId}`);
  return r.rows[0];
}

async function holdView(tx: Queryable, incidentId: number, holdId: number, now: Date): Promise<Hold> {
  return (await loadHoldViews(tx, incidentId, now)).find((h) => h.id === holdId)!;
}

/**
 * An agency directs a hold on customer notices (DOMAIN.md §5): recorded with its written basis, at
 * most 30 days initially (validateHold), and the incident's running customer campaigns are paused in
 * the same transaction, under the incident lock that triggers also take.
 */
export async function directHold(
  deps: { db: Db; config: Pick<Config, 'REGULATORY_TIME_ZONE'> },
  incidentId: number,
  input: HoldInput,
  actor: string,
): Promise<Hold> {
  const now = new Date();
  const directedAt = input.directedAt ? new Date(input.directedAt) : now;
  if (directedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
    throw new AppError('VALIDATION_FAILED', 'a hold cannot be recorded before it is directed', [
      { path: 'body.directedAt', code: 'in_future', message: 'directedAt is in the future' },
    ]);
  }
  const directive = { directedAt, until: new Date(input.until), releasedAt: null };
  validateHold(directive, 'initial', deps.config.REGULATORY_TIME_ZONE);
  return deps.db.transaction(async (tx) => {
    await lockIncident(tx, incidentId);
    const ins = await tx.query<{ id: number }>(
      `INSERT INTO incident_holds (incident_id, agency, directed_at, until, basis, directed_by)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [incidentId, input.agency, directedAt.toISOString(), directive.until.toISOString(), input.basis, actor],
    );
    const holdId = ins.rows[0]!.id;
    const paused = isHoldActive(directive, now) ? await pauseCustomerCampaigns(tx, incidentId) : [];
    await appendAudit(tx, [
      {
        type: 'incident.hold_directed',
        actor,
        incidentId,
        outcome: 'hold',
        details: {
          holdId,
          agency: input.agency,
          directedAt: directedAt.toISOString(),
          until: directive.until.toISOString(),
          basis: input.basis,
          campaignsPaused: paused,
        },
      },
      ...paused.map((campaignId): AuditEventInput => ({
        type: 'campaign.paused',
        actor,
        incidentId,
        campaignId,
        outcome: 'paused',
        details: { reason: 'agency-hold', holdId },
      })),
    ]);
    return { ...(await holdView(tx, incidentId, holdId, now)), campaignsPaused: paused };
  });
}

async function pauseCustomerCampaigns(tx: Queryable, incidentId: number): Promise<number[]> {
  const r = await tx.query<{ id: number }>(
    `UPDATE campaigns SET state = 'paused', paused_by_hold = true, updated_at = now()
      WHERE incident_id = $1 AND kind = ANY($2::text[]) AND state IN ('triggered', 'running')
      RETURNING id`,
    [incidentId, CUSTOMER_NOTICE_KINDS],
  );
  return r.rows.map((x) => x.id).sort((a, b) => a - b);
}

/** An extension moves the hold's end later, with its own written basis; no 30-day limit. */
export async function extendHold(
  deps: { db: Db; config: Pick<Config, 'REGULATORY_TIME_ZONE'> },
  incidentId: number,
  holdId: number,
  input: HoldExtensionInput,
  actor: string,
): Promise<Hold> {
  const now = new Date();
  return deps.db.transaction(async (tx) => {
    await lockIncident(tx, incidentId);
    const h = await lockHold(tx, incidentId, holdId);
    if (h.released_at) {
      throw new AppError('CONFLICT', `hold ${holdId} was released; direct a new hold instead`, [
        { code: 'hold_released', message: 'a released hold cannot be extended' },
      ]);
    }
    if (new Date(h.until) <= now) {
      throw new AppError('CONFLICT', `hold ${holdId} lapsed at ${iso(h.until)}; direct a new hold instead`, [
        { code: 'hold_lapsed', message: 'a lapsed hold cannot be extended' },
      ]);
    }
    const until = new Date(input.until);
    if (until <= new Date(h.until)) {
      throw new AppError('VALIDATION_FAILED', 'an extension must end after the current end of the hold', [
        { path: 'body.until', code: 'not_later', message: `must be after ${iso(h.until)}` },
      ]);
    }
    validateHold({ directedAt: new Date(h.directed_at), until, releasedAt: null }, 'extension');
    await tx.query('UPDATE incident_holds SET until = $2 WHERE id = $1', [holdId, until.toISOString()]);
    await tx.query(
      `INSERT INTO incident_hold_extensions (hold_id, extended_at, previous_until, until, basis, extended_by)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [holdId, now.toISOString(), iso(h.until), until.toISOString(), input.basis, actor],
    );
    await appendAudit(tx, [
      {
        type: 'incident.hold_extended',
        actor,
        incidentId,
        outcome: 'extended',
        details: { holdId, previousUntil: iso(h.until), until: until.toISOString(), basis: input.basis },
      },
    ]);
    return holdView(tx, incidentId, holdId, now);
  });
}

/**
 * The agency releases the hold, in writing. When no other hold is still active, the campaigns that
 * holds paused (and only those; an operator's own pause stands) resume in the same transaction.
 */
export async function releaseHold(
  deps: { db: Db },
  incidentId: number,
  holdId: number,
  input: HoldReleaseInput,
  actor: string,
): Promise<Hold> {
  const now = new Date();
  return deps.db.transaction(async (tx) => {
    await lockIncident(tx, incidentId);
    const h = await lockHold(tx, incidentId, holdId);
    if (h.released_at) {
      throw new AppError('CONFLICT', `hold ${holdId} was already released at ${iso(h.released_at)}`, [
        { code: 'already_released', message: 'released once' },
      ]);
    }
    validateHold(
      { directedAt: new Date(h.directed_at), until: new Date(h.until), releasedAt: now },
      'extension',
    );
    await tx.query(
      'UPDATE incident_holds SET released_at = $2, release_basis = $3, released_by = $4 WHERE id = $1',
      [holdId, now.toISOString(), input.basis, actor],
    );
    const others = (await loadHolds(tx, incidentId)).filter(
      (o) => o.id !== holdId && isHoldActive(toDirective(o), now),
    );
    let resumed: number[] = [];
    if (others.length === 0) {
      const r = await tx.query<{ id: number }>(
        `UPDATE campaigns SET state = 'running', paused_by_hold = false, updated_at = now()
          WHERE incident_id = $1 AND state = 'paused' AND paused_by_hold RETURNING id`,
        [incidentId],
      );
      resumed = r.rows.map((x) => x.id).sort((a, b) => a - b);
    }
    await appendAudit(tx, [
      {
        type: 'incident.hold_released',
        actor,
        incidentId,
        outcome: 'released',
        details: {
          holdId,
          basis: input.basis,
          campaignsResumed: resumed,
          stillHeldBy: others.map((o) => o.id),
        },
      },
      ...resumed.map((campaignId): AuditEventInput => ({
        type: 'campaign.resumed',
        actor,
        incidentId,
        campaignId,
        outcome: 'running',
        details: { reason: 'agency-hold-released', holdId },
      })),
    ]);
    return { ...(await holdView(tx, incidentId, holdId, now)), campaignsResumed: resumed };
  });
}
