/**
 * Business-day arithmetic on calendar dates (DOMAIN.md §5): a business day is a Monday to Friday that
 * the holiday calendar does not mark as a holiday. Dates are 'YYYY-MM-DD' in the clock's zone; turning
 * instants into dates is the caller's job (zoned-dates.ts).
 *
 * Counting convention, used by every clock: the start date itself is never counted. Day 1 is the first
 * business day strictly after the start date, whether or not the start date is a business day. So
 * addBusinessDays('2024-12-18', 7) is Monday 2024-12-30 (Christmas and two weekends skipped), and
 * businessDaysBetween(start, addBusinessDays(start, n)) === n for every start and every integer n.
 */
import type { HolidayCalendar } from './federal-holidays';
import { addCalendarDays, dayOfWeek, parseCalendarDate } from './zoned-dates';

/** Monday to Friday and not a holiday in the calendar. */
export function isBusinessDay(date: string, calendar: HolidayCalendar): boolean {
  const dow = dayOfWeek(date);
  return dow !== 0 && dow !== 6 && !calendar.isHoliday(date);
}

/**
 * The `n`th business day after `date` (n > 0), or before it (n < 0); `date` itself when n is 0.
 * The start date never counts (see the module comment).
 */
export function addBusinessDays(date: string, n: number, calendar: HolidayCalendar): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`business days must be an integer, got ${n}`);
  parseCalendarDate(date);
  const step = n < 0 ? -1 : 1;
  let current = date;
  for (let remaining = Math.abs(n); remaining > 0;) {
    current = addCalendarDays(current, step);
    if (isBusinessDay(current, calendar)) remaining -= 1;
  }
  return current;
}

/**
 * Business days from `start` to `end`: the count of business days d with start < d <= end when `end`
 * is not earlier, and minus the count of business days d with end <= d < start otherwise. The two
 * half-open ranges make it the exact inverse of addBusinessDays in both directions.
 */
export function businessDaysBetween(start: string, end: string, calendar: HolidayCalendar): number {
  parseCalendarDate(start);
  parseCalendarDate(end);
  if (end >= start) return countBusinessDays(addCalendarDays(start, 1), end, calendar);
  return -countBusinessDays(end, addCalendarDays(start, -1), calendar);
}

/** Business days in the closed range [from, to]; 0 when `to` is before `from`. */
function countBusinessDays(from: string, to: string, calendar: HolidayCalendar): number {
  let count = 0;
  for (let d = from; d <= to; d = addCalendarDays(d, 1)) if (isBusinessDay(d, calendar)) count += 1;
  return count;
}
