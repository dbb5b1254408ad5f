DROP TRIGGER issues_similar_update;
DROP TRIGGER issues_similar_delete;
DROP TRIGGER issues_similar_insert;
DROP TABLE issues_similar;
DROP TABLE issue_similar;
DROP TABLE issue_urls;
DROP INDEX issues_similar_version;
ALTER TABLE issues DROP COLUMN similar_version;
ALTER TABLE issues DROP COLUMN similar_text;
