import { describe, expect, it } from 'vitest';
import {
  createHolidayCalendar,
  federalHolidays,
  lastWeekdayOfMonth,
  nthWeekdayOfMonth,
  observedDate,
} from '../../shared/regulatory/federal-holidays';

// Observed dates as published by OPM (opm.gov "Federal Holidays"), typed in by hand, not computed.
const OPM_OBSERVED: Record<number, string[]> = {
  2021: [
    '2021-01-01',
    '2021-01-18',
    '2021-02-15',
    '2021-05-31',
    '2021-06-18', // Juneteenth Sat → Fri
    '2021-07-05', // Independence Day Sun → Mon
    '2021-09-06',
    '2021-10-11',
    '2021-11-11',
    '2021-11-25',
    '2021-12-24', // Christmas Sat → Fri
  ],
  2022: [
    '2021-12-31', // New Year's Day 2022 Sat → Fri in the previous year
    '2022-01-17',
    '2022-02-21',
    '2022-05-30',
    '2022-06-20', // Juneteenth Sun → Mon
    '2022-07-04',
    '2022-09-05',
    '2022-10-10',
    '2022-11-11',
    '2022-11-24',
    '2022-12-26', // Christmas Sun → Mon
  ],
  2023: [
    '2023-01-02', // New Year's Day Sun → Mon
    '2023-01-16',
    '2023-02-20',
    '2023-05-29',
    '2023-06-19',
    '2023-07-04',
    '2023-09-04',
    '2023-10-09',
    '2023-11-10', // Veterans Day Sat → Fri
    '2023-11-23',
    '2023-12-25',
  ],
  2024: [
    '2024-01-01',
    '2024-01-15',
    '2024-02-19',
    '2024-05-27',
    '2024-06-19',
    '2024-07-04',
    '2024-09-02',
    '2024-10-14',
    '2024-11-11',
    '2024-11-28',
    '2024-12-25',
  ],
  2025: [
    '2025-01-01',
    '2025-01-20',
    '2025-02-17',
    '2025-05-26',
    '2025-06-19',
    '2025-07-04',
    '2025-09-01',
    '2025-10-13',
    '2025-11-11',
    '2025-11-27',
    '2025-12-25',
  ],
  2026: [
    '2026-01-01',
    '2026-01-19',
    '2026-02-16',
    '2026-05-25',
    '2026-06-19',
    '2026-07-03', // Independence Day Sat → Fri
    '2026-09-07',
    '2026-10-12',
    '2026-11-11',
    '2026-11-26',
    '2026-12-25',
  ],
};

describe('federalHolidays', () => {
  it.each(Object.entries(OPM_OBSERVED))('%s: observed dates match the OPM list', (year, expected) => {
    expect(federalHolidays(Number(year)).map((h) => h.observed)).toEqual(expected);
  });

  it('keeps the statutory date next to the observed one', () => {
    const july4 = federalHolidays(2026).find((h) => h.name === 'Independence Day');
    expect(july4).toEqual({ name: 'Independence Day', date: '2026-07-04', observed: '2026-07-03' });
  });

  it('has no Juneteenth before 2021 and no MLK Day before 1986', () => {
    expect(federalHolidays(2020).some((h) => h.name.startsWith('Juneteenth'))).toBe(false);
    expect(federalHolidays(2020)).toHaveLength(10);
    expect(federalHolidays(1985).some((h) => h.name.includes('King'))).toBe(false);
  });

  it('refuses a year outside 1..9999', () => {
    expect(() => federalHolidays(0)).toThrow(RangeError);
    expect(() => federalHolidays(2024.5)).toThrow(RangeError);
  });
});

describe('weekday rules', () => {
  it('nthWeekdayOfMonth: 4th Thursday of November 2025 is Thanksgiving, the 27th', () => {
    expect(nthWeekdayOfMonth(2025, 11, 4, 4)).toBe('2025-11-27');
    expect(nthWeekdayOfMonth(2024, 11, 4, 4)).toBe('2024-11-28');
  });
  it('lastWeekdayOfMonth: last Monday of May, and of December across the year end', () => {
    expect(lastWeekdayOfMonth(2025, 5, 1)).toBe('2025-05-26');
    expect(lastWeekdayOfMonth(2021, 5, 1)).toBe('2021-05-31');
    expect(lastWeekdayOfMonth(2024, 12, 1)).toBe('2024-12-30');
  });
  it('observedDate: Saturday → Friday before, Sunday → Monday after, weekdays unchanged', () => {
    expect(observedDate('2026-07-04')).toBe('2026-07-03');
    expect(observedDate('2022-01-01')).toBe('2021-12-31');
    expect(observedDate('2022-06-19')).toBe('2022-06-20');
    expect(observedDate('2025-06-19')).toBe('2025-06-19');
  });
});

describe('createHolidayCalendar', () => {
  const calendar = createHolidayCalendar();

  it('marks observed dates, including one that falls in the previous year', () => {
    expect(calendar.isHoliday('2024-12-25')).toBe(true);
    expect(calendar.isHoliday('2026-07-03')).toBe(true);
    expect(calendar.isHoliday('2021-12-31')).toBe(true); // New Year's Day 2022 observed
    expect(calendar.isHoliday('2025-06-19')).toBe(true); // Juneteenth, a Thursday
    expect(calendar.isHoliday('2025-11-27')).toBe(true); // Thanksgiving
  });

  it('also marks the statutory date of a weekend holiday', () => {
    expect(calendar.isHoliday('2026-07-04')).toBe(true);
    expect(calendar.isHoliday('2022-01-01')).toBe(true);
  });

  it('does not mark ordinary days, Christmas Eve, or the day after Thanksgiving', () => {
    expect(calendar.isHoliday('2024-12-24')).toBe(false);
    expect(calendar.isHoliday('2025-11-28')).toBe(false);
    expect(calendar.isHoliday('2024-12-31')).toBe(false); // New Year's Day 2025 is a Wednesday
  });

  it('adds extraDates and removes removedDates (removal wins)', () => {
    const custom = createHolidayCalendar({
      extraDates: ['2024-12-24', '2025-01-09'],
      removedDates: ['2025-10-13', '2025-01-09'],
    });
    expect(custom.isHoliday('2024-12-24')).toBe(true);
    expect(custom.isHoliday('2025-10-13')).toBe(false); // Columbus Day removed
    expect(custom.isHoliday('2025-01-09')).toBe(false);
    expect(custom.isHoliday('2025-12-25')).toBe(true);
  });

  it('refuses malformed or impossible dates in its options and its queries', () => {
    expect(() => createHolidayCalendar({ extraDates: ['2024-12-5'] })).toThrow(/calendar date/);
    expect(() => createHolidayCalendar({ removedDates: ['2023-02-29'] })).toThrow(/calendar date/);
    expect(() => calendar.isHoliday('12/25/2024')).toThrow(/calendar date/);
  });
});
