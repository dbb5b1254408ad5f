-- Issues, their tags and comments, filing idempotency, and per-year reference counters (SQLite).
CREATE TABLE issues (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ref TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    channel TEXT NOT NULL,
    priority TEXT NOT NULL,
    sensitivity TEXT NOT NULL,
    status TEXT NOT NULL,
    held_from TEXT,
    source_urls TEXT NOT NULL,
    screenshot_urls TEXT NOT NULL,
    archive_urls TEXT NOT NULL,
    reach BIGINT,
    posted_at BIGINT,
    district TEXT,
    village TEXT,
    lat REAL,
    lon REAL,
    filed_by_id BIGINT NOT NULL REFERENCES users(id),
    filed_by TEXT NOT NULL,
    filing_unit TEXT REFERENCES units(code),
    assigned_unit TEXT REFERENCES units(code),
    proposed_unit TEXT REFERENCES units(code),
    lapor_id TEXT,
    tags TEXT NOT NULL,
    duplicate_of TEXT,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    verdict TEXT,
    clarification_text TEXT,
    clarification_urls TEXT,
    version BIGINT NOT NULL,
    urgent_at BIGINT NOT NULL,
    is_open BOOLEAN NOT NULL,
    search TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX issues_created ON issues(created_at, id);
CREATE INDEX issues_status_urgent ON issues(status, urgent_at, id);
CREATE INDEX issues_assigned_open ON issues(assigned_unit, is_open, urgent_at, id);
CREATE INDEX issues_filing_unit ON issues(filing_unit);
CREATE INDEX issues_filed_by ON issues(filed_by_id);
CREATE INDEX issues_duplicate_of ON issues(duplicate_of);
CREATE INDEX issues_escalated ON issues(is_open, escalation_level, urgent_at, id);

CREATE TABLE issue_tags (
    issue_id BIGINT NOT NULL REFERENCES issues(id),
    tag TEXT NOT NULL,
    PRIMARY KEY (issue_id, tag)
);
CREATE INDEX issue_tags_tag ON issue_tags(tag, issue_id);

CREATE TABLE issue_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    issue_id BIGINT NOT NULL REFERENCES issues(id),
    kind TEXT NOT NULL CHECK (kind IN ('internal', 'public_response')),
    body TEXT NOT NULL,
    author TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX issue_comments_issue ON issue_comments(issue_id, id);

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- SQLite has one writer at a time, so a counter row per year costs nothing extra.
CREATE TABLE ref_counters (
    year INTEGER PRIMARY KEY NOT NULL,
    next BIGINT NOT NULL
);
