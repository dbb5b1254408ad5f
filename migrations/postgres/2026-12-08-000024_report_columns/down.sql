DROP INDEX issues_created;
CREATE INDEX issues_created ON issues (created_at, id);
