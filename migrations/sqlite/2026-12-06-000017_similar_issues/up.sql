-- Finding the same issue filed twice. `similar_text` holds the comparable words of the title and
-- description (the service writes them with every save, `similar_version` the rules they were
-- made with: a start re-indexes the issues of an older version); `issue_urls` the canonical
-- address of each post. On SQLite the words are searched through an FTS5 index kept by
-- triggers (FTS5 is in the bundled SQLite; no extension is loaded).
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

CREATE VIRTUAL TABLE issues_similar USING fts5 (
    similar_text, content = 'issues', content_rowid = 'id', tokenize = 'unicode61'
);
CREATE TRIGGER issues_similar_insert AFTER INSERT ON issues BEGIN
    INSERT INTO issues_similar (rowid, similar_text) VALUES (new.id, new.similar_text);
END;
CREATE TRIGGER issues_similar_delete AFTER DELETE ON issues BEGIN
    INSERT INTO issues_similar (issues_similar, rowid, similar_text)
    VALUES ('delete', old.id, old.similar_text);
END;
CREATE TRIGGER issues_similar_update AFTER UPDATE OF similar_text ON issues
WHEN old.similar_text IS NOT new.similar_text BEGIN
    INSERT INTO issues_similar (issues_similar, rowid, similar_text)
    VALUES ('delete', old.id, old.similar_text);
    INSERT INTO issues_similar (rowid, similar_text) VALUES (new.id, new.similar_text);
END;
