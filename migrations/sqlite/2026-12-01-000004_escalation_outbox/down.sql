DROP TABLE outbox;
DROP TABLE escalation_steps;
DROP INDEX issue_clocks_next_event;
ALTER TABLE issue_clocks DROP COLUMN next_event_at;
ALTER TABLE issue_clocks DROP COLUMN steps_fired;
