-- What is lent out in an area (issue 19): every new request asks whether anything is, and a
-- request nothing available fits looks for the lent things that fit it. Without this index both
-- read every running loan of every area.
CREATE INDEX loans_lent_by_area ON loans (area_slug) WHERE state IN ('active', 'overdue');
