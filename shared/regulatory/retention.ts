/**
 * Record retention (DOMAIN.md §5): breach and notification records are kept at least 2 years.
 */
import { AppError } from '../errors';

/** Two years, in days; the floor for any configured retention. */
export const MIN_RETENTION_DAYS = 730;

/** Refuses a retention period that is not a whole number of days or is shorter than 730 days. */
export function assertRetentionDays(days: number): void {
  if (!Number.isInteger(days) || days < MIN_RETENTION_DAYS) {
    const message = `records must be kept at least ${MIN_RETENTION_DAYS} days (2 years); got ${days}`;
    throw new AppError('VALIDATION_FAILED', message, [
      { path: 'retentionDays', code: 'RETENTION_TOO_SHORT', message },
    ]);
  }
}
