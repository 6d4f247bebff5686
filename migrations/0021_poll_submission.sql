-- The poll form's one-time token (issue 18): the same form sent twice (a double click, a
-- resent POST) creates and sends one poll. NULL for polls created otherwise.
ALTER TABLE polls ADD COLUMN submission text UNIQUE;
