import type { RedisClient } from '../../../shared/redis';
import type { Config } from '../../../shared/config';
import type { Logger } from '../../../shared/logger';
import type { Db } from '../../../shared/store/db';
import type { QueueClient } from '../../../shared/queue-client';
import type { ReconcileReport } from '../../../workers/reconcile/reconcile-campaigns';

/** Everything a route needs, built once in main.ts and passed down (STYLE.md §2). */
export interface ApiDeps {
  config: Config;
  db: Db;
  /** Producer connection: fails fast, so a request answers 503 rather than hanging. */
  redis: RedisClient;
  queues: QueueClient;
  logger: Logger;
  /** Re-drives stranded notifications; present when this process can reach the carrier-sim. */
  reconcile?: (campaignId: number) => Promise<ReconcileReport>;
  version: string;
  /** Test-only crash hook (chaos suite): runs after a trigger commits, before it is answered. */
  afterTriggerHook?: () => void;
}
