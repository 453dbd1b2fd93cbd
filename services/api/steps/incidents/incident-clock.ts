import type { Config } from '../../../../shared/config';
import type { Queryable } from '../../../../shared/store/db';
import { CUSTOMER_NOTICE_KINDS, type Regime } from '../../../../shared/domain';
import { createHolidayCalendar, type HolidayCalendar } from '../../../../shared/regulatory/federal-holidays';
import {
  computeIncidentDeadlines,
  type IncidentClockInput,
  type IncidentDeadlines,
} from '../../../../shared/regulatory/deadlines';
import type { HoldDirective } from '../../../../shared/regulatory/holds';
import type { IncidentRow } from './incident-record';

/** The calendar and zone every clock of this process counts in (config HOLIDAY_EXTRA_DATES, REGULATORY_TIME_ZONE). */
export interface RegulatoryClock {
  calendar: HolidayCalendar;
  zone: string;
}

const clocks = new WeakMap<object, RegulatoryClock>();

export function regulatoryClock(
  config: Pick<Config, 'HOLIDAY_EXTRA_DATES' | 'REGULATORY_TIME_ZONE'>,
): RegulatoryClock {
  let c = clocks.get(config);
  if (!c) {
    c = {
      calendar: createHolidayCalendar({ extraDates: [...config.HOLIDAY_EXTRA_DATES] }),
      zone: config.REGULATORY_TIME_ZONE,
    };
    clocks.set(config, c);
  }
  return c;
}

export interface HoldRow {
  id: number;
  incident_id: number;
  agency: string;
  directed_at: Date;
  until: Date;
  basis: string;
  directed_by: string;
  released_at: Date | null;
  release_basis: string | null;
  released_by: string | null;
}

export async function loadHolds(q: Queryable, incidentId: number): Promise<HoldRow[]> {
  const r = await q.query<HoldRow>('SELECT * FROM incident_holds WHERE incident_id = $1 ORDER BY id', [
    incidentId,
  ]);
  return r.rows;
}

export function toDirective(h: HoldRow): HoldDirective {
  return {
    directedAt: new Date(h.directed_at),
    until: new Date(h.until),
    releasedAt: h.released_at ? new Date(h.released_at) : null,
  };
}

/**
 * When customer notification happened, for the amended 30-day deadline: the first trigger of a
 * customer campaign of the incident that was not suppressed (its notices started to go out then).
 */
export async function firstCustomerNoticeAt(q: Queryable, incidentId: number): Promise<Date | null> {
  const r = await q.query<{ at: Date | null }>(
    `SELECT min(triggered_at) AS at FROM campaigns
      WHERE incident_id = $1 AND kind = ANY($2::text[]) AND triggered_at IS NOT NULL AND suppressed_reason IS NULL`,
    [incidentId, CUSTOMER_NOTICE_KINDS],
  );
  return r.rows[0]?.at ? new Date(r.rows[0].at) : null;
}

export function clockInput(
  incident: IncidentRow,
  holds: readonly HoldRow[],
  customerNoticesSentAt: Date | null,
): IncidentClockInput {
  return {
    regime: incident.regime as Regime,
    determinedAt: new Date(incident.determined_at),
    leReportSentAt: incident.le_report_sent_at ? new Date(incident.le_report_sent_at) : null,
    urgentNeedOverride: incident.urgent_need_at !== null,
    holds: holds.map(toDirective),
    noHarmDetermination:
      incident.no_harm_at && incident.no_harm_basis
        ? { at: new Date(incident.no_harm_at), basis: incident.no_harm_basis }
        : null,
    customerNoticesSentAt,
  };
}

/** The incident's deadlines and customer-notice gate as of `now` (DOMAIN.md §5). */
export async function evaluateIncident(
  q: Queryable,
  incident: IncidentRow,
  now: Date,
  clock: RegulatoryClock,
): Promise<{ holds: HoldRow[]; firstSentAt: Date | null; result: IncidentDeadlines }> {
  const holds = await loadHolds(q, incident.id);
  const firstSentAt = await firstCustomerNoticeAt(q, incident.id);
  const result = computeIncidentDeadlines(
    clockInput(incident, holds, firstSentAt),
    now,
    clock.calendar,
    clock.zone,
  );
  return { holds, firstSentAt, result };
}
