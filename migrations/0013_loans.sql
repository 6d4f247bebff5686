-- Loans (issue 16): the thing of an offer lent by one neighbour to another, from the proposal
-- to its return. The state changes only through store::loans::LoanState::apply (the state
-- machine) and one UPDATE guarded by the state it starts from, so two daemons or a double
-- click cannot both move a loan.

CREATE TABLE loans (
    id                 bigserial PRIMARY KEY,
    area_slug          text NOT NULL REFERENCES areas (slug),
    -- The offer whose thing is lent (its item is read from it).
    offer_id           bigint NOT NULL REFERENCES posts (id),
    lender_id          bigint NOT NULL REFERENCES members (id),
    borrower_id        bigint NOT NULL REFERENCES members (id),
    -- Where each person hears about the loan: the message they last spoke about it in (their
    -- chat, or their address for a message made by email). A message, not an address, so
    -- that erasing a member (store/privacy.rs) leaves no address here.
    lender_message_id  bigint NOT NULL REFERENCES messages (id),
    borrower_message_id bigint NOT NULL REFERENCES messages (id),
    -- Who proposed: the other one confirms, and until then nothing is lent.
    proposed_by        text NOT NULL CHECK (proposed_by IN ('lender', 'borrower')),
    -- proposed → active → (overdue) → returned; a proposal may be declined (by the other) or
    -- cancelled (by its author). Overdue is a state, not a computation, so that the lender is
    -- told once when the loan becomes overdue and /prets shows it.
    state              text NOT NULL DEFAULT 'proposed'
                       CHECK (state IN ('proposed', 'active', 'overdue', 'returned', 'cancelled', 'declined')),
    -- The day the thing is due back, in the area's time zone (reminders are about days).
    due_on             date NOT NULL,
    -- The borrower said /rendu; the loan closes when the lender confirms. No reminders meanwhile.
    return_claimed_at  timestamptz,
    -- Days the borrower asked for with /prolonger, until the lender answers.
    extension_asked    int CHECK (extension_asked > 0),
    -- The borrower thanked the lender (counted per lender, never a rating).
    thanked_at         timestamptz,
    created_at         timestamptz NOT NULL,
    started_at         timestamptz,
    ended_at           timestamptz,
    CHECK (lender_id <> borrower_id),
    -- A loan that was lent has a start; a closed one has an end.
    CHECK (state NOT IN ('active', 'overdue', 'returned') OR started_at IS NOT NULL),
    CHECK (state NOT IN ('returned', 'cancelled', 'declined') OR ended_at IS NOT NULL),
    -- Thanks only for a returned loan.
    CHECK (thanked_at IS NULL OR state = 'returned')
);
-- One loan per offer at a time: a second request for a lent thing joins the waiting list.
CREATE UNIQUE INDEX loans_one_open_per_offer ON loans (offer_id) WHERE state IN ('proposed', 'active', 'overdue');
-- The scheduler's reminder round reads the running loans by due date.
CREATE INDEX loans_running ON loans (due_on) WHERE state IN ('active', 'overdue');
CREATE INDEX loans_by_lender ON loans (lender_id, id);
CREATE INDEX loans_by_borrower ON loans (borrower_id, id);

-- Each reminder of a loan, recorded once: the primary key is what makes a rerun, a restart or
-- a second daemon not send it again (the row is inserted in the transaction that queues the
-- reminder). The due date is part of the key: an extension starts a new series.
CREATE TABLE loan_reminders (
    loan_id  bigint NOT NULL REFERENCES loans (id) ON DELETE CASCADE,
    due_on   date NOT NULL,
    -- before: the day(s) before; due: on the day; overdue: the n-th reminder after it (seq);
    -- lender-overdue: the lender told that it is overdue.
    kind     text NOT NULL CHECK (kind IN ('before', 'due', 'overdue', 'lender-overdue')),
    seq      int NOT NULL DEFAULT 0 CHECK (seq >= 0),
    sent_at  timestamptz NOT NULL,
    PRIMARY KEY (loan_id, due_on, kind, seq)
);

-- Neighbours waiting for a lent thing, in order of asking; told (told_at) when it comes back.
CREATE TABLE loan_waiters (
    id          bigserial PRIMARY KEY,
    offer_id    bigint NOT NULL REFERENCES posts (id),
    member_id   bigint NOT NULL REFERENCES members (id),
    -- Where they asked (as loans: a message, not an address).
    message_id  bigint NOT NULL REFERENCES messages (id),
    created_at  timestamptz NOT NULL,
    told_at     timestamptz,
    UNIQUE (offer_id, member_id)
);
CREATE INDEX loan_waiters_waiting ON loan_waiters (offer_id, id) WHERE told_at IS NULL;
