-- Finding the same issue filed twice. `similar_text` holds the comparable words of the title and
-- description (the service writes them with every save, `similar_version` the rules they were
-- made with: a start re-indexes the issues of an older version); `issue_urls` the canonical
-- address of each post. (Until 2026-12-06's fourth session this migration also made an FTS5
-- index of `similar_text` kept by triggers; migration 18 replaced it by `issue_words` and drops it
-- where an earlier run made it.)
ALTER TABLE issues ADD COLUMN similar_text TEXT NOT NULL DEFAULT '';
ALTER TABLE issues ADD COLUMN similar_version SMALLINT NOT NULL DEFAULT 0;
CREATE INDEX issues_similar_version ON issues (similar_version, id);

CREATE TABLE issue_urls (
    url TEXT NOT NULL,
    issue_id BIGINT NOT NULL REFERENCES issues (id),
    PRIMARY KEY (url, issue_id)
);
CREATE INDEX issue_urls_issue ON issue_urls (issue_id);

-- What filing found: each pair both ways (the earlier issue's card shows the later one too),
-- the score in thousandths and its reasons (JSON list), for the TRC's triage board.
CREATE TABLE issue_similar (
    issue_id BIGINT NOT NULL REFERENCES issues (id),
    other_id BIGINT NOT NULL REFERENCES issues (id),
    score INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    PRIMARY KEY (issue_id, other_id)
);
