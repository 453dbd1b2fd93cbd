-- Scale-out, issue 12 item 3: the audit log partitioned by month, the notification ledger by campaign,
-- and the functions that create partitions ahead of need (shared/store/ensure-partitions.ts calls
-- them at startup and periodically). Retention drops whole partitions (shared/store/apply-retention.ts).
-- Existing rows are copied across, so embedded `.data/` databases keep their history. Plain SQL for
-- PostgreSQL 15 and PGlite alike.
--
-- Why these keys:
-- - audit_log by RANGE (at), one partition a month: retention is by age, and `at` never goes backwards
--   along seq (append-audit.ts, the audit_head trigger), so a month is also one unbroken stretch of
--   seq and dropping the oldest months leaves a chain that verifies from the first remaining row.
--   The primary key must include the partition key: (seq, at). seq alone can no longer be declared
--   unique across partitions; the audit_head trigger below checks instead that an append adds exactly
--   one row per new seq, and the verifier reports any second row at a seq (a fork).
-- - notification by LIST (campaign_id), one partition per campaign: every ledger statement names its
--   campaign (claims, records, receipts via the idempotency key, reconcile, reports), the upsert key
--   (campaign_id, subscriber_id, channel) already holds it (a time key could not: it would have to
--   join that unique key), and a campaign's rows live and expire together, so retention drops one
--   table instead of deleting millions of rows. Partitions are made ahead for the next campaign ids,
--   outside the campaign's own transaction: DDL there would lock the ledger while other work holds
--   it. A DEFAULT partition takes any campaign that outran them, so an insert never fails.

-- ---------------------------------------------------------------------------------------------------
-- Audit log
-- ---------------------------------------------------------------------------------------------------

ALTER TABLE audit_log RENAME TO audit_log_v1;
-- Index names are per schema: free them for the partitioned table's indexes.
ALTER INDEX audit_log_pkey RENAME TO audit_log_v1_pkey;
ALTER INDEX audit_log_campaign RENAME TO audit_log_v1_campaign;
ALTER INDEX audit_log_type RENAME TO audit_log_v1_type;
ALTER INDEX audit_log_subscriber RENAME TO audit_log_v1_subscriber;
ALTER INDEX audit_log_notification RENAME TO audit_log_v1_notification;
ALTER INDEX audit_log_campaign_type RENAME TO audit_log_v1_campaign_type;
ALTER INDEX audit_log_incident_level RENAME TO audit_log_v1_incident_level;
ALTER INDEX audit_log_outcome_rare RENAME TO audit_log_v1_outcome_rare;
ALTER INDEX audit_log_actor_person RENAME TO audit_log_v1_actor_person;
ALTER INDEX audit_log_carrier RENAME TO audit_log_v1_carrier;
ALTER INDEX audit_log_incident_events RENAME TO audit_log_v1_incident_events;

CREATE TABLE audit_log (
  seq             bigint NOT NULL,
  at              timestamptz NOT NULL,
  type            text NOT NULL,
  actor           text NOT NULL,
  incident_id     bigint,
  campaign_id     bigint,
  notification_id bigint,
  subscriber_hash text,
  contact_masked  text,
  carrier         text,
  channel         text,
  attempt         integer,
  outcome         text,
  details         jsonb NOT NULL DEFAULT '{}',
  prev_hash       text NOT NULL,
  hash            text NOT NULL,
  PRIMARY KEY (seq, at)
) PARTITION BY RANGE (at);
-- Rows whose month has no partition yet (a clock far ahead, maintenance stopped for months).
CREATE TABLE audit_log_default PARTITION OF audit_log DEFAULT;

-- Creates the monthly partitions from `from_month` (default: this month) to `months_ahead` months after
-- this one, e.g. audit_log_2026_11 for [2026-11-01, 2026-12-01) UTC. A month whose rows already sit in
-- the DEFAULT partition is skipped (PostgreSQL refuses that partition; the rows stay where they are).
-- Each new partition gets the append-only rules the parent has: row triggers are cloned by
-- PostgreSQL, TRUNCATE triggers and revoked grants are not. Returns the number created.
CREATE FUNCTION ensure_audit_partitions(months_ahead integer, from_month timestamptz DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  m timestamptz := date_trunc('month', COALESCE(from_month, now()), 'UTC');
  last_m timestamptz := date_trunc('month', now(), 'UTC') + make_interval(months => months_ahead);
  name text;
  created integer := 0;
  in_default boolean;
BEGIN
  WHILE m <= last_m LOOP
    name := 'audit_log_' || to_char(m AT TIME ZONE 'UTC', 'YYYY_MM');
    IF to_regclass(quote_ident(current_schema()) || '.' || quote_ident(name)) IS NULL THEN
      SELECT EXISTS (SELECT 1 FROM audit_log_default d WHERE d.at >= m AND d.at < m + interval '1 month')
        INTO in_default;
      IF NOT in_default THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_log FOR VALUES FROM (%L) TO (%L)',
          name, m, m + interval '1 month');
        EXECUTE format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON %I
          FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()', name);
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'breach_drill_app') THEN
          EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM breach_drill_app, PUBLIC', name);
        END IF;
        created := created + 1;
      END IF;
    END IF;
    m := m + interval '1 month';
  END LOOP;
  RETURN created;
END;
$$;

-- One partition per month of the existing log, then the months ahead, before the copy.
SELECT ensure_audit_partitions(2, (SELECT min(at) FROM audit_log_v1));
INSERT INTO audit_log (seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
    contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash)
  SELECT seq, at, type, actor, incident_id, campaign_id, notification_id, subscriber_hash,
    contact_masked, carrier, channel, attempt, outcome, details, prev_hash, hash
  FROM audit_log_v1 ORDER BY seq;
-- DROP is not DELETE or TRUNCATE: the old table's append-only triggers do not fire, they go with it.
DROP TABLE audit_log_v1;

-- The indexes of 001, 020 and 030, on the parent so that every partition has them.
CREATE INDEX audit_log_campaign ON audit_log (campaign_id, seq);
CREATE INDEX audit_log_type ON audit_log (type, seq);
CREATE INDEX audit_log_subscriber ON audit_log (subscriber_hash, seq) WHERE subscriber_hash IS NOT NULL;
CREATE INDEX audit_log_notification ON audit_log (notification_id, seq) WHERE notification_id IS NOT NULL;
CREATE INDEX audit_log_campaign_type ON audit_log (campaign_id, type, seq) WHERE campaign_id IS NOT NULL;
CREATE INDEX audit_log_incident_level ON audit_log (incident_id, seq) WHERE campaign_id IS NULL;
CREATE INDEX audit_log_outcome_rare ON audit_log (outcome, seq) WHERE outcome NOT IN ('accepted', 'delivered');
CREATE INDEX audit_log_actor_person ON audit_log (actor, seq) WHERE actor NOT LIKE 'worker:%';
CREATE INDEX audit_log_carrier ON audit_log (carrier, seq) WHERE carrier IS NOT NULL;
CREATE INDEX audit_log_incident_events ON audit_log (incident_id, seq)
  WHERE incident_id IS NOT NULL AND notification_id IS NULL;

-- Append-only, as in 001: row triggers on the parent are cloned onto every partition, present and
-- future; TRUNCATE triggers are per table (ensure_audit_partitions adds one to each partition).
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log_default
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The head trigger of 020, plus the uniqueness the primary key no longer gives: an append that moves
-- the head from OLD.seq to NEW.seq must have added exactly one row for each seq in between, so a row
-- planted ahead of the head at a seq the next append will use makes that append fail, as the old
-- primary key did. One index range read per partition per append, under the head lock.
CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  new_row record;
  old_at timestamptz;
  appended bigint;
BEGIN
  IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.seq < OLD.seq
     OR (NEW.seq = OLD.seq AND NEW.hash <> OLD.hash) THEN
    RAISE EXCEPTION 'audit_head only moves forward: % refused', TG_OP;
  END IF;
  IF NEW.seq > OLD.seq THEN
    SELECT at, hash INTO new_row FROM audit_log WHERE seq = NEW.seq;
    IF NOT FOUND OR new_row.hash <> NEW.hash THEN
      RAISE EXCEPTION 'audit_head must point at the stored row % and its hash', NEW.seq;
    END IF;
    SELECT count(*) INTO appended FROM audit_log WHERE seq > OLD.seq AND seq <= NEW.seq;
    IF appended <> NEW.seq - OLD.seq THEN
      RAISE EXCEPTION 'audit_log must hold exactly one row per seq in (%, %]: found %', OLD.seq, NEW.seq, appended;
    END IF;
    SELECT at INTO old_at FROM audit_log WHERE seq = OLD.seq;
    IF old_at IS NOT NULL AND new_row.at < old_at THEN
      RAISE EXCEPTION 'audit_log time must not go backwards along seq (% after %)', new_row.at, old_at;
    END IF;
  END IF;
  RETURN NULL;
END;
$$;

-- ---------------------------------------------------------------------------------------------------
-- Notification ledger
-- ---------------------------------------------------------------------------------------------------

ALTER TABLE notification RENAME TO notification_v1;
ALTER INDEX notification_pkey RENAME TO notification_v1_pkey;
ALTER INDEX notification_campaign_id_subscriber_id_channel_key RENAME TO notification_v1_key;
ALTER INDEX notification_campaign_state RENAME TO notification_v1_campaign_state;
-- The id sequence outlives the old table: the new one draws from it, so ids keep rising.
ALTER SEQUENCE notification_id_seq OWNED BY NONE;

CREATE TABLE notification (
  id              bigint NOT NULL DEFAULT nextval('notification_id_seq'),
  campaign_id     bigint NOT NULL REFERENCES campaigns (id),
  subscriber_id   bigint NOT NULL REFERENCES subscribers (id),
  channel         text NOT NULL,
  carrier         text NOT NULL,
  state           text NOT NULL DEFAULT 'pending',
  attempts        integer NOT NULL DEFAULT 0,
  claim_token     text,
  lease_until     timestamptz,
  next_attempt_at timestamptz,
  reason          text,
  carrier_code    text,
  provider_id     text,
  queued_at       timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz,
  delivered_at    timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  -- id first: a lookup by id alone (receipts, row locks) still has an index to probe per partition.
  PRIMARY KEY (id, campaign_id),
  UNIQUE (campaign_id, subscriber_id, channel)
) PARTITION BY LIST (campaign_id);
ALTER SEQUENCE notification_id_seq OWNED BY notification.id;
CREATE INDEX notification_campaign_state ON notification (campaign_id, state);
-- Campaigns that outran the partitions made ahead; retention deletes their rows by campaign.
CREATE TABLE notification_default PARTITION OF notification DEFAULT;

-- Creates notification_c<id> for every campaign that has no partition and no rows in the DEFAULT
-- partition yet, and for the next `ahead` ids of campaigns_id_seq, so a new campaign's rows land in
-- its own table. Returns the number created. (Migration 051 replaces it: ended campaigns get none.)
CREATE FUNCTION ensure_ledger_partitions(ahead integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  next_id bigint;
  cid bigint;
  created integer := 0;
BEGIN
  SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END INTO next_id FROM campaigns_id_seq;
  FOR cid IN
    SELECT c.id FROM campaigns c
    UNION
    SELECT g FROM generate_series(next_id, next_id + ahead - 1) AS g
    ORDER BY 1
  LOOP
    IF to_regclass(quote_ident(current_schema()) || '.' || quote_ident('notification_c' || cid)) IS NULL
       AND NOT EXISTS (SELECT 1 FROM notification_default d WHERE d.campaign_id = cid) THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF notification FOR VALUES IN (%s)', 'notification_c' || cid, cid);
      created := created + 1;
    END IF;
  END LOOP;
  RETURN created;
END;
$$;

SELECT ensure_ledger_partitions(8);
INSERT INTO notification (id, campaign_id, subscriber_id, channel, carrier, state, attempts, claim_token,
    lease_until, next_attempt_at, reason, carrier_code, provider_id, queued_at, sent_at, delivered_at,
    updated_at)
  SELECT id, campaign_id, subscriber_id, channel, carrier, state, attempts, claim_token,
    lease_until, next_attempt_at, reason, carrier_code, provider_id, queued_at, sent_at, delivered_at,
    updated_at
  FROM notification_v1;
DROP TABLE notification_v1;

-- ---------------------------------------------------------------------------------------------------
-- Grants, as in 020, for the two new tables (partitions are reached through them).
-- ---------------------------------------------------------------------------------------------------
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'breach_drill_app') THEN
    RETURN;
  END IF;
  GRANT SELECT, INSERT, UPDATE, DELETE ON notification TO breach_drill_app;
  GRANT SELECT, INSERT ON audit_log TO breach_drill_app;
  REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_log_default FROM breach_drill_app, PUBLIC;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'grants for breach_drill_app skipped: %', SQLERRM;
END;
$$;
