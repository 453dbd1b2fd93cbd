import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { DELIVER_QUEUES, FANOUT_QUEUE, RECEIPTS_QUEUE } from './queues';

/** Completed jobs are trimmed at once (the ledger is the record); failed ones are kept a day. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: { age: 24 * 3600 },
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
};

export interface QueueClient {
  fanOut: Queue;
  receipts: Queue;
  deliver(name: string): Queue;
  all(): Queue[];
  close(): Promise<void>;
}

/** Producer handles for every queue in the registry, over one shared connection. */
export function createQueueClient(connection: Redis, prefix: string): QueueClient {
  const make = (name: string) =>
    new Queue(name, {
      connection,
      prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
      skipWaitingForReady: true,
    });
  const fanOut = make(FANOUT_QUEUE);
  const receipts = make(RECEIPTS_QUEUE);
  const deliver = new Map(DELIVER_QUEUES.map((q) => [q.name, make(q.name)]));
  return {
    fanOut,
    receipts,
    deliver(name) {
      const q = deliver.get(name);
      if (!q) throw new Error(`unknown deliver queue ${name}`);
      return q;
    },
    all: () => [fanOut, receipts, ...deliver.values()],
    async close() {
      await Promise.all([fanOut, receipts, ...deliver.values()].map((q) => q.close()));
    },
  };
}
