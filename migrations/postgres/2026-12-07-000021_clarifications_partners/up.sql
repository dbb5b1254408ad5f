-- Clarifications proposed for publication, approved by the TRC as the government's one voice,
-- and published under a stable public id. What the public pages show is the snapshot taken at
-- approval (title, text, verdict, unit, district...): the public side reads only this table's
-- published rows, never the issue. A restricted issue's clarification is `standalone`: a text
-- written for the public, with none of the issue's fields.
CREATE TABLE clarifications (
    id BIGSERIAL PRIMARY KEY,
    issue_id BIGINT NOT NULL REFERENCES issues (id),
    public_id TEXT UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('proposed', 'returned', 'published', 'withdrawn')),
    title TEXT NOT NULL,
    claim TEXT,
    body TEXT NOT NULL,
    urls TEXT NOT NULL DEFAULT '[]',
    standalone BOOLEAN NOT NULL,
    verdict TEXT,
    disinformation_type TEXT,
    category TEXT,
    district TEXT,
    unit_code TEXT,
    unit_name TEXT,
    detected_at BIGINT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_at BIGINT NOT NULL,
    decided_by TEXT,
    return_reason TEXT,
    published_at BIGINT,
    withdrawn_at BIGINT,
    withdraw_reason TEXT,
    search TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX clarifications_issue ON clarifications (issue_id);
CREATE INDEX clarifications_state ON clarifications (state, id);
CREATE INDEX clarifications_published ON clarifications (published_at, id) WHERE state = 'published';

-- Partners who carry clarifications to people: media outlets, KIM groups, content creators,
-- other agencies, with their cooperation agreement of a budget year.
CREATE TABLE partners (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('media', 'kim', 'creator', 'agency')),
    email TEXT NOT NULL,
    districts TEXT NOT NULL DEFAULT '[]',
    topics TEXT NOT NULL DEFAULT '[]',
    agreement_number TEXT,
    agreement_year INTEGER,
    agreement_from TEXT,
    agreement_to TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One row per clarification and partner: the unique key makes a second fan-out impossible.
CREATE TABLE partner_deliveries (
    id BIGSERIAL PRIMARY KEY,
    clarification_id BIGINT NOT NULL REFERENCES clarifications (id),
    partner_id BIGINT NOT NULL REFERENCES partners (id),
    queued_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    first_reshare_at BIGINT,
    UNIQUE (clarification_id, partner_id)
);
CREATE INDEX partner_deliveries_partner ON partner_deliveries (partner_id, queued_at);

-- Where a partner republished a clarification, as it reported.
CREATE TABLE partner_reshares (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES partner_deliveries (id),
    url TEXT NOT NULL,
    reach BIGINT,
    reported_at BIGINT NOT NULL,
    UNIQUE (delivery_id, url)
);
