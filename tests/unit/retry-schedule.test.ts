import { describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../shared/ledger/record-outcomes';
import { enqueueRetries } from '../../workers/reconcile/reconcile-campaigns';
import type { QueueClient } from '../../shared/queue-client';
import type { Retry } from '../../workers/reconcile/resolve-expired-claims';

interface Added {
  queue: string;
  jobs: {
    name: string;
    data: { campaignId: number; ids: number[] };
    opts: { jobId: string; delay: number };
  }[];
}

/** A QueueClient that records addBulk calls (unit test: no Redis). */
function recordingQueues(): { queues: QueueClient; added: Added[] } {
  const added: Added[] = [];
  const queues = {
    deliver: (queue: string) => ({
      addBulk: async (jobs: Added['jobs']) => {
        added.push({ queue, jobs });
        return [];
      },
    }),
  } as unknown as QueueClient;
  return { queues, added };
}

const retry = (id: number, delayMs: number, over: Partial<Retry> = {}): Retry => ({
  campaignId: 1,
  channel: 'sms',
  carrier: 'cedar-valley',
  id,
  attempt: 2,
  delayMs,
  ...over,
});

describe('retryDelayMs', () => {
  it('doubles per attempt within [0.5, 1) of the ceiling', () => {
    const policy = { maxAttempts: 8, baseDelayMs: 1000 };
    expect(retryDelayMs(1, { ...policy, random: () => 0 })).toBe(500);
    expect(retryDelayMs(4, { ...policy, random: () => 0 })).toBe(4000);
    expect(retryDelayMs(4, { ...policy, random: () => 0.999999 })).toBe(8000);
  });

  it('never waits longer than maxDelayMs, however many attempts came before', () => {
    const policy = { maxAttempts: 100, baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 };
    expect(retryDelayMs(30, policy)).toBe(1000);
    expect(retryDelayMs(5000, policy)).toBe(1000);
    expect(Number.isFinite(retryDelayMs(5000, { maxAttempts: 1, baseDelayMs: 1 }))).toBe(true);
  });
});

describe('enqueueRetries', () => {
  it('batches one queue and campaign into jobs of at most batchSize, each due with its last member', async () => {
    const { queues, added } = recordingQueues();
    const rs = Array.from({ length: 250 }, (_, i) => retry(1000 + i, 400 + (i % 7)));
    await enqueueRetries(queues, rs, 100);
    expect(added).toHaveLength(1);
    const jobs = added[0]!.jobs;
    expect(jobs.map((j) => j.data.ids.length)).toEqual([100, 100, 50]);
    // every notification exactly once
    const ids = jobs.flatMap((j) => j.data.ids).sort((a, b) => a - b);
    expect(ids).toEqual(rs.map((r) => r.id));
    for (const j of jobs) {
      const due = Math.max(...j.data.ids.map((id) => rs.find((r) => r.id === id)!.delayMs));
      expect(j.opts.delay).toBe(due);
    }
    expect(new Set(jobs.map((j) => j.opts.jobId)).size).toBe(3);
  });

  it('keeps campaigns and queues apart, and does not hold an early retry behind a late one', async () => {
    const { queues, added } = recordingQueues();
    await enqueueRetries(
      queues,
      [
        retry(1, 500),
        retry(2, 600),
        retry(3, 60_000), // much later: its own job
        retry(4, 500, { campaignId: 2 }),
        retry(5, 500, { channel: 'email', carrier: 'harborline' }),
      ],
      100,
    );
    const byQueue = Object.fromEntries(added.map((a) => [a.queue, a.jobs]));
    expect(Object.keys(byQueue).length).toBe(2);
    const all = added.flatMap((a) => a.jobs);
    const of = (id: number) => all.find((j) => j.data.ids.includes(id))!;
    expect(of(1).data.ids).toEqual([1, 2]);
    expect(of(1).opts.delay).toBe(600);
    expect(of(3).data.ids).toEqual([3]);
    expect(of(3).opts.delay).toBe(60_000);
    expect(of(4).data.campaignId).toBe(2);
    expect(of(4).data.ids).toEqual([4]);
    expect(of(5).data.ids).toEqual([5]);
  });

  it('names a batch by its members, so the same batch enqueued twice is one job', async () => {
    const a = recordingQueues();
    const b = recordingQueues();
    const rs = [retry(7, 100), retry(8, 120), retry(9, 130)];
    await enqueueRetries(a.queues, rs, 100);
    await enqueueRetries(b.queues, [...rs].reverse(), 100);
    expect(a.added[0]!.jobs[0]!.opts.jobId).toBe(b.added[0]!.jobs[0]!.opts.jobId);
    const c = recordingQueues();
    await enqueueRetries(c.queues, [retry(7, 100), retry(8, 120, { attempt: 3 }), retry(9, 130)], 100);
    expect(c.added[0]!.jobs[0]!.opts.jobId).not.toBe(a.added[0]!.jobs[0]!.opts.jobId);
  });
});
