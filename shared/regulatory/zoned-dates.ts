/**
 * Calendar dates in a stated time zone (DOMAIN.md §5).
 *
 * The regulatory clocks count calendar days and business days, and a "day" only exists in some time
 * zone: an instant at 2024-12-19T03:00Z is still Wednesday 18 December in New York. Every clock here
 * therefore works on plain 'YYYY-MM-DD' strings (a date with no zone and no time) and converts instants
 * to and from them in one IANA zone, through Intl.DateTimeFormat, so that daylight-saving changes are
 * the platform's tz database's business, not ours.
 *
 * Date-string arithmetic (adding days, weekdays) is done in UTC milliseconds, where every day is exactly
 * 86 400 000 ms long; only the conversions between instants and dates touch the zone.
 */
import { AppError } from '../errors';

/** The zone the clocks use unless configured otherwise: the FCC's and most carriers' reference zone. */
export const DEFAULT_TIME_ZONE = 'America/New_York';

const DAY_MS = 86_400_000;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parts of a calendar date; month is 1..12. */
export interface DateParts {
  year: number;
  month: number;
  day: number;
}

/** Parses a 'YYYY-MM-DD' string and refuses anything that is not a real date (2023-02-29, 2024-13-01). */
export function parseCalendarDate(date: string): DateParts {
  const m = CALENDAR_DATE.exec(date);
  if (m) {
    const parts = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
    // Date.UTC rolls 2023-02-29 over to 03-01; a date that does not survive the round trip is not real.
    if (fromUtcMidnight(utcMidnight(parts)) === date) return parts;
  }
  throw new AppError('VALIDATION_FAILED', `not a calendar date 'YYYY-MM-DD': ${JSON.stringify(date)}`, [
    { code: 'BAD_CALENDAR_DATE', message: 'expected an existing date written YYYY-MM-DD' },
  ]);
}

/** Writes date parts as 'YYYY-MM-DD' (four-digit years only, which is all the clocks need). */
export function formatCalendarDate({ year, month, day }: DateParts): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** UTC milliseconds of the date's midnight, used only for zone-free day arithmetic. */
function utcMidnight({ year, month, day }: DateParts): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d.getTime();
}

function fromUtcMidnight(ms: number): string {
  const d = new Date(ms);
  return formatCalendarDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
}

/** The date `n` calendar days after `date` (before it when `n` is negative). */
export function addCalendarDays(date: string, n: number): string {
  return fromUtcMidnight(utcMidnight(parseCalendarDate(date)) + n * DAY_MS);
}

/** Day of the week of a calendar date: 0 = Sunday … 6 = Saturday (as Date#getUTCDay). */
export function dayOfWeek(date: string): number {
  return new Date(utcMidnight(parseCalendarDate(date))).getUTCDay();
}

/** Whole calendar days from `start` to `end` (negative when `end` is earlier). */
export function calendarDaysBetween(start: string, end: string): number {
  return Math.round((utcMidnight(parseCalendarDate(end)) - utcMidnight(parseCalendarDate(start))) / DAY_MS);
}

// One formatter per zone: building Intl.DateTimeFormat is far slower than using one.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new AppError('VALIDATION_FAILED', `unknown IANA time zone: ${JSON.stringify(zone)}`, [
        { code: 'BAD_TIME_ZONE', message: 'expected an IANA zone name such as America/New_York' },
      ]);
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Refuses a zone name the platform's tz database does not know. */
export function assertTimeZone(zone: string): void {
  formatterFor(zone);
}

/** The wall clock of an instant in a zone, as UTC milliseconds ("the local time written as if UTC"). */
function wallClockMs(instantMs: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(zone).formatToParts(new Date(instantMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const midnight = utcMidnight({ year: parts.year ?? 0, month: parts.month ?? 1, day: parts.day ?? 1 });
  const seconds = (parts.hour ?? 0) * 3600 + (parts.minute ?? 0) * 60 + (parts.second ?? 0);
  // Intl drops milliseconds; carry them over so the round trip is exact.
  return midnight + seconds * 1000 + (((instantMs % 1000) + 1000) % 1000);
}

/** The zone's offset from UTC at an instant, in ms (New York in winter: -18 000 000). */
function offsetMs(instantMs: number, zone: string): number {
  return wallClockMs(instantMs, zone) - instantMs;
}

/** The calendar date an instant falls on in a zone. */
export function toZonedDate(instant: Date, zone: string = DEFAULT_TIME_ZONE): string {
  return fromUtcMidnight(Math.floor(wallClockMs(instant.getTime(), zone) / DAY_MS) * DAY_MS);
}

/** Milliseconds since local midnight of an instant's wall clock in a zone. */
export function zonedTimeOfDayMs(instant: Date, zone: string = DEFAULT_TIME_ZONE): number {
  const wall = wallClockMs(instant.getTime(), zone);
  return wall - Math.floor(wall / DAY_MS) * DAY_MS;
}

/**
 * The instant at which a wall-clock time on a date occurs in a zone. A time repeated by a fall-back
 * change resolves to its first occurrence's offset as the tz database reports it; a time skipped by a
 * spring-forward change resolves to a nearby real instant (use startOfZonedDay for day boundaries).
 */
export function zonedWallClockToInstant(date: string, timeOfDayMs: number, zone: string): Date {
  const wall = utcMidnight(parseCalendarDate(date)) + timeOfDayMs;
  let t = wall - offsetMs(wall, zone);
  const corrected = offsetMs(t, zone);
  if (wall - t !== corrected) t = wall - corrected; // the guess crossed an offset change
  return new Date(t);
}

/**
 * The first instant of a calendar date in a zone: local midnight, or, in zones whose clocks skip
 * midnight on a daylight-saving change (America/Santiago, for one), the first instant that exists.
 */
export function startOfZonedDay(date: string, zone: string = DEFAULT_TIME_ZONE): Date {
  parseCalendarDate(date);
  let t = zonedWallClockToInstant(date, 0, zone).getTime();
  if (toZonedDate(new Date(t), zone) < date) {
    // Midnight was skipped and the guess landed on the previous evening: search forward, to the
    // second, for the first instant that is on `date` (offset changes are under a day apart).
    let lo = t;
    let hi = t + DAY_MS / 4;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (toZonedDate(new Date(mid), zone) < date) lo = mid;
      else hi = mid;
    }
    t = hi;
  } else {
    // A guess already on `date` may still be past its true start when an offset change shifted it.
    while (toZonedDate(new Date(t - 1000), zone) === date) t -= 1000;
  }
  return new Date(t);
}

/** The last millisecond of a calendar date in a zone (the instant just before the next day starts). */
export function endOfZonedDay(date: string, zone: string = DEFAULT_TIME_ZONE): Date {
  return new Date(startOfZonedDay(addCalendarDays(date, 1), zone).getTime() - 1);
}
