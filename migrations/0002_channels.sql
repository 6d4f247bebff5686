-- What the chat adapters need from the store: rooms that can be unlinked, chats that went
-- away, invite links, edits and deletions that reach the copies, the pollers' offsets, and a
-- place for updates no one could read.

-- A group that is no area's room (unlinked, or never linked) keeps its row so that its
-- messages keep their chat; only a room needs an area.
ALTER TABLE chats DROP CONSTRAINT chats_kind_check;
ALTER TABLE chats ADD CONSTRAINT chats_kind_check CHECK (kind IN ('room', 'direct', 'group'));
ALTER TABLE chats DROP CONSTRAINT chats_check;
ALTER TABLE chats ADD CONSTRAINT chats_room_has_area CHECK (kind <> 'room' OR area_slug IS NOT NULL);
-- The link a neighbour follows to join the room (a Telegram invite link, a matrix.to link).
ALTER TABLE chats ADD COLUMN invite_link text;
-- Set when the channel says the chat is gone for the bot (kicked, blocked): nothing more is
-- queued for it and what was queued fails with this reason, instead of retrying forever.
ALTER TABLE chats ADD COLUMN gone_at timestamptz;
ALTER TABLE chats ADD COLUMN gone_reason text;

-- A deleted message keeps its row (and body): the copies are deleted and its posts closed.
ALTER TABLE messages ADD COLUMN deleted_at timestamptz;

-- Each edit of a message, once: `edit_key` is the channel's id of the edit (Telegram's
-- edit_date and text, Matrix's replacement event), so a redelivered edit changes nothing.
-- The previous body is kept: nothing said is lost.
CREATE TABLE message_edits (
    id            bigserial PRIMARY KEY,
    message_id    bigint NOT NULL REFERENCES messages (id),
    edit_key      text NOT NULL,
    previous_body text NOT NULL,
    body          text NOT NULL,
    edited_at     timestamptz NOT NULL,
    UNIQUE (message_id, edit_key)
);

-- Where a singleton poller (Telegram getUpdates, later Matrix sync and IMAP) resumes: the next
-- update to ask for. Written after each update is handled.
CREATE TABLE poll_offsets (
    poller      text PRIMARY KEY,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Inbound data an adapter could not read (malformed updates): kept, with the reason, rather
-- than dropped.
CREATE TABLE dead_letters (
    id          bigserial PRIMARY KEY,
    channel     text NOT NULL,
    raw         text NOT NULL,
    error       text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Relay copies of a message, for edits, deletions and replies.
CREATE INDEX deliveries_by_remote ON deliveries (channel, target, remote_id) WHERE remote_id IS NOT NULL;
