-- Fewer index entries for the rows the delivery path writes (issue 4: SMS throughput).
--
-- Why: an SMS writes five audit rows (queued, attempt started, sent, receipt applied, delivered), and
-- every row's index entries are written while the audit chain's lock is held (append-audit.ts): each
-- costs every other appender. Each row had seven. Measured with `npm run bench -- --only db` on
-- 2026-11-26 (the DB-only ceiling, 96,027 SMS, shared PostgreSQL 15, runs ±5 %): 2,987–3,292/s with
-- the indexes of 050, 3,383/s with the subscriber index below alone, 3,617/s with no subscriber
-- index, 3,816/s without the subscriber, type, campaign × type and carrier indexes.
--
-- 1. The subscriber index keeps a subscriber's own events and the event that created each of their
--    notifications, not every event of every notification: its keys are hashes, so each insert lands
--    on a different leaf page. Every ledger row is created with a `notification.queued` event
--    (fan-out, corrections) or a `notification.suppressed` one (a no-harm determination), both
--    carrying the hash; a subscriber search finds the notifications through those, then walks their
--    events by audit_log_notification (plan-audit-query.ts).
-- 2. The type and campaign × type indexes leave out the five delivery types. Each is about a fifth of
--    a delivery log, so a walk of the primary key (or of the campaign's index) that filters by one
--    meets a match every few rows and needs no index, as the common outcomes never had one (020,
--    audit_log_outcome_rare). The rare types (failures, retries, campaign and incident events,
--    exports) are the ones worth an index, and are still in it.
DROP INDEX audit_log_subscriber;
CREATE INDEX audit_log_subscriber ON audit_log (subscriber_hash, seq)
  WHERE subscriber_hash IS NOT NULL
    AND (notification_id IS NULL OR type IN ('notification.queued', 'notification.suppressed'));

DROP INDEX audit_log_type;
CREATE INDEX audit_log_type ON audit_log (type, seq)
  WHERE type NOT IN ('notification.queued', 'notification.attempt_started', 'notification.sent',
                     'receipt.applied', 'notification.delivered');

DROP INDEX audit_log_campaign_type;
CREATE INDEX audit_log_campaign_type ON audit_log (campaign_id, type, seq)
  WHERE campaign_id IS NOT NULL
    AND type NOT IN ('notification.queued', 'notification.attempt_started', 'notification.sent',
                     'receipt.applied', 'notification.delivered');
