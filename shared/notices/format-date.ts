import type { Locale } from '../domain';

/**
 * Dates as printed in notices: calendar dates in UTC, with hand-written month names so the bytes do
 * not depend on the ICU data of the Node build (rendering must be byte-for-byte deterministic).
 */

const MONTHS: Record<Locale, readonly string[]> = {
  en: [
    'January',
    'February',
    'March',
    'April',
    'May',
    'June',
    'July',
    'August',
    'September',
    'October',
    'November',
    'December',
  ],
  es: [
    'enero',
    'febrero',
    'marzo',
    'abril',
    'mayo',
    'junio',
    'julio',
    'agosto',
    'septiembre',
    'octubre',
    'noviembre',
    'diciembre',
  ],
};

export function assertValidDate(date: Date, what: string): void {
  if (Number.isNaN(date.getTime())) throw new RangeError(`${what} is not a valid date`);
}

/** "March 4, 2024" / "4 de marzo de 2024", in UTC. */
export function formatLongDate(date: Date, locale: Locale): string {
  assertValidDate(date, 'date');
  const month = MONTHS[locale][date.getUTCMonth()] ?? '';
  const day = date.getUTCDate();
  const year = date.getUTCFullYear();
  return locale === 'en' ? `${month} ${day}, ${year}` : `${day} de ${month} de ${year}`;
}

/** "2024-03-04", in UTC. */
export function formatIsoDate(date: Date): string {
  assertValidDate(date, 'date');
  return date.toISOString().slice(0, 10);
}
