-- Issue 19, 6 (digests at scale): a scheduler round reads each area's period in a few
-- statements for a batch of areas; the figures count members, posts and loans of one area
-- in (since, until]. Without these indexes each count read the whole table, once per area.
CREATE INDEX members_of_area ON members (area_slug, created_at);
CREATE INDEX posts_of_area ON posts (area_slug, created_at);
CREATE INDEX loans_started_in_area ON loans (area_slug, started_at);
CREATE INDEX loans_returned_in_area ON loans (area_slug, ended_at) WHERE state = 'returned';
