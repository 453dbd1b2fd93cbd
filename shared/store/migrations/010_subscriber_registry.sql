-- Subscriber registry, issue 5: bulk imports with their per-row errors, and idempotency keys.
-- Plain SQL for PostgreSQL 15 and PGlite alike. The subscribers table itself is in 001.

-- One row per finished bulk registration or generation; `result` is the answer the caller got.
CREATE TABLE subscriber_imports (
  id          text PRIMARY KEY,
  actor       text NOT NULL,
  format      text NOT NULL,
  result      jsonb NOT NULL,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now()
);

-- Per-row errors of an import, in line order (seq), for paging past the first ones in the answer.
-- Written batch by batch while the import runs, before its subscriber_imports row exists, so there
-- is no foreign key. Messages never echo the refused value.
CREATE TABLE subscriber_import_errors (
  import_id text NOT NULL,
  seq       integer NOT NULL,
  line      integer NOT NULL,
  row_no    integer NOT NULL,
  field     text,
  code      text NOT NULL,
  message   text NOT NULL,
  PRIMARY KEY (import_id, seq)
);

-- Idempotency-Key: the first answer of a write, replayed for a repeat of the same request. A key is
-- scoped to its caller and route; `in_progress` rows hold a lease so a crashed request does not block
-- its key for ever; keys expire after 24 hours (steps/subscribers/idempotency.ts).
CREATE TABLE idempotency_keys (
  scope         text NOT NULL,
  key           text NOT NULL,
  state         text NOT NULL CHECK (state IN ('in_progress', 'done')),
  request_hash  text,
  request_bytes bigint,
  status        integer,
  response      jsonb,
  locked_until  timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
