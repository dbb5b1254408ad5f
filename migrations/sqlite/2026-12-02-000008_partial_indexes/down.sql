DROP INDEX issues_import_key;
CREATE UNIQUE INDEX issues_import_key ON issues(import_key);
DROP INDEX issues_external_id;
CREATE UNIQUE INDEX issues_external_id ON issues(external_id);
DROP INDEX outbox_leased;
