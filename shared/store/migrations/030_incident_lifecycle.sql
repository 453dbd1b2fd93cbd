-- Incidents' regulatory records and the campaign lifecycle (issue 6): the law-enforcement report as
-- sent, agency holds with their extensions and releases, the no-harm determination (amended regime),
-- the urgent-need override (legacy regime), missed deadlines already audited, campaign approval and
-- corrections. Plain SQL for PostgreSQL 15 and PGlite.

ALTER TABLE incidents ADD COLUMN created_by text;
-- Two-phase send of the report: claimed (an SMTP send under way) before `le_report_sent_at` is set.
ALTER TABLE incidents ADD COLUMN le_report_claimed_at timestamptz;
ALTER TABLE incidents ADD COLUMN urgent_need_at timestamptz;
ALTER TABLE incidents ADD COLUMN urgent_need_basis text;
ALTER TABLE incidents ADD COLUMN urgent_need_agency text;
ALTER TABLE incidents ADD COLUMN urgent_need_by text;
ALTER TABLE incidents ADD COLUMN no_harm_at timestamptz;
ALTER TABLE incidents ADD COLUMN no_harm_basis text;
ALTER TABLE incidents ADD COLUMN no_harm_by text;

-- The report as sent (its seven FCC 64.2011(a)(1) fields), one per incident.
CREATE TABLE incident_le_reports (
  incident_id  bigint PRIMARY KEY REFERENCES incidents (id),
  carrier      text NOT NULL,
  report       jsonb NOT NULL,
  recipient    text NOT NULL,
  message_id   text NOT NULL,
  subject      text NOT NULL,
  sent_at      timestamptz NOT NULL,
  sent_by      text NOT NULL
);

-- Agency holds on customer notices. `until` is the current end, after any extension.
CREATE TABLE incident_holds (
  id            bigserial PRIMARY KEY,
  incident_id   bigint NOT NULL REFERENCES incidents (id),
  agency        text NOT NULL,
  directed_at   timestamptz NOT NULL,
  until         timestamptz NOT NULL,
  basis         text NOT NULL,
  directed_by   text NOT NULL,
  released_at   timestamptz,
  release_basis text,
  released_by   text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_holds_incident ON incident_holds (incident_id, id);

CREATE TABLE incident_hold_extensions (
  id             bigserial PRIMARY KEY,
  hold_id        bigint NOT NULL REFERENCES incident_holds (id),
  extended_at    timestamptz NOT NULL,
  previous_until timestamptz NOT NULL,
  until          timestamptz NOT NULL,
  basis          text NOT NULL,
  extended_by    text NOT NULL
);
CREATE INDEX incident_hold_extensions_hold ON incident_hold_extensions (hold_id, id);

-- A missed deadline is audited once, the first time it is observed.
CREATE TABLE incident_deadline_misses (
  incident_id  bigint NOT NULL REFERENCES incidents (id),
  deadline_id  text NOT NULL,
  due_at       timestamptz NOT NULL,
  observed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, deadline_id)
);

ALTER TABLE campaigns ADD COLUMN approved_at timestamptz;
-- Paused by an agency hold (not by an operator): the hold's release resumes exactly these.
ALTER TABLE campaigns ADD COLUMN paused_by_hold boolean NOT NULL DEFAULT false;
-- Amended regime, no-harm determination recorded: every recipient suppressed, nothing sent.
ALTER TABLE campaigns ADD COLUMN suppressed_reason text;
-- A correction campaign points at the campaign it corrects; at most one correction per original.
ALTER TABLE campaigns ADD COLUMN corrects_campaign_id bigint REFERENCES campaigns (id);
CREATE UNIQUE INDEX campaigns_one_correction ON campaigns (corrects_campaign_id)
  WHERE corrects_campaign_id IS NOT NULL;
CREATE INDEX campaigns_incident ON campaigns (incident_id, id);

-- An incident's own audit trail (timeline, after-action report): its events that are not about one
-- notification. Partial, so it stays small next to millions of notification events.
CREATE INDEX audit_log_incident_events ON audit_log (incident_id, seq)
  WHERE incident_id IS NOT NULL AND notification_id IS NULL;
