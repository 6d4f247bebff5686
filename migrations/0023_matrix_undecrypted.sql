-- Encrypted Matrix events the bot could not decrypt yet (issue 17): the room key had not
-- reached the bot's device. They are tried again after each sync (a room key may have come
-- in a to-device event), handled once decrypted, and their sender is told once, after a while,
-- to send the message again. The sync moves on meanwhile: nothing waits for them.
CREATE TABLE matrix_undecrypted (
    event_id    text PRIMARY KEY,
    room        text NOT NULL,
    sender      text NOT NULL,
    raw         text NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now(),
    notified_at timestamptz
);
CREATE INDEX matrix_undecrypted_seen ON matrix_undecrypted (seen_at);
