/**
 * Synthetic advisory ids (DOMAIN.md §2): `SIM-AA<yy>-<ddd><letter>`, where `ddd` is a day of year
 * that exists in 20yy. Shaped like real joint advisory ids, but the `SIM-` prefix can never collide.
 */

const ADVISORY_ID = /^SIM-AA(\d{2})-(\d{3})([A-Z])$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function isValidAdvisoryId(id: string): boolean {
  const m = ADVISORY_ID.exec(id);
  if (!m) return false;
  const year = 2000 + Number(m[1]);
  const day = Number(m[2]);
  return day >= 1 && day <= (isLeapYear(year) ? 366 : 365);
}

/** The advisory id for a UTC calendar date (years 2000–2099) and an upper-case letter A–Z. */
export function advisoryIdFor(date: Date, letter: string): string {
  if (!/^[A-Z]$/.test(letter)) throw new RangeError(`advisory letter must be one of A-Z, got "${letter}"`);
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError('advisory date is not a valid date');
  const year = date.getUTCFullYear();
  if (year < 2000 || year > 2099) throw new RangeError(`advisory year must be 2000-2099, got ${year}`);
  const dayOfYear = Math.floor((time - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  const yy = String(year % 100).padStart(2, '0');
  return `SIM-AA${yy}-${String(dayOfYear).padStart(3, '0')}${letter}`;
}
