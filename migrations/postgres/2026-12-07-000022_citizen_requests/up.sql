-- Citizens' requests for clarification, filed without an account from the public form: the
-- tracking code (kept as its SHA-256 only: the code is the citizen's secret) and the issue it
-- became; the client address kept as a keyed hash only, to limit requests per address; the
-- form's signature, unique, so that a form is sent once (a replay files nothing).
CREATE TABLE citizen_requests (
    id BIGSERIAL PRIMARY KEY,
    code_hash TEXT NOT NULL UNIQUE,
    issue_id BIGINT NOT NULL REFERENCES issues (id),
    address_hash TEXT NOT NULL,
    form_sig TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX citizen_requests_address ON citizen_requests (address_hash, created_at);
CREATE INDEX citizen_requests_issue ON citizen_requests (issue_id);
