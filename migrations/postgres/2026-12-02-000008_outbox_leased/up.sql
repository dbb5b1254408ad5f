-- Messages being sent, by the end of their lease: the outbox worker looks for expired leases
-- (an instance stopped mid-send) before every claim, and there are only ever a few hundred of
-- them among all the messages the outbox keeps.
CREATE INDEX outbox_leased ON outbox(lease_until) WHERE state = 'sending';
