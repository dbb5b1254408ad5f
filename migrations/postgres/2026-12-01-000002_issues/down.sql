DROP TABLE idempotency_keys;
DROP TABLE issue_comments;
DROP TABLE issue_tags;
DROP TABLE issues;
DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT sequencename FROM pg_sequences WHERE sequencename LIKE 'issue\_ref\_%' LOOP
        EXECUTE 'DROP SEQUENCE ' || quote_ident(s.sequencename);
    END LOOP;
END
$$;
