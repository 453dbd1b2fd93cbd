import { Queue, type JobsOptions } from 'bullmq';
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis';
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

/**
 * The BullMQ key prefix of one queue. On one server it is QUEUE_PREFIX, unchanged. On a Redis
 * Cluster, BullMQ's scripts touch many keys of a queue at once, so they must share a slot: the
 * queue's name becomes the hash tag (`bd:{receipts}:receipts:wait`). Every queue's keys
 * sit in one slot, and different queues hash to different slots, so the per-carrier queues spread
 * over the shards (a prefix in braces, `{bd}`, would pin every queue to one slot, one shard).
 * Producers and workers must agree on it: both take it from here.
 */
export function queuePrefix(connection: RedisClient, prefix: string, queueName: string): string {
  return connection instanceof Cluster ? `${prefix}:{${queueName}}` : prefix;
}

/** Producer handles for every queue in the registry, over one shared connection. */
export function createQueueClient(connection: RedisClient, prefix: string): QueueClient {
  const make = (name: string) =>
    new Queue(name, {
      connection,
      prefix: queuePrefix(connection, prefix, name),
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
