-- Campaign schedule (issue 6): a start time and a throttle, both optional and fixed at creation.
-- start_at: a trigger before it leaves the campaign `triggered`; fan-out begins at start_at.
ALTER TABLE campaigns ADD COLUMN start_at timestamptz;
-- throttle_per_sec: at most this many notifications of the campaign are admitted per second,
-- across every worker (a per-campaign schedule in Redis, workers/deliver/campaign-throttle.ts).
ALTER TABLE campaigns ADD COLUMN throttle_per_sec integer
  CHECK (throttle_per_sec IS NULL OR throttle_per_sec BETWEEN 1 AND 100000);
