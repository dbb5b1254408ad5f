DROP TABLE login_failures;
DROP TABLE audit_heads;
DROP TRIGGER audit_events_no_delete;
DROP TRIGGER audit_events_no_update;
DROP TABLE audit_events;
DROP TABLE users;
DROP TABLE units;
