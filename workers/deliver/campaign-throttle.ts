import type { RedisClient } from '../../shared/redis';

/**
 * A campaign's throttle (issue 6): at most `perSec` notifications of the campaign are admitted per
 * second, by every worker process together. State lives in one Redis hash per campaign, so it holds
 * across worker restarts and any number of hosts; times are Redis's own clock (TIME), so the
 * workers' clocks do not matter.
 *
 * Two schedules share the hash:
 * - `reserved_until`: the campaign's booking sheet. Each chunk job books the next free stretch of
 *   n / perSec seconds (field `r:<jobId>` holds its start). Fan-out books a page's chunks as it adds
 *   them and delays each job to its slot, so a large campaign waits in BullMQ's delayed set instead of
 *   spinning; a job nobody booked for (a retry, a re-drive) books on its first run. Booking again
 *   under the same job id keeps the first slot, so a re-run fan-out page books nothing twice.
 * - `admitted_until`: the real limit (GCRA). A chunk of n takes the next n / perSec seconds of it,
 *   and is admitted only if that stretch begins no more than its own length from now. Admissions
 *   therefore hold back-to-back stretches, and any window of W seconds holds at most
 *   perSec × W + two chunks of admitted notifications, however late BullMQ hands a booked job back.
 *   The one-chunk tolerance absorbs the few ms a booked job returns late, so the schedule does not
 *   drift behind and the long-run rate is the throttle itself. Booking only decides who comes back
 *   when.
 * - `late_until`: the late line. A job whose slot has passed but finds the limit taken (it came back
 *   late: busy workers, a restart) is re-booked there, one stretch each, so late jobs return one by
 *   one rather than all at once to be refused again.
 *
 * A chunk is admitted before its rows are claimed, for every id it carries: rows the claim then skips
 * (already sent by a redundant job) waste their share of the schedule, never exceed it. If Redis loses
 * the hash, the campaign starts a fresh schedule: at most one extra chunk in that second.
 */
export interface CampaignThrottle {
  /** Books slots for chunk jobs about to be added; returns each job's delay in ms (0: at once). */
  book(campaignId: number, perSec: number, jobs: readonly { jobId: string; n: number }[]): Promise<number[]>;
  /** 0: send now; otherwise come back in this many ms (the job keeps its booking). */
  admit(campaignId: number, perSec: number, job: { jobId: string; n: number }): Promise<number>;
}

/** A hash left behind by an ended campaign expires this long after its last booked slot. */
const KEEP_AFTER_SCHEDULE_MS = 3_600_000;

// Shared by both scripts: now in ms from Redis's clock, and booking one job (kept if it exists).
const LUA_PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local perSec = tonumber(ARGV[1])
local function book(jobId, n)
  local field = 'r:' .. jobId
  local slot = tonumber(redis.call('HGET', KEYS[1], field))
  if slot then return slot end
  slot = math.max(tonumber(redis.call('HGET', KEYS[1], 'reserved_until')) or now, now)
  redis.call('HSET', KEYS[1], 'reserved_until', slot + n * 1000 / perSec, field, slot)
  return slot
end
local function keep()
  local h = redis.call('HMGET', KEYS[1], 'reserved_until', 'late_until')
  local untilMs = math.max(tonumber(h[1]) or now, tonumber(h[2]) or now, now)
  redis.call('PEXPIRE', KEYS[1], math.ceil(untilMs - now) + ${KEEP_AFTER_SCHEDULE_MS})
end
`;

// KEYS[1] the campaign's hash; ARGV: perSec, then jobId, n pairs. Returns each job's delay in ms.
const BOOK_LUA = `${LUA_PRELUDE}
local waits = {}
for i = 2, #ARGV, 2 do
  waits[#waits + 1] = math.max(0, math.ceil(book(ARGV[i], tonumber(ARGV[i + 1])) - now))
end
keep()
return waits
`;

// KEYS[1] the campaign's hash; ARGV: perSec, jobId, n. Returns 0 (admitted) or the ms to wait.
const ADMIT_LUA = `${LUA_PRELUDE}
local n = tonumber(ARGV[3])
local field = 'r:' .. ARGV[2]
local slot = book(ARGV[2], n)
if slot > now then
  keep()
  return math.ceil(slot - now)
end
local stretch = n * 1000 / perSec
local admittedUntil = tonumber(redis.call('HGET', KEYS[1], 'admitted_until')) or now
local from = admittedUntil - stretch
if from > now then
  -- Its slot has passed but the real limit is taken (it came back late, or a late one went first).
  -- It joins the late line, each late job a stretch of its own, so late jobs come back one by one
  -- instead of all together.
  local late = math.max(tonumber(redis.call('HGET', KEYS[1], 'late_until')) or now, from)
  redis.call('HSET', KEYS[1], 'late_until', late + stretch, field, late)
  keep()
  return math.max(1, math.ceil(late - now))
end
redis.call('HSET', KEYS[1], 'admitted_until', math.max(admittedUntil, now) + stretch)
redis.call('HDEL', KEYS[1], field)
keep()
return 0
`;

interface ThrottleCommands {
  bdThrottleBook(key: string, perSec: number, ...pairs: (string | number)[]): Promise<number[]>;
  bdThrottleAdmit(key: string, perSec: number, jobId: string, n: number): Promise<number>;
}

/**
 * The throttle over a Redis connection (one key per campaign, so Redis Cluster serves it as is);
 * `prefix` is the BullMQ prefix, so deployments and tests sharing a Redis stay apart.
 */
export function createCampaignThrottle(redis: RedisClient, prefix: string): CampaignThrottle {
  const r = redis as RedisClient & Partial<ThrottleCommands>;
  // defineCommand caches the script by SHA (EVALSHA, falling back to EVAL once per connection).
  if (!r.bdThrottleBook) redis.defineCommand('bdThrottleBook', { numberOfKeys: 1, lua: BOOK_LUA });
  if (!r.bdThrottleAdmit) redis.defineCommand('bdThrottleAdmit', { numberOfKeys: 1, lua: ADMIT_LUA });
  const cmd = redis as RedisClient & ThrottleCommands;
  const keyOf = (campaignId: number) => `${prefix}:throttle:${campaignId}`;
  return {
    async book(campaignId, perSec, jobs) {
      if (jobs.length === 0) return [];
      return cmd.bdThrottleBook(keyOf(campaignId), perSec, ...jobs.flatMap((j) => [j.jobId, j.n]));
    },
    async admit(campaignId, perSec, job) {
      return Number(await cmd.bdThrottleAdmit(keyOf(campaignId), perSec, job.jobId, job.n));
    },
  };
}
