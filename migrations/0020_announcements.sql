-- Municipal announcements (issue 18): what a commune's editor publishes to chosen areas. Each is
-- relayed once in the areas' rooms (outbox deliveries with dedupe keys, queued in the
-- transaction that inserts the row), mailed at once to every subscriber when urgent, and
-- otherwise listed once in the next digest of each area (the digest whose period holds
-- created_at). Public: the commune's archive page and Atom feed show them.

CREATE TABLE announcements (
    id           bigserial PRIMARY KEY,
    -- The commune's name as the areas' `commune` says it, and its URL form.
    commune      text NOT NULL,
    commune_slug text NOT NULL,
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    -- Optional: the day it is about, and where.
    happens_on   date,
    place        text CHECK (place IS NULL OR length(place) BETWEEN 1 AND 200),
    areas        text[] NOT NULL CHECK (cardinality(areas) >= 1),
    urgent       boolean NOT NULL DEFAULT false,
    -- The staff member (lower-cased email) who published it.
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The form's one-time token: the same form sent twice (a double click, a resent POST)
    -- publishes once. NULL when published otherwise.
    submission   text UNIQUE
);
CREATE INDEX announcements_of_commune ON announcements (commune_slug, created_at DESC);
-- The digests' question: the non-urgent announcements of an area in a period.
CREATE INDEX announcements_for_digests ON announcements USING gin (areas) WHERE NOT urgent;
