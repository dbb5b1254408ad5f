-- SQLite's migration of this name: the same tables as PostgreSQL's (see there why), and the
-- same triggers, one per event as SQLite writes them.
CREATE TABLE report_days (
  day INTEGER PRIMARY KEY,
  basis TEXT NOT NULL,
  tallied_at BIGINT NOT NULL
);
CREATE TABLE report_tallies (
  day INTEGER NOT NULL,
  scope TEXT NOT NULL,
  group_by TEXT NOT NULL,
  k TEXT,
  filed BIGINT NOT NULL,
  resolved BIGINT NOT NULL,
  breached_now BIGINT NOT NULL,
  escalations BIGINT NOT NULL,
  response_met BIGINT NOT NULL,
  response_missed BIGINT NOT NULL,
  response_clocks BIGINT NOT NULL,
  response_times BLOB NOT NULL,
  resolution_met BIGINT NOT NULL,
  resolution_missed BIGINT NOT NULL,
  resolution_clocks BIGINT NOT NULL,
  resolution_times BLOB NOT NULL
);
CREATE INDEX report_tallies_read ON report_tallies (scope, group_by, day);
CREATE INDEX report_tallies_day ON report_tallies (day);
CREATE TABLE report_hoaxes (
  day INTEGER NOT NULL,
  scope TEXT NOT NULL,
  filed BIGINT NOT NULL,
  verdicts TEXT NOT NULL,
  kinds TEXT NOT NULL,
  responded BLOB NOT NULL,
  clarified BLOB NOT NULL,
  PRIMARY KEY (scope, day)
);
CREATE INDEX report_hoaxes_day ON report_hoaxes (day);
CREATE TABLE report_changes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  quarter BIGINT NOT NULL
);
CREATE TRIGGER report_issue_insert AFTER INSERT ON issues
WHEN NEW.created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000
BEGIN
  INSERT INTO report_changes (quarter) VALUES (NEW.created_at / 900000000);
END;
CREATE TRIGGER report_issue_delete AFTER DELETE ON issues
WHEN OLD.created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000
BEGIN
  INSERT INTO report_changes (quarter) VALUES (OLD.created_at / 900000000);
END;
CREATE TRIGGER report_issue_update AFTER UPDATE OF created_at, assigned_unit, filing_unit, sensitivity, category, priority, channel, district, status, is_open, verdict, disinformation_type ON issues
WHEN NEW.created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000
BEGIN
  INSERT INTO report_changes (quarter) VALUES (NEW.created_at / 900000000);
END;
CREATE TRIGGER report_issue_moved AFTER UPDATE OF created_at ON issues
WHEN OLD.created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000
BEGIN
  INSERT INTO report_changes (quarter) VALUES (OLD.created_at / 900000000);
END;
CREATE TRIGGER report_clock_insert AFTER INSERT ON issue_clocks
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = NEW.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_clock_delete AFTER DELETE ON issue_clocks
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = OLD.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_clock_update AFTER UPDATE OF issue_id, kind, state, elapsed_seconds, due_at, breached ON issue_clocks
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = NEW.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_step_insert AFTER INSERT ON escalation_steps
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = NEW.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_step_delete AFTER DELETE ON escalation_steps
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = OLD.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_step_update AFTER UPDATE ON escalation_steps
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = NEW.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_comment_insert AFTER INSERT ON issue_comments
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = NEW.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_comment_delete AFTER DELETE ON issue_comments
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = OLD.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_comment_update AFTER UPDATE ON issue_comments
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = NEW.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_clarification_insert AFTER INSERT ON clarifications
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = NEW.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_clarification_delete AFTER DELETE ON clarifications
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = OLD.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
CREATE TRIGGER report_clarification_update AFTER UPDATE ON clarifications
BEGIN
  INSERT INTO report_changes (quarter)
    SELECT created_at / 900000000 FROM issues
    WHERE id = NEW.issue_id AND created_at < CAST(strftime('%s', 'now') AS INTEGER) * 1000000 - 86400000000;
END;
