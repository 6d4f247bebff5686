-- A photo sent alone right after its author's text (issue 15) belongs to that text's message:
-- its `message_media` row names the earlier message, and `via_message` the photo's own message,
-- so deleting either (on the channel, by a moderator, by erasure or retention) lets the photo go.
ALTER TABLE message_media ADD COLUMN via_message bigint REFERENCES messages (id) ON DELETE CASCADE;
CREATE INDEX message_media_via ON message_media (via_message) WHERE via_message IS NOT NULL;
