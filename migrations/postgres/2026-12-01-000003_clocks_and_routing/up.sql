-- SLA clocks of issues and the routing rules (PostgreSQL).
CREATE TABLE issue_clocks (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    issue_id BIGINT NOT NULL REFERENCES issues(id),
    kind TEXT NOT NULL CHECK (kind IN ('triage', 'response', 'resolution')),
    state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'met', 'missed', 'cancelled')),
    calendar TEXT NOT NULL,
    target TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    paused_at BIGINT,
    paused_seconds BIGINT NOT NULL DEFAULT 0,
    stopped_at BIGINT,
    frozen_remaining BIGINT,
    breached BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX issue_clocks_issue ON issue_clocks(issue_id, id);
CREATE INDEX issue_clocks_live_due ON issue_clocks(state, due_at);

CREATE TABLE routing_rules (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    enabled BOOLEAN NOT NULL,
    categories TEXT NOT NULL,
    channels TEXT NOT NULL,
    districts TEXT NOT NULL,
    keywords TEXT NOT NULL,
    keyword_mode TEXT NOT NULL CHECK (keyword_mode IN ('any', 'all')),
    unit TEXT NOT NULL REFERENCES units(code),
    auto_assign BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX routing_rules_position ON routing_rules(position, id);
