-- Loans, second round (issue 16): several copies of an offer, and "jusqu'à quand ?".

-- How many of the thing an offer has to lend ("j'ai 2 perceuses", "j'en ai deux"), as the
-- parser read it: that many loans of the offer may run at once, and the offer takes new
-- matches until every copy is lent. Bounded so that a misread number lends nothing absurd.
ALTER TABLE posts ADD COLUMN copies int NOT NULL DEFAULT 1 CHECK (copies BETWEEN 1 AND 20);

-- One open loan per offer *copy*: the unique index allowed one per offer. Proposals now lock
-- the offer's row and count its open loans against `copies` (store::loans::propose), which
-- serialises two proposals of the same offer as the index did.
DROP INDEX loans_one_open_per_offer;
CREATE INDEX loans_open_by_offer ON loans (offer_id) WHERE state IN ('proposed', 'active', 'overdue');

-- Neither the command nor the posts' dates said until when: the proposal went out with the
-- default length and its proposer was asked "jusqu'à quand ?". Their answer (a date or a
-- number of days, in reply) sets `due_on` once and clears this; without an answer the default
-- stands. Only while the loan runs or is proposed: an answer to a closed loan changes nothing.
ALTER TABLE loans ADD COLUMN due_asked boolean NOT NULL DEFAULT false;
