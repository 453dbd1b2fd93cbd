/**
 * US federal holidays (5 U.S.C. 6103), computed by rule for any year, and a configurable holiday
 * calendar for the business-day clocks of DOMAIN.md §5.
 *
 * Dates are calendar dates, 'YYYY-MM-DD', with no time and no zone. They are read in whatever zone the
 * caller counts business days in (DEFAULT_TIME_ZONE, America/New_York, unless configured otherwise):
 * the deadline functions turn instants into such dates with Intl.DateTimeFormat in that zone, see
 * zoned-dates.ts. Christmas is therefore 25 December in New York, whatever the UTC clock says.
 *
 * Modelling choices, not law:
 * - Rules are today's (the Monday holidays date from 1971); earlier years are computed by the same rules
 *   except that MLK Day starts in 1986 and Juneteenth in 2021.
 * - One-off closures by executive order (e.g. 24 December 2024) are not federal holidays by statute;
 *   add them with `extraDates`. Inauguration Day (DC area only) is not included.
 */
import { addCalendarDays, dayOfWeek, formatCalendarDate, parseCalendarDate } from './zoned-dates';

export interface FederalHoliday {
  name: string;
  /** The date the statute names, e.g. 2026-07-04. */
  date: string;
  /** The day off: the Friday before a Saturday holiday, the Monday after a Sunday one, else `date`. */
  observed: string;
}

const MONDAY = 1;
const THURSDAY = 4;
const SATURDAY = 6;
const SUNDAY = 0;

/** The `nth` (1-based) given weekday of a month: the 3rd Monday of January is MLK Day. */
export function nthWeekdayOfMonth(year: number, month: number, weekday: number, nth: number): string {
  const first = formatCalendarDate({ year, month, day: 1 });
  const offset = (weekday - dayOfWeek(first) + 7) % 7;
  return addCalendarDays(first, offset + (nth - 1) * 7);
}

/** The last given weekday of a month: the last Monday of May is Memorial Day. */
export function lastWeekdayOfMonth(year: number, month: number, weekday: number): string {
  const lastDay =
    month === 12
      ? formatCalendarDate({ year, month: 12, day: 31 })
      : addCalendarDays(formatCalendarDate({ year, month: month + 1, day: 1 }), -1);
  return addCalendarDays(lastDay, -((dayOfWeek(lastDay) - weekday + 7) % 7));
}

/**
 * The observed-date rule for fixed-date holidays (5 U.S.C. 6103(b), Executive Order 11582): a holiday
 * on Saturday is observed the Friday before, one on Sunday the Monday after. New Year's Day 2022 fell on
 * a Saturday and was observed on Friday 2021-12-31, in the previous year.
 */
export function observedDate(date: string): string {
  const dow = dayOfWeek(date);
  if (dow === SATURDAY) return addCalendarDays(date, -1);
  if (dow === SUNDAY) return addCalendarDays(date, 1);
  return date;
}

function fixed(name: string, year: number, month: number, day: number): FederalHoliday {
  const date = formatCalendarDate({ year, month, day });
  return { name, date, observed: observedDate(date) };
}

function floating(name: string, date: string): FederalHoliday {
  return { name, date, observed: date }; // always a weekday, so observed on the day itself
}

/** The eleven federal holidays of a year, in calendar order, with their observed dates. */
export function federalHolidays(year: number): FederalHoliday[] {
  if (!Number.isInteger(year) || year < 1 || year > 9999) throw new RangeError(`year out of range: ${year}`);
  const list: (FederalHoliday | null)[] = [
    fixed("New Year's Day", year, 1, 1),
    year >= 1986
      ? floating('Birthday of Martin Luther King, Jr.', nthWeekdayOfMonth(year, 1, MONDAY, 3))
      : null,
    floating("Washington's Birthday", nthWeekdayOfMonth(year, 2, MONDAY, 3)),
    floating('Memorial Day', lastWeekdayOfMonth(year, 5, MONDAY)),
    year >= 2021 ? fixed('Juneteenth National Independence Day', year, 6, 19) : null,
    fixed('Independence Day', year, 7, 4),
    floating('Labor Day', nthWeekdayOfMonth(year, 9, MONDAY, 1)),
    floating('Columbus Day', nthWeekdayOfMonth(year, 10, MONDAY, 2)),
    fixed('Veterans Day', year, 11, 11),
    floating('Thanksgiving Day', nthWeekdayOfMonth(year, 11, THURSDAY, 4)),
    fixed('Christmas Day', year, 12, 25),
  ];
  return list.filter((h): h is FederalHoliday => h !== null);
}

export interface HolidayCalendarOptions {
  /** Extra non-business days, 'YYYY-MM-DD' (e.g. an executive-order closure). @defaultValue [] */
  extraDates?: string[];
  /** Dates that are not to count as holidays even though the rules make them one. @defaultValue [] */
  removedDates?: string[];
}

/** What the business-day clocks need from a calendar. Dates are 'YYYY-MM-DD' in the clock's zone. */
export interface HolidayCalendar {
  isHoliday(date: string): boolean;
}

/**
 * A holiday calendar: federal holidays by rule (both the statutory date and the observed date count as
 * holidays), plus `extraDates`, minus `removedDates` (removal wins over both). Malformed dates are
 * refused here, once, rather than silently never matching.
 */
export function createHolidayCalendar(options: HolidayCalendarOptions = {}): HolidayCalendar {
  const extra = new Set(validDates(options.extraDates ?? []));
  const removed = new Set(validDates(options.removedDates ?? []));
  const byYear = new Map<number, Set<string>>(); // memo: rule dates per year, computed on first use

  function ruleDatesOf(year: number): Set<string> {
    let dates = byYear.get(year);
    if (!dates) {
      dates = new Set(federalHolidays(year).flatMap((h) => [h.date, h.observed]));
      byYear.set(year, dates);
    }
    return dates;
  }

  return {
    isHoliday(date: string): boolean {
      const { year } = parseCalendarDate(date);
      if (removed.has(date)) return false;
      if (extra.has(date)) return true;
      // A 31 December may be next year's New Year's Day observed, so look at both years' rules.
      return ruleDatesOf(year).has(date) || (year < 9999 && ruleDatesOf(year + 1).has(date));
    },
  };
}

function validDates(dates: string[]): string[] {
  for (const d of dates) parseCalendarDate(d);
  return dates;
}
