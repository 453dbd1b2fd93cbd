import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors';
import {
  holdEnd,
  initialHoldLimit,
  isHoldActive,
  MAX_INITIAL_HOLD_DAYS,
  validateHold,
} from '../../shared/regulatory/holds';
import { assertRetentionDays, MIN_RETENTION_DAYS } from '../../shared/regulatory/retention';

const t = (iso: string) => new Date(iso);

function errorOf(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('validateHold', () => {
  // 10:00 New York on 2025-03-01 (EST); 30 days later is 10:00 on 2025-03-31, by then EDT.
  const directedAt = t('2025-03-01T15:00:00.000Z');

  it('the initial limit is the same local time 30 calendar days later, across a DST change', () => {
    expect(MAX_INITIAL_HOLD_DAYS).toBe(30);
    expect(initialHoldLimit(directedAt).toISOString()).toBe('2025-03-31T14:00:00.000Z');
  });

  it('accepts an initial hold of exactly 30 days', () => {
    expect(() =>
      validateHold({ directedAt, until: t('2025-03-31T14:00:00.000Z'), releasedAt: null }, 'initial'),
    ).not.toThrow();
  });

  it('refuses an initial hold one millisecond longer than 30 days, with a coded validation error', () => {
    const err = errorOf(() =>
      validateHold({ directedAt, until: t('2025-03-31T14:00:00.001Z'), releasedAt: null }, 'initial'),
    );
    expect(isAppError(err) && err.code).toBe('VALIDATION_FAILED');
    expect(isAppError(err) && err.details[0]?.code).toBe('INITIAL_HOLD_TOO_LONG');
  });

  it('accepts an extension longer than 30 days', () => {
    expect(() =>
      validateHold({ directedAt, until: t('2025-06-01T14:00:00.000Z'), releasedAt: null }, 'extension'),
    ).not.toThrow();
  });

  it('refuses a hold that ends before it starts or is released before it is directed', () => {
    expect(() => validateHold({ directedAt, until: directedAt, releasedAt: null }, 'extension')).toThrow(
      /end after/,
    );
    expect(() =>
      validateHold(
        { directedAt, until: t('2025-03-10T15:00:00Z'), releasedAt: t('2025-02-28T15:00:00Z') },
        'initial',
      ),
    ).toThrow(/released before/);
  });
});

describe('hold activity', () => {
  const hold = {
    directedAt: t('2025-01-02T15:00:00Z'),
    until: t('2025-01-20T15:00:00Z'),
    releasedAt: t('2025-01-10T15:00:00Z'),
  };

  it('is active from the directive up to, not including, the release', () => {
    expect(isHoldActive(hold, t('2025-01-02T14:59:59.999Z'))).toBe(false);
    expect(isHoldActive(hold, t('2025-01-02T15:00:00Z'))).toBe(true);
    expect(isHoldActive(hold, t('2025-01-10T14:59:59.999Z'))).toBe(true);
    expect(isHoldActive(hold, t('2025-01-10T15:00:00Z'))).toBe(false);
  });

  it('a release recorded after `now` has not happened yet: the hold runs to `until` in that view', () => {
    expect(holdEnd(hold, t('2025-01-05T00:00:00Z')).toISOString()).toBe('2025-01-20T15:00:00.000Z');
    expect(holdEnd(hold, t('2025-01-11T00:00:00Z')).toISOString()).toBe('2025-01-10T15:00:00.000Z');
  });

  it('an unreleased hold lapses at `until`', () => {
    const open = { ...hold, releasedAt: null };
    expect(isHoldActive(open, t('2025-01-20T14:59:59Z'))).toBe(true);
    expect(isHoldActive(open, t('2025-01-20T15:00:00Z'))).toBe(false);
  });
});

describe('assertRetentionDays', () => {
  it('accepts 730 days (2 years) and more', () => {
    expect(MIN_RETENTION_DAYS).toBe(730);
    expect(() => assertRetentionDays(730)).not.toThrow();
    expect(() => assertRetentionDays(3650)).not.toThrow();
  });

  it('refuses less than 730 days, fractions and NaN', () => {
    for (const days of [729, 365, 0, -1, 730.5, Number.NaN]) {
      const err = errorOf(() => assertRetentionDays(days));
      expect(isAppError(err) && err.details[0]?.code).toBe('RETENTION_TOO_SHORT');
    }
  });
});
