import { describe, expect, it } from 'vitest';
import {
  addCalendarDays,
  assertTimeZone,
  calendarDaysBetween,
  dayOfWeek,
  endOfZonedDay,
  parseCalendarDate,
  startOfZonedDay,
  toZonedDate,
  zonedTimeOfDayMs,
  zonedWallClockToInstant,
} from '../../shared/regulatory/zoned-dates';

describe('calendar-date strings', () => {
  it('parses real dates and refuses impossible or malformed ones', () => {
    expect(parseCalendarDate('2024-02-29')).toEqual({ year: 2024, month: 2, day: 29 });
    for (const bad of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-1-01', '2024-01-01T00:00', '']) {
      expect(() => parseCalendarDate(bad)).toThrow(/calendar date/);
    }
  });

  it('adds days across month and year ends, and counts days between', () => {
    expect(addCalendarDays('2024-12-18', 30)).toBe('2025-01-17');
    expect(addCalendarDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(calendarDaysBetween('2024-12-18', '2025-01-17')).toBe(30);
  });

  it('gives the weekday, 0 = Sunday', () => {
    expect(dayOfWeek('2024-12-18')).toBe(3);
    expect(dayOfWeek('2026-07-04')).toBe(6);
    expect(dayOfWeek('2022-01-02')).toBe(0);
  });
});

describe('instants in a zone', () => {
  it('an instant late on Wednesday in New York is already Thursday in UTC', () => {
    const at = new Date('2024-12-19T03:00:00Z');
    expect(toZonedDate(at)).toBe('2024-12-18');
    expect(toZonedDate(at, 'UTC')).toBe('2024-12-19');
    expect(zonedTimeOfDayMs(at)).toBe(22 * 3_600_000);
  });

  it('day boundaries follow daylight saving time', () => {
    expect(startOfZonedDay('2024-12-18').toISOString()).toBe('2024-12-18T05:00:00.000Z');
    expect(startOfZonedDay('2025-06-27').toISOString()).toBe('2025-06-27T04:00:00.000Z');
    // 2025-03-09 is 23 hours long in New York, 2025-11-02 is 25.
    expect(endOfZonedDay('2025-03-09').toISOString()).toBe('2025-03-10T03:59:59.999Z');
    expect(+endOfZonedDay('2025-03-09') + 1 - +startOfZonedDay('2025-03-09')).toBe(23 * 3_600_000);
    expect(+endOfZonedDay('2025-11-02') + 1 - +startOfZonedDay('2025-11-02')).toBe(25 * 3_600_000);
  });

  it('a day whose midnight is skipped starts at the first instant that exists (Santiago, 2024-09-08)', () => {
    expect(startOfZonedDay('2024-09-08', 'America/Santiago').toISOString()).toBe('2024-09-08T04:00:00.000Z');
    expect(endOfZonedDay('2024-09-07', 'America/Santiago').toISOString()).toBe('2024-09-08T03:59:59.999Z');
  });

  it('converts a wall-clock time back to an instant on either side of a change', () => {
    expect(zonedWallClockToInstant('2025-03-31', 10 * 3_600_000, 'America/New_York').toISOString()).toBe(
      '2025-03-31T14:00:00.000Z',
    );
    expect(zonedWallClockToInstant('2025-03-01', 10 * 3_600_000, 'America/New_York').toISOString()).toBe(
      '2025-03-01T15:00:00.000Z',
    );
  });

  it('refuses an unknown zone with a validation error', () => {
    expect(() => assertTimeZone('Mars/Olympus_Mons')).toThrow(/time zone/);
    expect(() => toZonedDate(new Date(0), 'Nowhere/Else')).toThrow(/time zone/);
    expect(() => assertTimeZone('Europe/Paris')).not.toThrow();
  });
});
