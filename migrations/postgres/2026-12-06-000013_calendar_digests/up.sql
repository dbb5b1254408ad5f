-- Each calendar as the last start-up saw it: a digest of its office hours and one of its
-- holidays. A start-up that finds another digest moves the due instants of the clocks still
-- counting on that calendar (a revised decree, new office hours), each move audited.
CREATE TABLE calendar_digests (
    calendar TEXT PRIMARY KEY,
    hours_digest TEXT NOT NULL,
    holidays_digest TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
