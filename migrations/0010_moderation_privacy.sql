-- Area moderators, erasure and export (issue 14).

-- Keeps 0009's reasons (rejected, unanswered, corrected).
-- A post can be closed by a moderator (/supprimer) or by its author's erasure (/oublier).
ALTER TABLE posts DROP CONSTRAINT posts_closed_reason_check;
ALTER TABLE posts ADD CONSTRAINT posts_closed_reason_check
    CHECK (closed_reason IN ('done', 'expired', 'deleted', 'rejected', 'unanswered', 'corrected',
                             'moderated', 'erased'));

-- A member banned from an area: nothing they say there (on any of their identities) is read,
-- relayed or answered until a moderator lifts the ban.
CREATE TABLE bans (
    member_id  bigint NOT NULL REFERENCES members (id),
    area_slug  text NOT NULL REFERENCES areas (slug),
    banned_by  bigint REFERENCES members (id),
    banned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (member_id, area_slug)
);

-- What moderators did and what members reported: who, what, when, which copies. Member ids
-- only (no text, no address), so an erasure leaves the log as it is.
CREATE TABLE moderation_log (
    id         bigserial PRIMARY KEY,
    area_slug  text NOT NULL REFERENCES areas (slug),
    action     text NOT NULL CHECK (action IN ('delete', 'ban', 'unban', 'report')),
    actor_id   bigint REFERENCES members (id),
    subject_id bigint REFERENCES members (id),
    message_id bigint REFERENCES messages (id),
    -- The copies the action reached, as "channel:target" (rooms, not people).
    copies     text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_by_area ON moderation_log (area_slug, id DESC);

-- /oublier asks first; /oublier confirmer within the time limit erases.
CREATE TABLE erasure_requests (
    member_id bigint PRIMARY KEY REFERENCES members (id),
    asked_at  timestamptz NOT NULL
);

-- Each erasure, without personal data: when, and how much it erased.
CREATE TABLE erasures (
    id            bigserial PRIMARY KEY,
    erased_at     timestamptz NOT NULL,
    messages      int NOT NULL,
    copies        int NOT NULL,
    posts         int NOT NULL,
    identities    int NOT NULL,
    subscriptions int NOT NULL
);

-- An erased member keeps an anonymous row (posts and figures point at it).
ALTER TABLE members ADD COLUMN erased_at timestamptz;

-- A message whose text was erased (by its author, or by the retention limit).
ALTER TABLE messages ADD COLUMN erased_at timestamptz;
CREATE INDEX messages_text_kept ON messages (sent_at) WHERE erased_at IS NULL;
CREATE INDEX messages_by_member ON messages (member_id);
