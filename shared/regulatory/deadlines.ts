/**
 * The regulatory clocks of an incident (DOMAIN.md §5): its deadlines, each due, met, missed or not
 * applicable; what is due next; what was missed; and whether customer notices may go out, from when,
 * and what blocks them now.
 *
 * Pure and deterministic: `now` is a parameter, never read from the system clock. The result is the
 * view "as of now": a recorded event whose timestamp is after `now` (a report sent, a hold directed or
 * released, a determination made) has not happened yet in that view. That keeps an evaluation at a past
 * `now` consistent for replays and tests.
 *
 * How the words of the rules are read (modelling choices, pinned by tests/unit/regulatory-deadlines):
 * - Days are calendar dates in one IANA zone (DEFAULT_TIME_ZONE, America/New_York, unless given).
 * - "Within 7 business days of the determination": the determination date (in the zone) is day 0 and
 *   is never counted, even when the determination is made at 00:01 on a business day. The report is
 *   due by the end (23:59:59.999 local) of the 7th business day after that date. Determined Wednesday
 *   2024-12-18 → due end of Monday 2024-12-30 (two weekends and Christmas skipped).
 * - "Within 30 calendar days of the determination": due by the end of the 30th calendar day after the
 *   determination date. Each calendar day (after the determination date) on which an agency hold was in
 *   force, for any part of the day, pauses this clock and moves the due date one day later: a carrier
 *   cannot be late for notices it was directed not to send.
 * - Legacy "not until 7 full business days after" the report: the day the report is sent is never
 *   counted (it is not a full day); customer notices are allowed from the first instant (local midnight)
 *   of the calendar day after the 7th business day that follows the sending date. Sent Monday
 *   2025-06-16 → allowed from Friday 2025-06-27 00:00 New York (Juneteenth skipped).
 * - A deadline is met when the act is recorded at or before its dueAt, and missed when it is recorded
 *   later or, unrecorded, when `now` is after dueAt.
 */
import type { Regime } from '../domain';
import { addBusinessDays } from './business-days';
import type { HolidayCalendar } from './federal-holidays';
import type { HoldDirective } from './holds';
import { holdEnd, isHoldActive } from './holds';
import {
  addCalendarDays,
  DEFAULT_TIME_ZONE,
  endOfZonedDay,
  startOfZonedDay,
  toZonedDate,
} from './zoned-dates';

/** Business days for the law-enforcement report, both regimes. */
export const LE_REPORT_BUSINESS_DAYS = 7;
/** Legacy regime: full business days customers must wait after the law-enforcement report. */
export const LEGACY_CUSTOMER_WAIT_BUSINESS_DAYS = 7;
/** Amended regime: calendar days for customer notices after the determination. */
export const AMENDED_CUSTOMER_NOTICE_CALENDAR_DAYS = 30;

export interface NoHarmDetermination {
  at: Date;
  /** The written basis; a blank one is not a determination. */
  basis: string;
}

export interface IncidentClockInput {
  regime: Regime;
  /** When the carrier reasonably determined that a breach occurred: starts both clocks. */
  determinedAt: Date;
  leReportSentAt: Date | null;
  /** Legacy only: "urgent need, agency consulted" recorded, lifting the 7-business-day wait. */
  urgentNeedOverride: boolean;
  holds: HoldDirective[];
  /** Amended only: "no harm reasonably likely", which suppresses customer notices. */
  noHarmDetermination: NoHarmDetermination | null;
  /** When customer notification was completed, if it has been. @defaultValue null */
  customerNoticesSentAt?: Date | null;
}

export const DEADLINE_IDS = ['le-report', 'customer-notice'] as const;
export type DeadlineId = (typeof DEADLINE_IDS)[number];

export const DEADLINE_STATUSES = ['due', 'met', 'missed', 'not-applicable'] as const;
export type DeadlineStatus = (typeof DEADLINE_STATUSES)[number];

export interface Deadline {
  id: DeadlineId;
  label: string;
  /** The last calendar day to act, 'YYYY-MM-DD' in the clock's zone. */
  dueDate: string;
  /** The last instant to act (end of dueDate in the zone), ISO 8601 UTC. */
  dueAt: string;
  status: DeadlineStatus;
  /** When the act was recorded, if on time. */
  metAt?: string;
  /** When the act was recorded, on time or late. */
  completedAt?: string;
  /** The rule and how it was counted, for the timeline, dashboard and audit log. */
  rule: string;
}

/** Why customer notices may not go out at `now`; listed in this order. */
export const BLOCKED_REASONS = [
  'le-report-not-sent',
  'legacy-waiting-period',
  'agency-hold',
  'no-harm-suppression',
] as const;
export type BlockedReason = (typeof BLOCKED_REASONS)[number];

export const BLOCKED_REASON_DESCRIPTIONS: Record<BlockedReason, string> = {
  'le-report-not-sent': 'No customer notice before the law-enforcement report is recorded as sent.',
  'legacy-waiting-period':
    'Legacy regime: 7 full business days must pass after the law-enforcement report (no urgent-need override recorded).',
  'agency-hold': 'An agency has directed a hold on customer notices.',
  'no-harm-suppression':
    'Amended regime: a no-harm determination with a written basis suppresses customer notices.',
};

export interface IncidentDeadlines {
  deadlines: Deadline[];
  /** The earliest deadline still due. */
  next: Deadline | null;
  missed: Deadline[];
  /**
   * ISO instant from which customer notices may go out and stay allowed, given what is recorded as of
   * `now` (the report, the legacy wait, every hold's end); null while the report is unsent or when
   * notices are suppressed. It may be in the past; `blockedReasons` says what blocks them at `now`.
   */
  customerNoticesAllowedFrom: string | null;
  blockedReasons: BlockedReason[];
}

/** An event counts only if it is recorded and has happened by `now`. */
function happenedBy(at: Date | null | undefined, now: Date): Date | null {
  return at && at <= now ? at : null;
}

/** Met, missed or due, from when the act was recorded (if it was) and when it was due. */
function statusOf(
  dueAt: Date,
  completedAt: Date | null,
  now: Date,
): Pick<Deadline, 'status' | 'metAt' | 'completedAt'> {
  if (completedAt) {
    const iso = completedAt.toISOString();
    return completedAt <= dueAt
      ? { status: 'met', metAt: iso, completedAt: iso }
      : { status: 'missed', completedAt: iso };
  }
  return { status: now > dueAt ? 'missed' : 'due' };
}

/** Either regime: the law-enforcement report is due by the end of the 7th business day after determination. */
function leReportDeadline(
  incident: IncidentClockInput,
  now: Date,
  calendar: HolidayCalendar,
  zone: string,
): Deadline {
  const determinedOn = toZonedDate(incident.determinedAt, zone);
  const dueDate = addBusinessDays(determinedOn, LE_REPORT_BUSINESS_DAYS, calendar);
  const dueAt = endOfZonedDay(dueDate, zone);
  const legacy = incident.regime === 'legacy';
  return {
    id: 'le-report',
    label: legacy
      ? 'Law-enforcement report (Secret Service, FBI)'
      : 'Breach report (FCC, Secret Service, FBI)',
    dueDate,
    dueAt: dueAt.toISOString(),
    ...statusOf(dueAt, happenedBy(incident.leReportSentAt, now), now),
    rule:
      `${legacy ? '47 CFR 64.2011(b) (2007 text)' : '47 CFR 64.2011(a) as amended by FCC 23-111'}: ` +
      `within ${LE_REPORT_BUSINESS_DAYS} business days of the determination; due at the end of the ` +
      `${LE_REPORT_BUSINESS_DAYS}th business day after the determination date ${determinedOn} ` +
      `(not counted), skipping weekends and holidays, in ${zone}.`,
  };
}

/**
 * Amended regime: the 30-calendar-day customer-notice date, paused one day for each calendar day after
 * the determination date on which a hold (directed by `now`, and starting no later than the due date
 * as extended so far) was in force for any part of the day. Returns the due date and the paused days.
 */
function tolledCustomerNoticeDate(
  determinedOn: string,
  holds: HoldDirective[],
  now: Date,
  zone: string,
): { dueDate: string; pausedDays: number } {
  const base = addCalendarDays(determinedOn, AMENDED_CUSTOMER_NOTICE_CALENDAR_DAYS);
  const paused = new Set<string>();
  let dueDate = base;
  const directed = holds.filter((h) => h.directedAt <= now).sort((a, b) => +a.directedAt - +b.directedAt);
  for (const hold of directed) {
    const first = toZonedDate(hold.directedAt, zone);
    if (first > dueDate) break; // a hold after the deadline cannot excuse it; later ones start later
    // The end is exclusive: a hold released at local midnight does not touch the new day.
    const last = toZonedDate(new Date(holdEnd(hold, now).getTime() - 1), zone);
    for (let d = first; d <= last; d = addCalendarDays(d, 1)) if (d > determinedOn) paused.add(d);
    dueDate = addCalendarDays(base, paused.size);
  }
  return { dueDate, pausedDays: paused.size };
}

/** A no-harm determination counts once it is recorded (by `now`) with a non-blank written basis. */
function recordedNoHarm(incident: IncidentClockInput, now: Date): NoHarmDetermination | null {
  const d = incident.noHarmDetermination;
  return d && d.at <= now && d.basis.trim() !== '' ? d : null;
}

/**
 * Amended regime: customer notices are due within 30 calendar days of the determination (paused by
 * holds); not applicable once a no-harm determination is recorded on or before the due instant.
 */
function amendedCustomerNoticeDeadline(incident: IncidentClockInput, now: Date, zone: string): Deadline {
  const determinedOn = toZonedDate(incident.determinedAt, zone);
  const { dueDate, pausedDays } = tolledCustomerNoticeDate(determinedOn, incident.holds, now, zone);
  const dueAt = endOfZonedDay(dueDate, zone);
  const sent = happenedBy(incident.customerNoticesSentAt, now);
  const noHarm = recordedNoHarm(incident, now);
  const status =
    !sent && noHarm && noHarm.at <= dueAt
      ? { status: 'not-applicable' as const }
      : statusOf(dueAt, sent, now);
  return {
    id: 'customer-notice',
    label: 'Customer notices',
    dueDate,
    dueAt: dueAt.toISOString(),
    ...status,
    rule:
      `47 CFR 64.2011(b) as amended by FCC 23-111: within ${AMENDED_CUSTOMER_NOTICE_CALENDAR_DAYS} ` +
      `calendar days of the determination; due at the end of the ` +
      `${AMENDED_CUSTOMER_NOTICE_CALENDAR_DAYS}th calendar day after ${determinedOn} in ${zone}` +
      (pausedDays > 0 ? `, plus ${pausedDays} day(s) on which an agency hold was in force` : '') +
      '; not applicable when "no harm reasonably likely" is recorded with a written basis.',
  };
}

/**
 * Legacy regime: the first instant customer notices may go out after the report, i.e. local midnight
 * after the 7th full business day following the sending date (the sending day itself is never full).
 */
export function legacyCustomerNoticeWaitEnd(
  leReportSentAt: Date,
  calendar: HolidayCalendar,
  zone: string = DEFAULT_TIME_ZONE,
): Date {
  const sentOn = toZonedDate(leReportSentAt, zone);
  const lastFullDay = addBusinessDays(sentOn, LEGACY_CUSTOMER_WAIT_BUSINESS_DAYS, calendar);
  return startOfZonedDay(addCalendarDays(lastFullDay, 1), zone);
}

/**
 * Customer-notice gate, either regime: never before the report is sent; legacy, not before the wait
 * ends unless the urgent-need override is recorded; amended, never when a no-harm determination is
 * recorded; and not while a hold is active (a hold blocks over [directedAt, releasedAt ?? until)).
 */
function customerNoticeGate(
  incident: IncidentClockInput,
  now: Date,
  calendar: HolidayCalendar,
  zone: string,
): Pick<IncidentDeadlines, 'customerNoticesAllowedFrom' | 'blockedReasons'> {
  const reasons = new Set<BlockedReason>();
  const sentAt = happenedBy(incident.leReportSentAt, now);
  const suppressed = incident.regime === 'amended' && recordedNoHarm(incident, now) !== null;
  const holds = incident.holds.filter((h) => h.directedAt <= now);

  if (!sentAt) reasons.add('le-report-not-sent');
  if (holds.some((h) => isHoldActive(h, now))) reasons.add('agency-hold');
  if (suppressed) reasons.add('no-harm-suppression');

  let allowedFrom: Date | null = null;
  if (sentAt && !suppressed) {
    allowedFrom = sentAt;
    if (incident.regime === 'legacy' && !incident.urgentNeedOverride) {
      allowedFrom = legacyCustomerNoticeWaitEnd(sentAt, calendar, zone);
      if (now < allowedFrom) reasons.add('legacy-waiting-period');
    }
    // Allowed from, and allowed from then on: past the end of every hold that ends later.
    for (const hold of holds) {
      const end = holdEnd(hold, now);
      if (end > allowedFrom) allowedFrom = end;
    }
  }
  return {
    customerNoticesAllowedFrom: allowedFrom ? allowedFrom.toISOString() : null,
    blockedReasons: BLOCKED_REASONS.filter((r) => reasons.has(r)),
  };
}

/**
 * Every deadline of an incident as of `now` (DOMAIN.md §5), what is due next, what was missed, and the
 * customer-notice gate. Legacy: the law-enforcement report. Amended: the report and customer notices.
 * A no-harm determination has no effect in the legacy regime, which has no harm-based exception.
 */
export function computeIncidentDeadlines(
  incident: IncidentClockInput,
  now: Date,
  calendar: HolidayCalendar,
  zone: string = DEFAULT_TIME_ZONE,
): IncidentDeadlines {
  const deadlines = [leReportDeadline(incident, now, calendar, zone)];
  if (incident.regime === 'amended') deadlines.push(amendedCustomerNoticeDeadline(incident, now, zone));
  const due = deadlines
    .filter((d) => d.status === 'due')
    .sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
  return {
    deadlines,
    next: due[0] ?? null,
    missed: deadlines.filter((d) => d.status === 'missed'),
    ...customerNoticeGate(incident, now, calendar, zone),
  };
}
