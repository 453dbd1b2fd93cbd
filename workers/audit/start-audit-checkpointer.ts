import type { Db } from '../../shared/store/db';
import type { Logger } from '../../shared/logger';
import type { AuditSigningKey } from '../../shared/audit/signing-key';
import { writeCheckpointIfDue, type CheckpointPolicy } from '../../shared/audit/write-checkpoint';
import { startPeriodic, type RunningPeriodic } from '../start-periodic';

export interface AuditCheckpointerDeps {
  db: Db;
  /** The signing key, or how to load it (loadSigningKey from config), so wiring stays synchronous. */
  key: AuditSigningKey | (() => Promise<AuditSigningKey>);
  policy: CheckpointPolicy;
  logger: Logger;
  /** How often to look at the head, in ms. @defaultValue 1000 (or the policy's seconds, if shorter) */
  pollMs?: number;
}

/** `tick()` looks once now (tests, shutdown) and resolves to the seq signed, if any. */
export type RunningCheckpointer = RunningPeriodic<number | null>;

const DEFAULT_POLL_MS = 1_000; // two primary-key reads a second: cheap next to the appends it covers

/**
 * Signs an audit checkpoint every `policy.every` events or `policy.seconds` seconds (Ed25519 over
 * {seq, hash, time}). Any number of processes may run one: a checkpoint per seq is kept once.
 */
export function startAuditCheckpointer(deps: AuditCheckpointerDeps): RunningCheckpointer {
  const log = deps.logger.child({ stage: 'audit-checkpointer' });
  const pollMs = Math.min(deps.pollMs ?? DEFAULT_POLL_MS, deps.policy.seconds * 1000);
  const keyOnce = typeof deps.key === 'function' ? deps.key() : Promise.resolve(deps.key);
  keyOnce.then(
    (k) => log.info({ keyId: k.keyId }, 'audit checkpoints signed with this key'),
    (err: Error) => log.error({ err: err.message }, 'audit signing key unusable: no checkpoints'),
  );
  return startPeriodic({
    intervalMs: pollMs,
    run: async () => {
      const cp = await writeCheckpointIfDue(deps.db, await keyOnce, deps.policy);
      if (cp) log.debug({ seq: cp.seq }, 'audit checkpoint signed');
      return cp?.seq ?? null;
    },
    log,
    failed: 'audit checkpoint failed; will retry',
    recovered: 'audit checkpoints are being written again',
  });
}
