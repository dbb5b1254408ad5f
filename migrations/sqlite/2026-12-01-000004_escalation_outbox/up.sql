-- Escalation steps fired, the timer's next instant per clock, and the email outbox (SQLite).
ALTER TABLE issue_clocks ADD COLUMN steps_fired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE issue_clocks ADD COLUMN next_event_at BIGINT;
CREATE INDEX issue_clocks_next_event ON issue_clocks(next_event_at) WHERE next_event_at IS NOT NULL;

-- One row per issue, clock, step and recipient: the unique key is the final guard against a
-- step firing twice, whatever the number of instances.
CREATE TABLE escalation_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    issue_id BIGINT NOT NULL REFERENCES issues(id),
    clock_id BIGINT NOT NULL REFERENCES issue_clocks(id),
    step INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    fired_at BIGINT NOT NULL,
    UNIQUE (clock_id, step, recipient)
);
CREATE INDEX escalation_steps_issue ON escalation_steps(issue_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    issue_id BIGINT REFERENCES issues(id),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    sent_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
CREATE INDEX outbox_issue ON outbox(issue_id);
