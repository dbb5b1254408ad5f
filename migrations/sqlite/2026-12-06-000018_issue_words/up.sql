-- Similar issues' candidates by word: each issue's comparable words (the domain's, once each),
-- read per word newest first and a few hundred at most, so that finding candidates costs the
-- same at a thousand issues and at a million (FTS5's rank scored every matching row). The
-- issue's index serves rewriting an issue's words when its text changes. Issues are re-indexed
-- by the background job (the rules' version went up).
DROP TRIGGER IF EXISTS issues_similar_update;
DROP TRIGGER IF EXISTS issues_similar_delete;
DROP TRIGGER IF EXISTS issues_similar_insert;
DROP TABLE IF EXISTS issues_similar;
CREATE TABLE issue_words (
    word TEXT NOT NULL,
    issue_id BIGINT NOT NULL REFERENCES issues (id),
    PRIMARY KEY (word, issue_id)
) WITHOUT ROWID;
CREATE INDEX issue_words_issue ON issue_words (issue_id);
