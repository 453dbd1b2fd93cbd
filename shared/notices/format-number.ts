import type { Locale } from '../domain';

/** Digit grouping by hand ("1,234,567" / "1.234.567"): the bytes must not depend on ICU data. */
export function formatInteger(n: number, locale: Locale): string {
  const digits = String(Math.round(Math.abs(n)));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, locale === 'en' ? ',' : '.');
  return n < 0 ? `-${grouped}` : grouped;
}
