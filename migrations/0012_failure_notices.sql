-- The sender is told when a copy of their message fails for good (issue 14, Build 3): one
-- notice per message and cause. The primary key is the dedupe: whichever daemon's outbox sees
-- the failure first inserts the row and queues the notice in the same transaction; the others
-- find the row there. Only relayed copies of a member's message make a notice, so a notice
-- that fails never makes another. /metrics counts these rows (the same figures on every daemon).
CREATE TABLE failure_notices (
    message_id  bigint NOT NULL REFERENCES messages (id),
    cause       text NOT NULL CHECK (cause IN ('gone', 'refused', 'exhausted')),
    -- The channel of the copy that failed.
    channel     text NOT NULL,
    -- The first failed copy of this message for this cause (the one the notice names).
    delivery_id bigint NOT NULL REFERENCES deliveries (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, cause)
);

-- A subscription asked for and not confirmed yet (issue 14, defect 9; in this file because each
-- change of that issue has one migration number). The confirmation link signs only this row's
-- id and the time it was issued, so the address and the area never appear in clear in a link
-- (mail scanners, proxies and browser histories keep links). Links issued before (`c2|…`)
-- carried the request and stay valid for their week.
CREATE TABLE pending_subscriptions (
    id         bigserial PRIMARY KEY,
    address    text NOT NULL,
    area_slug  text NOT NULL REFERENCES areas (slug),
    rhythm     text NOT NULL CHECK (rhythm IN ('each', 'daily', 'weekly')),
    member_id  bigint REFERENCES members (id),
    lang       text NOT NULL,
    issued     bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
