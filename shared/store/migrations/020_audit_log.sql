-- Audit log, issue 7: signed checkpoints, query indexes, a head that only moves forward, and an
-- application role that may append to the log but never rewrite it. Plain SQL for PostgreSQL 15 and
-- PGlite alike.

-- Signed checkpoints: {seq, hash, time} signed with Ed25519 every N events or M seconds
-- (workers/audit/start-audit-checkpointer.ts). Append-only like the log itself.
CREATE TABLE audit_checkpoints (
  seq         bigint PRIMARY KEY,
  hash        text NOT NULL,
  signed_at   timestamptz NOT NULL,
  key_id      text NOT NULL,
  -- SPKI PEM of the signing key, so the table says which key signed; trust comes from the key
  -- published at GET /v1/audit/public-key (or pinned by the auditor), never from this column.
  public_key  text NOT NULL,
  signature   text NOT NULL
);

CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse_change();

-- The head only moves forward, onto a stored row, and time never runs backwards along seq: rewinding
-- the head would let the next append fork the chain, and the query path turns time ranges into seq
-- ranges (services/api/steps/audit/plan-audit-query.ts). Two primary-key reads per append.
CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  new_row record;
  old_at timestamptz;
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
    SELECT at INTO old_at FROM audit_log WHERE seq = OLD.seq;
    IF old_at IS NOT NULL AND new_row.at < old_at THEN
      RAISE EXCEPTION 'audit_log time must not go backwards along seq (% after %)', new_row.at, old_at;
    END IF;
  END IF;
  RETURN NULL;
END;
$$;
-- AFTER, so the check sees rows inserted by the same statement (append-audit.ts inserts and moves the
-- head in one statement); raising still undoes both.
CREATE TRIGGER audit_head_forward_only AFTER UPDATE OR DELETE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Query paths (GET /v1/audit, exports, reports). A page walks an index that ends in seq, so it costs
-- the same on the first event and the ten-millionth (services/api/steps/audit/plan-audit-query.ts).
-- 001 has (campaign_id, seq) and (type, seq). Time ranges need no index: `at` follows seq, so they
-- become seq ranges by binary search on the primary key. Partial indexes keep the hot append path
-- cheap: an incident's own events (no campaign) are few, and so are the outcomes worth filtering on
-- alone (failure codes); the rest of an incident is its campaigns' rows.
CREATE INDEX audit_log_subscriber ON audit_log (subscriber_hash, seq) WHERE subscriber_hash IS NOT NULL;
CREATE INDEX audit_log_notification ON audit_log (notification_id, seq) WHERE notification_id IS NOT NULL;
CREATE INDEX audit_log_campaign_type ON audit_log (campaign_id, type, seq) WHERE campaign_id IS NOT NULL;
CREATE INDEX audit_log_incident_level ON audit_log (incident_id, seq) WHERE campaign_id IS NULL;
CREATE INDEX audit_log_outcome_rare ON audit_log (outcome, seq) WHERE outcome NOT IN ('accepted', 'delivered');
-- People and API keys, not workers: "everything key X did".
CREATE INDEX audit_log_actor_person ON audit_log (actor, seq) WHERE actor NOT LIKE 'worker:%';
-- A carrier with no events would otherwise mean walking the whole log to find nothing.
CREATE INDEX audit_log_carrier ON audit_log (carrier, seq) WHERE carrier IS NOT NULL;

-- The application role. Created only when the migrating user may create roles; a deployment logs in
-- as a member of it (e.g. CREATE ROLE bd_api LOGIN IN ROLE breach_drill_app) while migrations run as
-- the schema owner. It may read and write the ledger, and only SELECT and INSERT the audit tables.
-- The triggers above refuse UPDATE/DELETE to everyone, owner included; the grants make the refusal
-- not depend on a trigger the owner could drop.
DO $$
DECLARE
  s text := current_schema();
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'breach_drill_app') THEN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
      RAISE NOTICE 'role breach_drill_app not created: % may not create roles', current_user;
      RETURN;
    END IF;
    BEGIN
      CREATE ROLE breach_drill_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created meanwhile by a migration of another schema
    END;
  END IF;
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO breach_drill_app', s);
  EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO breach_drill_app', s);
  EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO breach_drill_app', s);
  -- Tables that later migrations add get the same, and an audit table among them must revoke it.
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO breach_drill_app', s);
  EXECUTE format(
    'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO breach_drill_app', s);
  REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_checkpoints FROM breach_drill_app, PUBLIC;
  REVOKE DELETE, TRUNCATE ON audit_head FROM breach_drill_app, PUBLIC;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'grants for breach_drill_app skipped: %', SQLERRM;
END;
$$;
