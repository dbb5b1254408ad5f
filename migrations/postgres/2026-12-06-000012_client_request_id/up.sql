-- The request id a client sent is kept apart from the server's own: `request_id` is always the
-- id this server made for the request, `client_request_id` what the client said in
-- X-Request-Id (if anything), so a client cannot pass its requests off as others'.
ALTER TABLE audit_events ADD COLUMN client_request_id TEXT;
