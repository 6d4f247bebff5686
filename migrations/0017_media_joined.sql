-- Photos and files (issue 15), second part.
-- A photo sent alone right after its author's text belongs to that text's message (as do the
-- later parts of an album, below):
-- its `message_media` row names the earlier message, and `via_message` the photo's own message,
-- so deleting either (on the channel, by a moderator, by erasure or retention) lets the photo go.
ALTER TABLE message_media ADD COLUMN via_message bigint REFERENCES messages (id) ON DELETE CASCADE;
CREATE INDEX message_media_via ON message_media (via_message) WHERE via_message IS NOT NULL;

-- The Telegram album (media group) a message is part of: the parts of one album arrive as
-- separate messages, and the later ones join the first (their files become its files).
ALTER TABLE messages ADD COLUMN media_group text;
CREATE INDEX messages_media_group ON messages (channel, chat_external_id, media_group)
    WHERE media_group IS NOT NULL;
