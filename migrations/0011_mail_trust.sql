-- Authenticated email (issue 14, Build 4): a mail from a subscriber's address that the mail
-- server did not authenticate (or every mail, with sender_check = "confirm-every-mail") is held
-- here until the address's owner follows the signed link "was this you?" and posts it, or until
-- it expires (the row is then deleted: nothing of a forger's text stays).
CREATE TABLE held_mails (
    id         bigserial PRIMARY KEY,
    -- The subscriber's address the mail claims to come from (lower-cased).
    address    text NOT NULL,
    -- The mail's Message-ID (or fingerprint): the same mail read twice is held once.
    native_id  text NOT NULL UNIQUE,
    -- The mail as the adapter read it (core::mail::Mail), posted as is once confirmed.
    mail       jsonb NOT NULL,
    -- Why it was held ("dmarc=fail", "no Authentication-Results from mx.example.org", "confirm-every-mail").
    reason     text NOT NULL,
    held_at    timestamptz NOT NULL,
    status     text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'posted')),
    posted_at  timestamptz
);
CREATE INDEX held_mails_of_address ON held_mails (address, held_at) WHERE status = 'held';

-- Bounces decay (issue 14, Build 5): a soft bounce counts at most once a day, and the count
-- starts again after 30 days without one.
ALTER TABLE email_subscriptions ADD COLUMN last_soft_bounce_at timestamptz;
