DROP TRIGGER audit_heads_no_delete;
DROP TRIGGER audit_heads_forward;
ALTER TABLE audit_heads DROP COLUMN at;
DROP TABLE login_known;
ALTER TABLE users DROP COLUMN token_version;
