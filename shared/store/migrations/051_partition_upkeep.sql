-- Follow-up to 050 (issue 12 item 3), kept apart because 050 was already applied to databases in use.
-- Plain SQL for PostgreSQL 15 and PGlite alike.

-- The head keeps its row's time: an append reads it under the head lock, and a lookup by seq alone
-- would have to plan and probe every partition while the lock is held (by (seq, at) it reads one).
-- Writers that move the head without saying the time (older tools) leave it NULL, and the lookups
-- fall back to seq alone.
ALTER TABLE audit_head ADD COLUMN at timestamptz;
UPDATE audit_head h SET at = l.at FROM audit_log l WHERE l.seq = h.seq AND h.id = 1;

CREATE FUNCTION audit_head_track_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.seq <> OLD.seq AND NEW.at IS NOT DISTINCT FROM OLD.at THEN
    NEW.at := NULL; -- moved without its time: unknown rather than the previous row's
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_track_at BEFORE UPDATE ON audit_head
  FOR EACH ROW EXECUTE FUNCTION audit_head_track_at();

-- The head trigger of 020, reading rows by (seq, at), plus the uniqueness the primary key no longer
-- gives: an append that moves the head from OLD.seq to NEW.seq must have added exactly one row for
-- each seq in between, so a row planted ahead of the head at a seq the next append will use makes that
-- append fail, as the old primary key did (one index range read per partition, under the head lock).
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
    IF NEW.at IS NULL THEN
      SELECT at, hash INTO new_row FROM audit_log WHERE seq = NEW.seq;
    ELSE
      SELECT at, hash INTO new_row FROM audit_log WHERE seq = NEW.seq AND at = NEW.at;
    END IF;
    IF NOT FOUND OR new_row.hash <> NEW.hash THEN
      RAISE EXCEPTION 'audit_head must point at the stored row % and its hash', NEW.seq;
    END IF;
    SELECT count(*) INTO appended FROM audit_log WHERE seq > OLD.seq AND seq <= NEW.seq;
    IF appended <> NEW.seq - OLD.seq THEN
      RAISE EXCEPTION 'audit_log must hold exactly one row per seq in (%, %]: found %', OLD.seq, NEW.seq, appended;
    END IF;
    old_at := OLD.at;
    IF old_at IS NULL THEN
      SELECT at INTO old_at FROM audit_log WHERE seq = OLD.seq;
    END IF;
    IF old_at IS NOT NULL AND new_row.at < old_at THEN
      RAISE EXCEPTION 'audit_log time must not go backwards along seq (% after %)', new_row.at, old_at;
    END IF;
  ELSIF NEW.at IS DISTINCT FROM OLD.at AND NEW.at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND at = NEW.at) THEN
    RAISE EXCEPTION 'audit_head.at must be the time of row %', NEW.seq;
  END IF;
  RETURN NULL;
END;
$$;

-- As in 050, for the campaigns still to run: an ended campaign gets no ledger partition any more
-- (it writes no new rows, and retention drops its partition; making one again on the next maintenance
-- run only to drop it again would be churn). Returns the number created.
CREATE OR REPLACE FUNCTION ensure_ledger_partitions(ahead integer) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  next_id bigint;
  cid bigint;
  created integer := 0;
BEGIN
  SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END INTO next_id FROM campaigns_id_seq;
  FOR cid IN
    SELECT c.id FROM campaigns c WHERE c.state NOT IN ('completed', 'cancelled')
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

