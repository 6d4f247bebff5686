-- Municipal polls (issue 18): one question asked in the rooms of chosen areas on every channel
-- and by email, with one tally. A vote belongs to a MEMBER, not to an account: the same person
-- answering on Telegram, then in Matrix, then by email has one vote, the last one.

CREATE TABLE polls (
    id          bigserial PRIMARY KEY,
    -- The commune's name as the areas' `commune` says it.
    commune     text NOT NULL,
    -- Its URL form (the results page's address).
    commune_slug text NOT NULL,
    question    text NOT NULL CHECK (length(question) BETWEEN 1 AND 300),
    options     text[] NOT NULL CHECK (cardinality(options) BETWEEN 2 AND 10),
    multiple    boolean NOT NULL DEFAULT false,
    areas       text[] NOT NULL CHECK (cardinality(areas) >= 1),
    closes_at   timestamptz NOT NULL,
    -- The staff member (lower-cased email) who created it.
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set once, by the closing step, in the transaction that queues the results.
    closed_at   timestamptz
);
CREATE INDEX polls_open ON polls (closes_at) WHERE closed_at IS NULL;
CREATE INDEX polls_of_commune ON polls (commune, created_at DESC);

-- Each room a poll was posted in. Its native message is the outbox delivery named by
-- `dedupe_key`: once sent, that delivery's remote id holds the Matrix event id, or
-- `poll:<Telegram poll id>:<message id>` (written by the outbox with the send itself, so no
-- second write can be lost between sending and remembering).
CREATE TABLE poll_rooms (
    poll_id     bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    channel     text NOT NULL,
    chat        text NOT NULL,
    area_slug   text NOT NULL REFERENCES areas (slug),
    dedupe_key  text NOT NULL UNIQUE,
    PRIMARY KEY (poll_id, channel, chat)
);

-- One vote per member and poll; a later vote replaces it (last one counts), a retraction on
-- Telegram deletes it. `area_slug` is where it was cast (the room's area, or the subscription's),
-- for the per-area results. No text, no address: only who (a member id) chose what.
CREATE TABLE poll_votes (
    poll_id    bigint NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    member_id  bigint NOT NULL REFERENCES members (id) ON DELETE CASCADE,
    choices    smallint[] NOT NULL CHECK (cardinality(choices) >= 1),
    area_slug  text REFERENCES areas (slug),
    channel    text NOT NULL,
    voted_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (poll_id, member_id)
);
