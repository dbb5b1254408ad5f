DROP TABLE ref_counters;
DROP TABLE idempotency_keys;
DROP TABLE issue_comments;
DROP TABLE issue_tags;
DROP TABLE issues;
