-- Open seconds a stopped clock counted (start to stop, time on hold left out), so that reports
-- take medians and percentiles in the database. Filled for stopped clocks when they stop; clocks
-- stopped before this migration are filled by the service on start-up (calendars live in config).
ALTER TABLE issue_clocks ADD COLUMN elapsed_seconds BIGINT;
CREATE INDEX issue_clocks_elapsed_missing ON issue_clocks(id) WHERE elapsed_seconds IS NULL AND state IN ('met', 'missed');
