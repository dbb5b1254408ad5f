DROP TRIGGER audit_heads_no_truncate ON audit_heads;
DROP TRIGGER audit_heads_forward ON audit_heads;
DROP FUNCTION audit_heads_forward_only();
ALTER TABLE audit_heads DROP COLUMN at;
DROP TABLE login_known;
ALTER TABLE users DROP COLUMN token_version;
