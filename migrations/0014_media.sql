-- Photos and files (issue 15): each file is stored once, by the hash of its stored bytes, in
-- the media store (data_dir/media by default); these rows say what it is and who uses it.
CREATE TABLE media (
    hash          text PRIMARY KEY,
    mime          text NOT NULL,
    size          bigint NOT NULL,
    width         integer,
    height        integer,
    -- The small copy digests show (itself a file of the store), for images.
    thumb_hash    text,
    thumb_width   integer,
    thumb_height  integer,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Set when the last message using it let it go (deletion, moderation, erasure,
    -- retention): the purge step then deletes the file and this row.
    released_at   timestamptz
);

-- Which message carries which file (a caption's message and its photo).
CREATE TABLE message_media (
    message_id  bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position    integer NOT NULL DEFAULT 0,
    hash        text NOT NULL REFERENCES media (hash),
    PRIMARY KEY (message_id, position)
);
CREATE INDEX message_media_hash ON message_media (hash);

-- What a channel already holds of a file (a Matrix mxc:// URI, a Telegram file_id), so that a
-- retried or repeated send does not upload it again.
CREATE TABLE media_remote (
    hash     text NOT NULL REFERENCES media (hash) ON DELETE CASCADE,
    channel  text NOT NULL,
    remote   text NOT NULL,
    PRIMARY KEY (hash, channel)
);
