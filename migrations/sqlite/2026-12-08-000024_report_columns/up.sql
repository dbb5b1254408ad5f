-- PostgreSQL's migration of this name carries the report's columns in the filing-date index
-- (an index-only scan for reports over large databases). SQLite serves the small, single-instance
-- deployments; its index stays as it is.
SELECT 1;
