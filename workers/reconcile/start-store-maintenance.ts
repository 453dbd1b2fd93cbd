import type { Db } from '../../shared/store/db';
import type { Logger } from '../../shared/logger';
import type { AuditSigningKey } from '../../shared/audit/signing-key';
import { ensurePartitions } from '../../shared/store/ensure-partitions';
import { applyRetention, type RetentionReport } from '../../shared/store/apply-retention';

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

export interface RunningStoreMaintenance {
  /** Runs once now (tests, startup); resolves to the retention applied, if any. */
  tick(): Promise<RetentionReport | null>;
  close(): Promise<void>;
}

/**
 * The store's housekeeping, in every worker process: creates the partitions the next months and
 * campaigns need, then drops the partitions past the retention period. Any number of processes may
 * run it: partitions are created once, a partition is dropped once, and a run that meets a lock held
 * by busy traffic gives up and comes back on the next tick.
 */
export function startStoreMaintenance(deps: StoreMaintenanceDeps): RunningStoreMaintenance {
  const log = deps.logger.child({ stage: 'store-maintenance' });
  let running: Promise<RetentionReport | null> | null = null;
  let failing = false;

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

  const tick = (): Promise<RetentionReport | null> => {
    running ??= runOnce()
      .then((r) => {
        if (failing) log.info('store maintenance runs again');
        failing = false;
        return r;
      })
      .catch((err: Error) => {
        if (!failing) log.warn({ err: err.message }, 'store maintenance failed; will retry');
        failing = true;
        return null;
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  const timer = setInterval(() => void tick(), deps.intervalMs);
  timer.unref();
  return {
    tick,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
