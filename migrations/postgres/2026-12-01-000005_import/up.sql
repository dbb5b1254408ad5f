-- Imported issues: the id a spreadsheet gave them, or a key of their content, so that importing
-- the same file again creates nothing new.
ALTER TABLE issues ADD COLUMN external_id TEXT;
ALTER TABLE issues ADD COLUMN import_key TEXT;
CREATE UNIQUE INDEX issues_external_id ON issues(external_id);
CREATE UNIQUE INDEX issues_import_key ON issues(import_key);
