-- Email subscriptions: an address follows one area's news at its rhythm. A row exists only once
-- the address's owner confirmed (double opt-in): asking, from a chat or by email, only sends a
-- confirmation link, so nobody can subscribe someone else.
CREATE TABLE email_subscriptions (
    id               bigserial PRIMARY KEY,
    -- Lower-cased.
    address          text NOT NULL UNIQUE,
    area_slug        text NOT NULL REFERENCES areas (slug),
    -- The member who asked from a chat, when there was one.
    member_id        bigint REFERENCES members (id),
    display_name     text,
    rhythm           text NOT NULL DEFAULT 'weekly' CHECK (rhythm IN ('each', 'daily', 'weekly')),
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unsubscribed', 'suspended')),
    confirmed_at     timestamptz NOT NULL DEFAULT now(),
    unsubscribed_at  timestamptz,
    suspended_reason text,
    soft_bounces     int NOT NULL DEFAULT 0
);
CREATE INDEX email_subscriptions_of_area ON email_subscriptions (area_slug, rhythm) WHERE status = 'active';

-- Keys the daemons share: the key that signs confirmation and unsubscribe links is made once
-- (random) at first start unless the configuration gives one.
CREATE TABLE daemon_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
