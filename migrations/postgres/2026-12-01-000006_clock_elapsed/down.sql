DROP INDEX issue_clocks_elapsed_missing;
ALTER TABLE issue_clocks DROP COLUMN elapsed_seconds;
