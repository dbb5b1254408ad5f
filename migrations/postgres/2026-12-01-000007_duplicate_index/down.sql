DROP INDEX issues_duplicate_of;
CREATE INDEX issues_duplicate_of ON issues(duplicate_of);
