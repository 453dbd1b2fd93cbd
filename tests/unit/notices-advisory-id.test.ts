import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advisoryIdFor, isValidAdvisoryId } from '../../shared/notices';
import { fastCheckSeed } from './notices/test-kit';

describe('isValidAdvisoryId (DOMAIN.md §2)', () => {
  it.each([
    ['SIM-AA24-366A', true, 'day 366 of leap year 2024'],
    ['SIM-AA23-365Z', true, 'last day of 2023'],
    ['SIM-AA00-366B', true, '2000 is a leap year (divisible by 400)'],
    ['SIM-AA24-001A', true, 'first day'],
    ['SIM-AA23-366A', false, '2023 has no day 366'],
    ['SIM-AA24-000A', false, 'there is no day 0'],
    ['SIM-AA24-367A', false, 'no year has day 367'],
    ['SIM-AA24-123a', false, 'lower-case letter'],
    ['SIM-AA24-123', false, 'no letter'],
    ['SIM-AA24-12A', false, 'two-digit day'],
    ['AA24-123A', false, 'no SIM- prefix: never a real advisory id'],
    [' SIM-AA24-123A', false, 'leading space'],
    ['SIM-AA24-123A\n', false, 'trailing newline'],
    ['SIM-AA2٤-123A', false, 'non-ASCII digit'],
  ])('%j → %s (%s)', (id, valid) => {
    expect(isValidAdvisoryId(id)).toBe(valid);
  });
});

describe('advisoryIdFor', () => {
  it('numbers the UTC day of year', () => {
    expect(advisoryIdFor(new Date('2024-01-01T00:00:00Z'), 'A')).toBe('SIM-AA24-001A');
    expect(advisoryIdFor(new Date('2024-12-31T23:59:59Z'), 'B')).toBe('SIM-AA24-366B');
    expect(advisoryIdFor(new Date('2023-12-31T12:00:00Z'), 'C')).toBe('SIM-AA23-365C');
    expect(advisoryIdFor(new Date('2024-02-29T00:00:00Z'), 'D')).toBe('SIM-AA24-060D');
    expect(advisoryIdFor(new Date('2005-03-01T00:00:00Z'), 'E')).toBe('SIM-AA05-060E');
  });

  it('refuses a bad letter, an invalid date and years outside 2000-2099', () => {
    expect(() => advisoryIdFor(new Date('2024-01-01Z'), 'a')).toThrow(/letter/);
    expect(() => advisoryIdFor(new Date('2024-01-01Z'), 'AB')).toThrow(/letter/);
    expect(() => advisoryIdFor(new Date('nope'), 'A')).toThrow(/valid date/);
    expect(() => advisoryIdFor(new Date('1999-12-31T00:00:00Z'), 'A')).toThrow(/2000-2099/);
    expect(() => advisoryIdFor(new Date('2100-01-01T00:00:00Z'), 'A')).toThrow(/2000-2099/);
  });

  it('always produces a valid id for any date in 2000-2099 (property)', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2099-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'),
        (date, letter) => {
          const id = advisoryIdFor(date, letter);
          expect(isValidAdvisoryId(id)).toBe(true);
          expect(id.slice(6, 8)).toBe(String(date.getUTCFullYear() % 100).padStart(2, '0'));
        },
      ),
      { seed: fastCheckSeed('advisoryIdFor'), numRuns: 500 },
    );
  });
});
