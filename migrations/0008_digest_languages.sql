-- A digest in each subscriber's language (issue 12). A digest is still made once per area,
-- period and slot (the `digests` row and its unique key), but its email is rendered once per
-- language its subscribers read: one row here per (digest, language), at most two. Each
-- delivery points at the digest and names its language; the outbox fills the body in from
-- here when it sends. A table rather than a jsonb of bodies on `digests`: typed, NOT NULL
-- columns, a key that stops a language's body from being written twice, and the outbox
-- reads the one body it sends without loading the other.
CREATE TABLE digest_bodies (
    digest_id  bigint NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    lang       text NOT NULL CHECK (lang IN ('fr', 'en')),
    subject    text NOT NULL,
    body_text  text NOT NULL,
    body_html  text NOT NULL,
    PRIMARY KEY (digest_id, lang)
);

-- The digests made so far were French: their body moves here, so that deliveries still
-- queued (their payload names no language, read as French) find it.
INSERT INTO digest_bodies (digest_id, lang, subject, body_text, body_html)
SELECT id, 'fr', coalesce(subject, ''), body_text, coalesce(body_html, '')
FROM digests
WHERE body_text IS NOT NULL;

ALTER TABLE digests DROP COLUMN subject, DROP COLUMN body_text, DROP COLUMN body_html;
