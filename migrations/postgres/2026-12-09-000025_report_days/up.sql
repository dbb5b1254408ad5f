-- Reports over years add stored per-day tallies instead of counting every issue and ranking
-- every clock (`domain::report_days`). A background job tallies each *settled* local day (no
-- open issue, no live clock: its figures no longer move with time) two days after it ended;
-- a report uses a day's stored tallies only while nothing of that day has changed since.

-- The days tallied: under which basis (the zone and the unit tree, digested) and when.
CREATE TABLE report_days (
  day INTEGER PRIMARY KEY,          -- the local date as YYYYMMDD
  basis TEXT NOT NULL,
  tallied_at BIGINT NOT NULL
);

-- One tally per day, scope ('*' every issue, or the unit whose leaders see them), grouping and
-- group. The counted times of stopped clocks are packed (`pack_times`): sorted differences as
-- varints.
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
  response_times BYTEA NOT NULL,
  resolution_met BIGINT NOT NULL,
  resolution_missed BIGINT NOT NULL,
  resolution_clocks BIGINT NOT NULL,
  resolution_times BYTEA NOT NULL
);
CREATE INDEX report_tallies_read ON report_tallies (scope, group_by, day);
CREATE INDEX report_tallies_day ON report_tallies (day);

-- The hoax section's tally per day and scope: hoaxes counted, per verdict and per type (JSON
-- objects), and the packed seconds to the first public response and to the first published
-- clarification.
CREATE TABLE report_hoaxes (
  day INTEGER NOT NULL,
  scope TEXT NOT NULL,
  filed BIGINT NOT NULL,
  verdicts TEXT NOT NULL,
  kinds TEXT NOT NULL,
  responded BYTEA NOT NULL,
  clarified BYTEA NOT NULL,
  PRIMARY KEY (scope, day)
);
CREATE INDEX report_hoaxes_day ON report_hoaxes (day);

-- A report reads the clocks of the issues of days not stored by ranges of issue ids: the index
-- carries what it reads (an index-only scan). Clock updates already change indexed columns
-- (`state`, `next_event_at`), so none was a HOT update before; the entries are only wider.
DROP INDEX issue_clocks_issue;
CREATE INDEX issue_clocks_issue ON issue_clocks (issue_id, id)
  INCLUDE (kind, state, elapsed_seconds, due_at, breached);

-- Changes to issues filed more than a day ago (any issue a stored day may hold), by the
-- quarter hour of their filing (every zone's offset is a whole number of quarter hours, so a
-- quarter hour lies in one local day). Written by triggers, so that no path that changes an
-- issue can forget it; a row per change, so that the job deletes exactly the changes it saw
-- and a change committed while it tallied stays behind for the next run.
CREATE TABLE report_changes (
  id BIGSERIAL PRIMARY KEY,
  quarter BIGINT NOT NULL
);

CREATE FUNCTION report_quarter_changed(filed BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF filed < (extract(epoch FROM now()) * 1000000)::BIGINT - 86400000000 THEN
    INSERT INTO report_changes (quarter) VALUES (filed / 900000000);
  END IF;
END $$;

CREATE FUNCTION report_issue_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM report_quarter_changed(OLD.created_at);
  ELSE
    PERFORM report_quarter_changed(NEW.created_at);
    IF TG_OP = 'UPDATE' AND OLD.created_at <> NEW.created_at THEN
      PERFORM report_quarter_changed(OLD.created_at);
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION report_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE filed BIGINT;
BEGIN
  IF TG_OP = 'DELETE' THEN
    SELECT created_at INTO filed FROM issues WHERE id = OLD.issue_id;
  ELSE
    SELECT created_at INTO filed FROM issues WHERE id = NEW.issue_id;
  END IF;
  IF filed IS NOT NULL THEN
    PERFORM report_quarter_changed(filed);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER report_issue_insert AFTER INSERT OR DELETE ON issues
  FOR EACH ROW EXECUTE FUNCTION report_issue_changed();
CREATE TRIGGER report_issue_update AFTER UPDATE OF created_at, assigned_unit, filing_unit,
  sensitivity, category, priority, channel, district, status, is_open, verdict,
  disinformation_type ON issues
  FOR EACH ROW EXECUTE FUNCTION report_issue_changed();
CREATE TRIGGER report_clock_change AFTER INSERT OR DELETE ON issue_clocks
  FOR EACH ROW EXECUTE FUNCTION report_part_changed();
CREATE TRIGGER report_clock_update AFTER UPDATE OF issue_id, kind, state, elapsed_seconds,
  due_at, breached ON issue_clocks
  FOR EACH ROW EXECUTE FUNCTION report_part_changed();
CREATE TRIGGER report_step_change AFTER INSERT OR DELETE OR UPDATE ON escalation_steps
  FOR EACH ROW EXECUTE FUNCTION report_part_changed();
CREATE TRIGGER report_comment_change AFTER INSERT OR DELETE OR UPDATE ON issue_comments
  FOR EACH ROW EXECUTE FUNCTION report_part_changed();
CREATE TRIGGER report_clarification_change AFTER INSERT OR DELETE OR UPDATE ON clarifications
  FOR EACH ROW EXECUTE FUNCTION report_part_changed();
