-- Sessions of the web console: the cookie holds a random secret, the table its SHA-256 (a
-- copy of the table opens no session). A session ends at logout, after its idle or absolute
-- lifetime, and when the user's token version moves (a password or role change, "sign out
-- everywhere"), as the API's tokens do. Each carries its CSRF token and its language.
CREATE TABLE console_sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_version INTEGER NOT NULL,
    csrf TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seen_at BIGINT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
