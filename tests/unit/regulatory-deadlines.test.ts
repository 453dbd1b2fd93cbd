import { describe, expect, it } from 'vitest';
import type { IncidentClockInput } from '../../shared/regulatory/deadlines';
import { computeIncidentDeadlines, legacyCustomerNoticeWaitEnd } from '../../shared/regulatory/deadlines';
import { createHolidayCalendar } from '../../shared/regulatory/federal-holidays';

// Golden dates were checked against a printed calendar and OPM's holiday lists (see
// regulatory-federal-holidays.test.ts). Times in comments are New York local time.
const calendar = createHolidayCalendar();
const t = (iso: string) => new Date(iso);

function incident(overrides: Partial<IncidentClockInput> = {}): IncidentClockInput {
  return {
    regime: 'legacy',
    determinedAt: t('2024-12-18T15:00:00Z'), // Wed 2024-12-18 10:00
    leReportSentAt: null,
    urgentNeedOverride: false,
    holds: [],
    noHarmDetermination: null,
    ...overrides,
  };
}

function deadline(input: IncidentClockInput, now: Date, id: string) {
  const d = computeIncidentDeadlines(input, now, calendar).deadlines.find((x) => x.id === id);
  if (!d) throw new Error(`no deadline ${id}`);
  return d;
}

describe('law-enforcement report: end of the 7th business day after the determination date', () => {
  it.each([
    // [determinedAt, due date, dueAt (last ms of that day in New York), what it crosses]
    ['2024-12-18T15:00:00Z', '2024-12-30', '2024-12-31T04:59:59.999Z', 'Christmas (Wed) and two weekends'],
    ['2025-06-16T14:00:00Z', '2025-06-26', '2025-06-27T03:59:59.999Z', 'Juneteenth 2025 (Thu)'],
    [
      '2026-06-26T14:00:00Z',
      '2026-07-08',
      '2026-07-09T03:59:59.999Z',
      'July 4 2026 (Sat) observed Fri Jul 3',
    ],
    ['2025-11-21T15:00:00Z', '2025-12-03', '2025-12-04T04:59:59.999Z', 'Thanksgiving 2025; Fri 11-28 counts'],
    [
      '2021-12-22T15:00:00Z',
      '2022-01-04',
      '2022-01-05T04:59:59.999Z',
      'Christmas and New Year 2022 observed Fri',
    ],
    ['2025-03-05T15:00:00Z', '2025-03-14', '2025-03-15T03:59:59.999Z', 'the switch to daylight time'],
  ])('determined %s → due %s (%s… %s)', (determinedAt, dueDate, dueAt) => {
    for (const regime of ['legacy', 'amended'] as const) {
      const d = deadline(incident({ regime, determinedAt: t(determinedAt) }), t(determinedAt), 'le-report');
      expect({ dueDate: d.dueDate, dueAt: d.dueAt, status: d.status }).toEqual({
        dueDate,
        dueAt,
        status: 'due',
      });
    }
  });

  it('the determination date is day 0 even when determined at 00:01 on a business day', () => {
    const d = deadline(
      incident({ determinedAt: t('2024-12-18T05:01:00Z') }),
      t('2024-12-18T06:00:00Z'),
      'le-report',
    );
    expect(d.dueDate).toBe('2024-12-30');
  });

  it('a determination on a weekend counts from the next business day', () => {
    // Sat 2024-12-21: Mon 23 (1), Tue 24 (2), Thu 26 (3), Fri 27 (4), Mon 30 (5), Tue 31 (6), Thu 1-2 (7)
    const d = deadline(
      incident({ determinedAt: t('2024-12-21T15:00:00Z') }),
      t('2024-12-21T15:00:00Z'),
      'le-report',
    );
    expect(d.dueDate).toBe('2025-01-02');
  });

  it('the determination date is read in the zone: 22:00 Wednesday in New York is Thursday in UTC', () => {
    const input = incident({ determinedAt: t('2024-12-19T03:00:00Z') });
    const ny = computeIncidentDeadlines(input, t('2024-12-19T03:00:00Z'), calendar);
    const utc = computeIncidentDeadlines(input, t('2024-12-19T03:00:00Z'), calendar, 'UTC');
    expect(ny.deadlines[0]?.dueAt).toBe('2024-12-31T04:59:59.999Z');
    expect(utc.deadlines[0]?.dueDate).toBe('2024-12-31');
    expect(utc.deadlines[0]?.dueAt).toBe('2024-12-31T23:59:59.999Z');
  });

  it('a configured closure (2024-12-24) moves the due date to Tue 2024-12-31', () => {
    const withEve = createHolidayCalendar({ extraDates: ['2024-12-24'] });
    const result = computeIncidentDeadlines(incident(), t('2024-12-19T00:00:00Z'), withEve);
    expect(result.deadlines[0]?.dueDate).toBe('2024-12-31');
  });

  it('is due until its last millisecond, then missed', () => {
    expect(deadline(incident(), t('2024-12-31T04:59:59.999Z'), 'le-report').status).toBe('due');
    const late = computeIncidentDeadlines(incident(), t('2024-12-31T05:00:00.000Z'), calendar);
    expect(late.deadlines[0]?.status).toBe('missed');
    expect(late.missed.map((d) => d.id)).toEqual(['le-report']);
    expect(late.next).toBeNull();
  });

  it('is met when sent by its last millisecond, with metAt', () => {
    const sent = incident({ leReportSentAt: t('2024-12-31T04:59:59.999Z') });
    const d = deadline(sent, t('2025-02-01T00:00:00Z'), 'le-report');
    expect(d.status).toBe('met');
    expect(d.metAt).toBe('2024-12-31T04:59:59.999Z');
  });

  it('is missed when sent one millisecond late, with completedAt and no metAt', () => {
    const sent = incident({ leReportSentAt: t('2024-12-31T05:00:00.000Z') });
    const d = deadline(sent, t('2025-02-01T00:00:00Z'), 'le-report');
    expect(d.status).toBe('missed');
    expect(d.metAt).toBeUndefined();
    expect(d.completedAt).toBe('2024-12-31T05:00:00.000Z');
  });

  it('a report sent after `now` has not been sent yet in that view', () => {
    const sent = incident({ leReportSentAt: t('2024-12-23T15:00:00Z') });
    expect(deadline(sent, t('2024-12-20T15:00:00Z'), 'le-report').status).toBe('due');
  });

  it('names its regime, the count and the zone in the rule and the label', () => {
    const legacy = deadline(incident(), t('2024-12-19T00:00:00Z'), 'le-report');
    const amended = deadline(incident({ regime: 'amended' }), t('2024-12-19T00:00:00Z'), 'le-report');
    expect(legacy.label).toMatch(/Secret Service, FBI/);
    expect(legacy.rule).toMatch(/2007.*7 business days.*2024-12-18.*America\/New_York/);
    expect(amended.label).toMatch(/FCC, Secret Service, FBI/);
    expect(amended.rule).toMatch(/FCC 23-111/);
  });
});

describe('legacy regime: customer notices', () => {
  it('have no deadline of their own', () => {
    const result = computeIncidentDeadlines(incident(), t('2024-12-19T00:00:00Z'), calendar);
    expect(result.deadlines.map((d) => d.id)).toEqual(['le-report']);
  });

  it('wait 7 full business days after the report: sent Mon 2025-06-16 → allowed Fri 2025-06-27 00:00', () => {
    // Tue 17 (1), Wed 18 (2), Juneteenth Thu 19 skipped, Fri 20 (3), Mon 23 … Thu 26 (7)
    expect(legacyCustomerNoticeWaitEnd(t('2025-06-16T20:00:00Z'), calendar).toISOString()).toBe(
      '2025-06-27T04:00:00.000Z',
    );
  });

  it('the sending day is never a full day, even when the report goes at 00:01', () => {
    expect(legacyCustomerNoticeWaitEnd(t('2025-06-16T04:01:00Z'), calendar).toISOString()).toBe(
      '2025-06-27T04:00:00.000Z',
    );
  });

  it('the wait may end at the start of a holiday: sent Thu 2024-12-19 → allowed Wed 2025-01-01 00:00', () => {
    // Fri 20, Mon 23, Tue 24, Thu 26, Fri 27, Mon 30, Tue 31 are the 7 full business days.
    const sent = incident({ leReportSentAt: t('2024-12-19T15:00:00Z') });
    const during = computeIncidentDeadlines(sent, t('2024-12-31T23:00:00Z'), calendar);
    expect(during.customerNoticesAllowedFrom).toBe('2025-01-01T05:00:00.000Z');
    expect(during.blockedReasons).toEqual(['legacy-waiting-period']);
    const after = computeIncidentDeadlines(sent, t('2025-01-01T05:00:00.000Z'), calendar);
    expect(after.blockedReasons).toEqual([]);
  });

  it('the urgent-need override lifts the wait: allowed as soon as the report is sent', () => {
    const sent = incident({ leReportSentAt: t('2024-12-19T15:00:00Z'), urgentNeedOverride: true });
    const result = computeIncidentDeadlines(sent, t('2024-12-19T16:00:00Z'), calendar);
    expect(result.customerNoticesAllowedFrom).toBe('2024-12-19T15:00:00.000Z');
    expect(result.blockedReasons).toEqual([]);
  });

  it('the override never lifts the rule that the report goes first', () => {
    const result = computeIncidentDeadlines(
      incident({ urgentNeedOverride: true }),
      t('2024-12-19T16:00:00Z'),
      calendar,
    );
    expect(result.customerNoticesAllowedFrom).toBeNull();
    expect(result.blockedReasons).toEqual(['le-report-not-sent']);
  });

  it('a no-harm determination has no effect', () => {
    const result = computeIncidentDeadlines(
      incident({
        leReportSentAt: t('2024-12-19T15:00:00Z'),
        urgentNeedOverride: true,
        noHarmDetermination: { at: t('2024-12-19T15:30:00Z'), basis: 'encrypted at rest' },
      }),
      t('2024-12-20T00:00:00Z'),
      calendar,
    );
    expect(result.blockedReasons).toEqual([]);
    expect(result.customerNoticesAllowedFrom).toBe('2024-12-19T15:00:00.000Z');
  });
});

describe('amended regime: customer notices within 30 calendar days', () => {
  const amended = (o: Partial<IncidentClockInput> = {}) =>
    incident({ regime: 'amended', leReportSentAt: t('2024-12-20T15:00:00Z'), ...o });

  it('are due by the end of the 30th calendar day after the determination date (2025-01-17)', () => {
    const d = deadline(amended(), t('2025-01-10T00:00:00Z'), 'customer-notice');
    expect(d).toMatchObject({ dueDate: '2025-01-17', dueAt: '2025-01-18T04:59:59.999Z', status: 'due' });
  });

  it('may go out as soon as the report is sent: no waiting period', () => {
    const result = computeIncidentDeadlines(amended(), t('2024-12-20T15:00:00Z'), calendar);
    expect(result.customerNoticesAllowedFrom).toBe('2024-12-20T15:00:00.000Z');
    expect(result.blockedReasons).toEqual([]);
  });

  it('next is the earliest deadline still due', () => {
    const before = computeIncidentDeadlines(
      amended({ leReportSentAt: null }),
      t('2024-12-19T00:00:00Z'),
      calendar,
    );
    expect(before.next?.id).toBe('le-report');
    const after = computeIncidentDeadlines(amended(), t('2025-01-10T00:00:00Z'), calendar);
    expect(after.next?.id).toBe('customer-notice');
    expect(after.deadlines.map((d) => d.status)).toEqual(['met', 'due']);
  });

  it('are missed after the due instant, and both deadlines are listed as missed when neither was met', () => {
    const result = computeIncidentDeadlines(
      amended({ leReportSentAt: null }),
      t('2025-01-18T05:00:00Z'),
      calendar,
    );
    expect(result.missed.map((d) => d.id)).toEqual(['le-report', 'customer-notice']);
    expect(result.next).toBeNull();
  });

  it('are met when completed on time', () => {
    const d = deadline(
      amended({ customerNoticesSentAt: t('2025-01-15T15:00:00Z') }),
      t('2025-02-01T00:00:00Z'),
      'customer-notice',
    );
    expect(d.status).toBe('met');
    expect(d.metAt).toBe('2025-01-15T15:00:00.000Z');
  });

  it('a recorded no-harm determination makes them not applicable and suppresses them', () => {
    const input = amended({
      noHarmDetermination: { at: t('2025-01-05T15:00:00Z'), basis: 'only hashed numbers' },
    });
    const result = computeIncidentDeadlines(input, t('2025-02-01T00:00:00Z'), calendar);
    expect(result.deadlines[1]?.status).toBe('not-applicable');
    expect(result.missed).toEqual([]);
    expect(result.customerNoticesAllowedFrom).toBeNull();
    expect(result.blockedReasons).toEqual(['no-harm-suppression']);
  });

  it('a no-harm determination without a written basis is not one', () => {
    const input = amended({ noHarmDetermination: { at: t('2025-01-05T15:00:00Z'), basis: '   ' } });
    const result = computeIncidentDeadlines(input, t('2025-01-06T00:00:00Z'), calendar);
    expect(result.deadlines[1]?.status).toBe('due');
    expect(result.blockedReasons).toEqual([]);
  });

  it('a no-harm determination recorded after the deadline suppresses later notices but does not excuse the miss', () => {
    const input = amended({ noHarmDetermination: { at: t('2025-01-20T15:00:00Z'), basis: 'reviewed late' } });
    const result = computeIncidentDeadlines(input, t('2025-01-21T00:00:00Z'), calendar);
    expect(result.deadlines[1]?.status).toBe('missed');
    expect(result.blockedReasons).toEqual(['no-harm-suppression']);
  });

  it('a hold pauses the 30-day clock one day per calendar day it is in force', () => {
    // Directed Mon 2024-12-23 10:00, until Fri 2025-01-10 10:00: 19 calendar days → 2025-01-17 + 19.
    const hold = {
      directedAt: t('2024-12-23T15:00:00Z'),
      until: t('2025-01-10T15:00:00Z'),
      releasedAt: null,
    };
    const d = deadline(amended({ holds: [hold] }), t('2025-01-02T00:00:00Z'), 'customer-notice');
    expect(d.dueDate).toBe('2025-02-05');
    expect(d.rule).toMatch(/plus 19 day\(s\)/);
    // Released Mon 2025-01-06 10:00 instead: 15 days → 2025-02-01.
    const released = { ...hold, releasedAt: t('2025-01-06T15:00:00Z') };
    expect(
      deadline(amended({ holds: [released] }), t('2025-01-07T00:00:00Z'), 'customer-notice').dueDate,
    ).toBe('2025-02-01');
  });

  it('hold time on the determination date itself is not a paused day (that day is day 0)', () => {
    // Directed Wed 2024-12-18 11:00 (the determination date), until Fri 2024-12-20 10:00: pauses 19 and 20.
    const hold = {
      directedAt: t('2024-12-18T16:00:00Z'),
      until: t('2024-12-20T15:00:00Z'),
      releasedAt: null,
    };
    const d = deadline(amended({ holds: [hold] }), t('2024-12-21T00:00:00Z'), 'customer-notice');
    expect(d.dueDate).toBe('2025-01-19');
  });

  it('a hold directed after the deadline does not move it', () => {
    const hold = {
      directedAt: t('2025-01-20T15:00:00Z'),
      until: t('2025-02-10T15:00:00Z'),
      releasedAt: null,
    };
    const d = deadline(amended({ holds: [hold] }), t('2025-01-21T00:00:00Z'), 'customer-notice');
    expect(d.dueDate).toBe('2025-01-17');
    expect(d.status).toBe('missed');
  });
});

describe('holds block customer notices in either regime', () => {
  const hold = { directedAt: t('2024-12-23T15:00:00Z'), until: t('2025-01-10T15:00:00Z'), releasedAt: null };

  it.each(['legacy', 'amended'] as const)(
    '%s: an active hold blocks and sets allowedFrom to its end',
    (regime) => {
      const input = incident({
        regime,
        leReportSentAt: t('2024-12-20T15:00:00Z'),
        urgentNeedOverride: true,
        holds: [hold],
      });
      const result = computeIncidentDeadlines(input, t('2025-01-02T15:00:00Z'), calendar);
      expect(result.blockedReasons).toEqual(['agency-hold']);
      expect(result.customerNoticesAllowedFrom).toBe('2025-01-10T15:00:00.000Z');
    },
  );

  it('a release resumes notices from the release instant', () => {
    const released = { ...hold, releasedAt: t('2025-01-06T15:00:00Z') };
    const input = incident({
      regime: 'amended',
      leReportSentAt: t('2024-12-20T15:00:00Z'),
      holds: [released],
    });
    const atRelease = computeIncidentDeadlines(input, t('2025-01-06T15:00:00Z'), calendar);
    expect(atRelease.blockedReasons).toEqual([]);
    expect(atRelease.customerNoticesAllowedFrom).toBe('2025-01-06T15:00:00.000Z');
    // Before the release is recorded, the hold still runs to `until`.
    const before = computeIncidentDeadlines(input, t('2025-01-06T14:59:59.999Z'), calendar);
    expect(before.blockedReasons).toEqual(['agency-hold']);
    expect(before.customerNoticesAllowedFrom).toBe('2025-01-10T15:00:00.000Z');
  });

  it('legacy: allowedFrom is the later of the waiting period and the hold', () => {
    const input = incident({ leReportSentAt: t('2024-12-19T15:00:00Z'), holds: [hold] });
    const result = computeIncidentDeadlines(input, t('2024-12-24T15:00:00Z'), calendar);
    expect(result.blockedReasons).toEqual(['legacy-waiting-period', 'agency-hold']);
    expect(result.customerNoticesAllowedFrom).toBe('2025-01-10T15:00:00.000Z');
    const shortHold = { ...hold, until: t('2024-12-27T15:00:00Z') };
    const waitWins = computeIncidentDeadlines(
      { ...input, holds: [shortHold] },
      t('2024-12-24T15:00:00Z'),
      calendar,
    );
    expect(waitWins.customerNoticesAllowedFrom).toBe('2025-01-01T05:00:00.000Z');
  });

  it('a hold directed after `now` is not in force yet', () => {
    const input = incident({ regime: 'amended', leReportSentAt: t('2024-12-20T15:00:00Z'), holds: [hold] });
    const result = computeIncidentDeadlines(input, t('2024-12-22T00:00:00Z'), calendar);
    expect(result.blockedReasons).toEqual([]);
    expect(result.customerNoticesAllowedFrom).toBe('2024-12-20T15:00:00.000Z');
  });

  it('lists every reason at once when the report is unsent and a hold is active', () => {
    const result = computeIncidentDeadlines(incident({ holds: [hold] }), t('2024-12-24T00:00:00Z'), calendar);
    expect(result.blockedReasons).toEqual(['le-report-not-sent', 'agency-hold']);
    expect(result.customerNoticesAllowedFrom).toBeNull();
  });
});

describe('computeIncidentDeadlines is pure', () => {
  it('gives the same answer for the same input and does not mutate it', () => {
    const input = incident({
      regime: 'amended',
      holds: [{ directedAt: t('2024-12-23T15:00:00Z'), until: t('2025-01-10T15:00:00Z'), releasedAt: null }],
    });
    const copy = structuredClone(input);
    const a = computeIncidentDeadlines(input, t('2025-01-02T00:00:00Z'), calendar);
    const b = computeIncidentDeadlines(input, t('2025-01-02T00:00:00Z'), calendar);
    expect(a).toEqual(b);
    expect(input).toEqual(copy);
  });
});
