DROP INDEX issues_import_key;
DROP INDEX issues_external_id;
ALTER TABLE issues DROP COLUMN import_key;
ALTER TABLE issues DROP COLUMN external_id;
