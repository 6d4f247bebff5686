-- Issue 19, ingest: the index every new post's matching reads is updated in place.
-- With GIN's default fast update, inserted entries wait in an unsorted pending list that
-- every search scans in full, until a vacuum, an analyze or a 4 MB limit merges them (that
-- merge then falls on one unlucky insert). Matching searches this index once per new post:
-- a longer insert (its entries written into the tree) buys a search that never reads the
-- pending list.
ALTER INDEX posts_open_match SET (fastupdate = off);
