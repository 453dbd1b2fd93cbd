import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBusinessDays, businessDaysBetween, isBusinessDay } from '../../shared/regulatory/business-days';
import { createHolidayCalendar } from '../../shared/regulatory/federal-holidays';

const calendar = createHolidayCalendar();

describe('isBusinessDay', () => {
  it('is false on weekends and holidays, true on other weekdays', () => {
    expect(isBusinessDay('2024-12-21', calendar)).toBe(false); // Saturday
    expect(isBusinessDay('2024-12-22', calendar)).toBe(false); // Sunday
    expect(isBusinessDay('2024-12-25', calendar)).toBe(false); // Christmas, Wednesday
    expect(isBusinessDay('2026-07-03', calendar)).toBe(false); // July 4 observed, Friday
    expect(isBusinessDay('2024-12-24', calendar)).toBe(true); // Tuesday
  });
});

describe('addBusinessDays', () => {
  it('does not count the start date: Wed 2024-12-18 + 7 skips Christmas and two weekends → Mon 12-30', () => {
    expect(addBusinessDays('2024-12-18', 1, calendar)).toBe('2024-12-19');
    expect(addBusinessDays('2024-12-18', 4, calendar)).toBe('2024-12-24');
    expect(addBusinessDays('2024-12-18', 5, calendar)).toBe('2024-12-26');
    expect(addBusinessDays('2024-12-18', 7, calendar)).toBe('2024-12-30');
  });

  it('golden dates across holidays', () => {
    expect(addBusinessDays('2025-06-16', 7, calendar)).toBe('2025-06-26'); // Juneteenth Thu skipped
    expect(addBusinessDays('2026-06-26', 7, calendar)).toBe('2026-07-08'); // Fri Jul 3 observed
    expect(addBusinessDays('2025-11-21', 7, calendar)).toBe('2025-12-03'); // Thanksgiving skipped, Fri 28 counts
    expect(addBusinessDays('2021-12-22', 7, calendar)).toBe('2022-01-04'); // Fri 12-24 and Fri 12-31 skipped
  });

  it('from a weekend, day 1 is the next business day', () => {
    expect(addBusinessDays('2024-12-21', 1, calendar)).toBe('2024-12-23');
    expect(addBusinessDays('2024-12-25', 1, calendar)).toBe('2024-12-26');
  });

  it('returns the date itself for 0 and counts backwards for negative n', () => {
    expect(addBusinessDays('2024-12-21', 0, calendar)).toBe('2024-12-21');
    expect(addBusinessDays('2024-12-26', -1, calendar)).toBe('2024-12-24');
    expect(addBusinessDays('2022-01-03', -1, calendar)).toBe('2021-12-30');
  });

  it('follows a configured calendar: an extra closure on 2024-12-24 moves day 7 to 12-31', () => {
    const withEve = createHolidayCalendar({ extraDates: ['2024-12-24'] });
    expect(addBusinessDays('2024-12-18', 7, withEve)).toBe('2024-12-31');
  });

  it('refuses a non-integer count and a malformed date', () => {
    expect(() => addBusinessDays('2024-12-18', 1.5, calendar)).toThrow(RangeError);
    expect(() => addBusinessDays('2024-12-32', 1, calendar)).toThrow(/calendar date/);
  });
});

describe('businessDaysBetween', () => {
  it('counts business days after start up to and including end', () => {
    expect(businessDaysBetween('2024-12-18', '2024-12-30', calendar)).toBe(7);
    expect(businessDaysBetween('2024-12-18', '2024-12-18', calendar)).toBe(0);
    expect(businessDaysBetween('2024-12-20', '2024-12-22', calendar)).toBe(0); // Fri → Sun
    expect(businessDaysBetween('2024-12-24', '2024-12-26', calendar)).toBe(1); // Christmas skipped
  });

  it('is negative when end is before start', () => {
    expect(businessDaysBetween('2024-12-30', '2024-12-18', calendar)).toBe(-7);
  });

  it('is the inverse of addBusinessDays for any start and any n', () => {
    const start = fc
      .integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 11, 31) })
      .map((ms) => new Date(ms).toISOString().slice(0, 10));
    fc.assert(
      fc.property(start, fc.integer({ min: -40, max: 40 }), (date, n) => {
        expect(businessDaysBetween(date, addBusinessDays(date, n, calendar), calendar)).toBe(n);
      }),
      { numRuns: 300, seed: 6 },
    );
  });
});
