DROP INDEX issues_lapor_id;
ALTER TABLE issues DROP COLUMN disinformation_type;
