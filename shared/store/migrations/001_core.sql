-- breach-drill core schema: subscribers, incidents, campaigns, the notification ledger, the audit log.

CREATE TABLE subscribers (
  id              bigserial PRIMARY KEY,
  carrier         text NOT NULL,
  msisdn          text,
  email           text,
  display_name    text,
  locale          text NOT NULL DEFAULT 'en',
  region          text,
  account_type    text NOT NULL DEFAULT 'consumer',
  data_categories text[] NOT NULL DEFAULT '{}',
  channels        text[] NOT NULL DEFAULT '{email,sms}',
  opted_out_at    timestamptz,
  external_ref    text,
  erased_at       timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- Upsert key for registration; erased rows keep their id but lose the number.
CREATE UNIQUE INDEX subscribers_carrier_msisdn ON subscribers (carrier, msisdn);
CREATE INDEX subscribers_carrier_id ON subscribers (carrier, id);

CREATE TABLE incidents (
  id              bigserial PRIMARY KEY,
  exercise_id     text NOT NULL,
  title           text NOT NULL,
  threat_actor    text NOT NULL,
  carriers        text[] NOT NULL,
  data_categories text[] NOT NULL,
  window_start    timestamptz NOT NULL,
  window_end      timestamptz NOT NULL,
  determined_at   timestamptz NOT NULL,
  regime          text NOT NULL,
  tlp             text NOT NULL,
  advisory_id     text NOT NULL,
  le_report_sent_at timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE campaigns (
  id              bigserial PRIMARY KEY,
  incident_id     bigint NOT NULL REFERENCES incidents (id),
  kind            text NOT NULL,
  channels        text[] NOT NULL,
  audience        jsonb NOT NULL DEFAULT '{}',
  locale          text,
  state           text NOT NULL DEFAULT 'draft',
  created_by      text,
  approved_by     text,
  fanout_cursor   bigint NOT NULL DEFAULT 0,
  fanout_done     boolean NOT NULL DEFAULT false,
  triggered_at    timestamptz,
  completed_at    timestamptz,
  totals          jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The ledger: one row per (campaign, subscriber, channel); its state machine is DOMAIN.md §6.
CREATE TABLE notification (
  id              bigserial PRIMARY KEY,
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
  UNIQUE (campaign_id, subscriber_id, channel)
);
CREATE INDEX notification_campaign_state ON notification (campaign_id, state);

CREATE TABLE opt_outs (
  msisdn          text PRIMARY KEY,
  opted_out_at    timestamptz NOT NULL DEFAULT now(),
  confirmed       boolean NOT NULL DEFAULT false
);

-- Append-only, hash-chained audit log. `audit_head` is the chain head every append locks.
CREATE TABLE audit_log (
  seq             bigint PRIMARY KEY,
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
  hash            text NOT NULL
);
CREATE INDEX audit_log_campaign ON audit_log (campaign_id, seq);
CREATE INDEX audit_log_type ON audit_log (type, seq);

CREATE TABLE audit_head (
  id    integer PRIMARY KEY CHECK (id = 1),
  seq   bigint NOT NULL,
  hash  text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
