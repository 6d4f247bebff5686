-- Digests, post expiry and partner suggestions (issue #7).

-- One row per digest: an area, a period ('day' or 'week') and the scheduled time it belongs to.
-- The unique key is what makes a digest happen once, whatever the restarts and however many
-- daemons share the database: the first transaction to insert the row queues the deliveries
-- with it; the others find the row there. The rendered email is kept once here (deliveries
-- point at it) instead of once per subscriber.
CREATE TABLE digests (
    id          bigserial PRIMARY KEY,
    area_slug   text NOT NULL REFERENCES areas (slug),
    period      text NOT NULL CHECK (period IN ('day', 'week')),
    -- The cron occurrence (or, for a digest sent by hand, the moment it was asked for).
    slot        timestamptz NOT NULL,
    -- What it covers: (since, slot].
    since       timestamptz NOT NULL,
    manual      boolean NOT NULL DEFAULT false,
    -- 'empty': nothing happened in the period, nothing was sent.
    status      text NOT NULL CHECK (status IN ('queued', 'empty')),
    subject     text,
    body_text   text,
    body_html   text,
    posts       int NOT NULL DEFAULT 0,
    recipients  int NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (area_slug, period, slot)
);
CREATE INDEX digests_latest ON digests (area_slug, period, slot DESC);

-- Expiry: a post expires `expire_after` after it was made or last kept (/garder), with a
-- reminder before. Closing says why.
ALTER TABLE posts ADD COLUMN renewed_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE posts ADD COLUMN reminded_at timestamptz;
ALTER TABLE posts ADD COLUMN closed_reason text CHECK (closed_reason IN ('done', 'expired', 'deleted'));
CREATE INDEX posts_open_by_age ON posts (renewed_at) WHERE status = 'open';

-- At most one partner suggestion per request (partner_id NULL: no partner fitted, do not ask
-- again). The member and time serve the daily cap per member.
CREATE TABLE partner_suggestions (
    request_id   bigint PRIMARY KEY REFERENCES posts (id),
    member_id    bigint NOT NULL REFERENCES members (id),
    partner_id   text,
    suggested_at timestamptz NOT NULL
);
CREATE INDEX partner_suggestions_by_member ON partner_suggestions (member_id, suggested_at);

-- Clicks on partner links, per partner and day: no per-person tracking.
CREATE TABLE partner_clicks (
    partner_id text NOT NULL,
    day        date NOT NULL,
    clicks     bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (partner_id, day)
);
