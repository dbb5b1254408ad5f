-- Tokens end with a password or role change, or a "sign out everywhere": each carries the
-- user's token version, which those changes raise. Client addresses an account signed in from
-- lately still get in while that account is under a guessing attack from elsewhere.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE login_known (
    account TEXT NOT NULL,
    address TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (account, address)
);
-- The instant of each stream's newest event: an event is never recorded as earlier than the
-- one before it in its stream (history reads in order).
ALTER TABLE audit_heads ADD COLUMN at BIGINT NOT NULL DEFAULT 0;
-- Stream heads only move forward: a head cannot be removed or set back (to hide removed events).
CREATE FUNCTION audit_heads_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.stream = OLD.stream AND NEW.seq >= OLD.seq THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_heads only move forward: % refused', TG_OP;
END;
$$;
CREATE TRIGGER audit_heads_forward BEFORE UPDATE OR DELETE ON audit_heads
    FOR EACH ROW EXECUTE FUNCTION audit_heads_forward_only();
CREATE TRIGGER audit_heads_no_truncate BEFORE TRUNCATE ON audit_heads
    FOR EACH STATEMENT EXECUTE FUNCTION audit_heads_forward_only();
