-- Pollers whose position is a string (Matrix sync's next_batch), beside numeric offsets
-- (Telegram's update ids).
ALTER TABLE poll_offsets ADD COLUMN token text;
ALTER TABLE poll_offsets ALTER COLUMN next_offset SET DEFAULT 0;
