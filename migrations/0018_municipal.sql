-- Municipal pages (issue 18): staff sign-in and sessions, announcements, the private line.
-- Staff are listed in the configuration, not here: these tables hold only what sign-in needs
-- (hashed secrets, expiries) and what the commune published.

-- A sign-in link sent by email: only the SHA-256 of its secret is kept, so a copy of the
-- database signs nobody in. Single use (used_at) and short-lived (expires_at).
CREATE TABLE muni_signin_links (
    token_hash  text PRIMARY KEY,
    email       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- Every sign-in request, known address or not, for the rate limits (per address, per client).
CREATE TABLE muni_signin_requests (
    id      bigserial PRIMARY KEY,
    email   text NOT NULL,
    client  text NOT NULL,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX muni_signin_requests_email ON muni_signin_requests (email, at);
CREATE INDEX muni_signin_requests_client ON muni_signin_requests (client, at);

-- A signed-in browser. The cookie carries a signed secret whose SHA-256 is token_hash;
-- signing out (or an operator) sets revoked_at. csrf is the session's anti-forgery token.
CREATE TABLE muni_sessions (
    id          bigserial PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,
    email       text NOT NULL,
    csrf        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);

-- An announcement of a commune (its slug) to some of its areas. Public: the archive and the
-- feed show it. Relayed to the rooms in the transaction that stores it; non-urgent ones go to
-- email subscribers in the next digest of each area (created_at inside the digest's period).
CREATE TABLE announcements (
    id          bigserial PRIMARY KEY,
    commune     text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    happens     text,
    place       text,
    areas       text[] NOT NULL,
    urgent      boolean NOT NULL,
    author      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX announcements_commune ON announcements (commune, created_at DESC);
CREATE INDEX announcements_areas ON announcements USING gin (areas);

-- The private line: a resident's "/mairie …" sent by email to the commune's contact. The
-- contact's reply (to the signed reply address naming this row) goes back to reply_channel /
-- reply_target, the resident's private chat.
CREATE TABLE mairie_messages (
    id             bigserial PRIMARY KEY,
    member_id      bigint REFERENCES members (id) ON DELETE CASCADE,
    commune        text NOT NULL,
    reply_channel  text NOT NULL,
    reply_target   text NOT NULL,
    lang           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
