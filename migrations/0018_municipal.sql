-- Municipal pages (issue 18): staff sign-in and sessions. (The private line keeps nothing of
-- its own: its mails are deliveries caused by the resident's message.)
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
