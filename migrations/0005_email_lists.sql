-- An area's email list is a chat of its own kind: messages written by email belong to the area
-- (so ingest finds the area), but nothing is sent "to the list": each subscriber gets their
-- own deliveries, at their own rhythm.
ALTER TABLE chats DROP CONSTRAINT chats_kind_check;
ALTER TABLE chats ADD CONSTRAINT chats_kind_check CHECK (kind IN ('room', 'direct', 'group', 'list'));
ALTER TABLE chats DROP CONSTRAINT chats_room_has_area;
ALTER TABLE chats ADD CONSTRAINT chats_room_has_area CHECK (kind NOT IN ('room', 'list') OR area_slug IS NOT NULL);
-- Mail read over IMAP is marked with this keyword once handled (see channels/email/imap.rs).
