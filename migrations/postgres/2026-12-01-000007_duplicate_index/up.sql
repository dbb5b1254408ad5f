-- Only merged issues have `duplicate_of`. A full index is nearly all NULLs: once statistics
-- are gathered (ANALYZE), SQLite judges it useless and reads the whole table for the
-- duplicates of a page of issues. A partial index holds just the merged ones; both backends
-- use it for `duplicate_of IN (…)` / `= ANY(…)`, which imply NOT NULL.
DROP INDEX issues_duplicate_of;
CREATE INDEX issues_duplicate_of ON issues(duplicate_of) WHERE duplicate_of IS NOT NULL;
