import type { Db } from '../../shared/store/db';
import type { Logger } from '../../shared/logger';
import type { AuditSigningKey } from '../../shared/audit/signing-key';
import { ensurePartitions } from '../../shared/store/ensure-partitions';
import { applyRetention, type RetentionReport } from '../../shared/store/apply-retention';
import { startPeriodic, type RunningPeriodic } from '../start-periodic';

export interface StoreMaintenanceDeps {
  db: Db;
  /** RETENTION_DAYS (at least 730, refused below at config parse). */
  retentionDays: number;
  /** How often to run, in ms. @defaultValue STORE_MAINTENANCE_MS (600,000) */
  intervalMs: number;
  /** Loads the key that signs a checkpoint at the chain's new start after retention; optional. */
  signingKey?: () => Promise<AuditSigningKey>;
  logger: Logger;
}

/** `tick()` runs once now (tests, startup) and resolves to the retention applied, if any. */
export type RunningStoreMaintenance = RunningPeriodic<RetentionReport | null>;

/**
 * The store's housekeeping, in every worker process: creates the partitions the next months and
 * campaigns need, then drops the partitions past the retention period. Any number of processes may
 * run it: partitions are created once, a partition is dropped once, and a run that meets a lock held
 * by busy traffic gives up and comes back on the next tick.
 */
export function startStoreMaintenance(deps: StoreMaintenanceDeps): RunningStoreMaintenance {
  const log = deps.logger.child({ stage: 'store-maintenance' });
  const runOnce = async (): Promise<RetentionReport | null> => {
    const made = await ensurePartitions(deps.db);
    if (made.audit + made.ledger > 0) log.info(made, 'partitions created ahead');
    const applied = await applyRetention(deps.db, {
      retentionDays: deps.retentionDays,
      actor: 'worker:retention',
      ...(deps.signingKey ? { signingKey: deps.signingKey } : {}),
    });
    if (applied) {
      log.info(
        {
          cutoff: applied.cutoff,
          auditPartitions: applied.auditPartitions,
          auditRows: applied.auditRows,
          ledgerCampaigns: applied.ledgerCampaigns.length,
        },
        'retention applied',
      );
    }
    return applied;
  };

  return startPeriodic({
    intervalMs: deps.intervalMs,
    run: runOnce,
    log,
    failed: 'store maintenance failed; will retry',
    recovered: 'store maintenance runs again',
  });
}
