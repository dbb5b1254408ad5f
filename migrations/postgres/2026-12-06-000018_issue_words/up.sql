-- Similar issues' candidates by word: each issue's comparable words (the domain's, once each),
-- read per word newest first and a few hundred at most, so that finding candidates costs the
-- same at a thousand issues and at a million (a trigram index scored every matching row: at a
-- million synthetic issues one search took 2 to 18 s). The issue's index serves rewriting an
-- issue's words when its text changes. Issues are re-indexed by the background job (the rules'
-- version went up).
DROP INDEX IF EXISTS issues_similar_trgm;
CREATE TABLE issue_words (
    word TEXT NOT NULL,
    issue_id BIGINT NOT NULL REFERENCES issues (id),
    PRIMARY KEY (word, issue_id)
);
CREATE INDEX issue_words_issue ON issue_words (issue_id);
