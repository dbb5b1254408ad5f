DROP TABLE issue_similar;
DROP TABLE issue_urls;
DROP INDEX issues_similar_version;
ALTER TABLE issues DROP COLUMN similar_version;
ALTER TABLE issues DROP COLUMN similar_text;
