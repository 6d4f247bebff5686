-- Asking when unsure, and corrections (issue 13, items 5 and 6).

-- A reading the parser is unsure of is stored as a 'pending' post: not announced, not matched,
-- not in digests (they all read 'open' posts) until its author says it is right. Closing says
-- why: the author said no ('rejected'), nobody answered in time ('unanswered'), or a correction
-- replaced it ('corrected').
ALTER TABLE posts DROP CONSTRAINT posts_status_check;
ALTER TABLE posts ADD CONSTRAINT posts_status_check CHECK (status IN ('open', 'closed', 'pending'));
ALTER TABLE posts DROP CONSTRAINT posts_closed_reason_check;
ALTER TABLE posts ADD CONSTRAINT posts_closed_reason_check
    CHECK (closed_reason IN ('done', 'expired', 'deleted', 'rejected', 'unanswered', 'corrected'));
CREATE INDEX posts_pending ON posts (message_id) WHERE status = 'pending';

-- One question per message whose reading is unsure: asked of its author, answered once (yes,
-- no, a correction) or expired. The scheduler expires the unanswered ones (row locks: safe
-- with several daemons).
CREATE TABLE questions (
    message_id  bigint PRIMARY KEY REFERENCES messages (id),
    member_id   bigint NOT NULL REFERENCES members (id),
    asked_at    timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    answer      text CHECK (answer IN ('yes', 'no', 'corrected', 'expired')),
    answered_at timestamptz,
    CHECK ((answer IS NULL) = (answered_at IS NULL))
);
CREATE INDEX questions_open ON questions (expires_at) WHERE answer IS NULL;
CREATE INDEX questions_by_member ON questions (member_id, asked_at) WHERE answer IS NULL;

-- Every answer and correction is a labelled example in the corpus format (SCHEMA.md): the text
-- as it was read, when it was sent (RFC 3339, the area's local time), and the posts it holds
-- (`expect`, an empty array for "not a post"). `voisinage corpus export` writes them out,
-- anonymised, for the team to extend the lexicon from real misses.
CREATE TABLE corrections (
    id          bigserial PRIMARY KEY,
    message_id  bigint NOT NULL REFERENCES messages (id),
    by_member   bigint NOT NULL REFERENCES members (id),
    kind        text NOT NULL CHECK (kind IN ('confirmed', 'rejected', 'corrected')),
    text        text NOT NULL,
    sent_at     text NOT NULL,
    expect      jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX corrections_by_message ON corrections (message_id, id);
