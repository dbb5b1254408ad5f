-- Messages being sent, by the end of their lease: the outbox worker looks for expired leases
-- (an instance stopped mid-send) before every claim, and there are only ever a few hundred of
-- them among all the messages the outbox keeps.
CREATE INDEX outbox_leased ON outbox(lease_until) WHERE state = 'sending';

-- Only imported issues have an external id or an import key. As full indexes, every filing
-- and every change of an issue that cannot be made in place (a new escalation level, a new
-- status) also wrote an entry for its NULLs into both; partial, they hold the imported ones
-- only, and `= value` lookups still use them. Uniqueness is unchanged (NULLs never collided).
DROP INDEX issues_external_id;
CREATE UNIQUE INDEX issues_external_id ON issues(external_id) WHERE external_id IS NOT NULL;
DROP INDEX issues_import_key;
CREATE UNIQUE INDEX issues_import_key ON issues(import_key) WHERE import_key IS NOT NULL;
