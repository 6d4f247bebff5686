//! Loans, their reminders and waiting lists (`loans`, `loan_reminders`, `loan_waiters`), and
//! the loan's state machine: [`LoanState::apply`] is the only way to a [`Transition`], and
//! [`transition`] (an UPDATE guarded by the state it starts from) the only statement that
//! changes a loan's state.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, PgPool};

use super::Tx;
use crate::core::model::ChannelKind;
use crate::i18n::Lang;

/// Where a loan is (`loans.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoanState {
    /// Proposed by one person, waiting for the other's confirmation: nothing is lent yet.
    Proposed,
    /// Both confirmed: the thing is lent until `due_on`.
    Active,
    /// Past `due_on` and not returned.
    Overdue,
    Returned,
    /// Withdrawn by the person who proposed it.
    Cancelled,
    /// Refused by the other person.
    Declined,
}

/// What happens to a loan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoanEvent {
    /// The other person confirms the proposal.
    Confirm,
    Decline,
    Cancel,
    /// The scheduler finds the due date past.
    FallDue,
    /// The lender gives more time, until this day.
    Extend {
        due_on: NaiveDate,
    },
    /// The lender confirms the thing is back.
    Return,
}

/// A change of state the machine allowed; only [`LoanState::apply`] makes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    from: LoanState,
    to: LoanState,
    due_on: Option<NaiveDate>,
}

impl Transition {
    pub fn to(&self) -> LoanState {
        self.to
    }
}

impl LoanState {
    pub const ALL: [LoanState; 6] = [
        LoanState::Proposed,
        LoanState::Active,
        LoanState::Overdue,
        LoanState::Returned,
        LoanState::Cancelled,
        LoanState::Declined,
    ];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            LoanState::Proposed => "proposed",
            LoanState::Active => "active",
            LoanState::Overdue => "overdue",
            LoanState::Returned => "returned",
            LoanState::Cancelled => "cancelled",
            LoanState::Declined => "declined",
        }
    }

    /// The thing is with the borrower.
    pub fn is_lent(self) -> bool {
        matches!(self, LoanState::Active | LoanState::Overdue)
    }

    /// The transition `event` makes from this state, or None when it does not apply (a
    /// return of a proposal, a confirmation of a returned loan…). An extension of an overdue
    /// loan makes it active again; whether the new day is in the future is the caller's.
    pub fn apply(self, event: LoanEvent) -> Option<Transition> {
        use LoanEvent as E;
        use LoanState as S;
        let (to, due_on) = match (self, event) {
            (S::Proposed, E::Confirm) => (S::Active, None),
            (S::Proposed, E::Decline) => (S::Declined, None),
            (S::Proposed, E::Cancel) => (S::Cancelled, None),
            (S::Active, E::FallDue) => (S::Overdue, None),
            (S::Active | S::Overdue, E::Extend { due_on }) => (S::Active, Some(due_on)),
            (S::Active | S::Overdue, E::Return) => (S::Returned, None),
            _ => return None,
        };
        Some(Transition { from: self, to, due_on })
    }
}

/// A loan as the core reads it.
#[derive(Debug, Clone, FromRow)]
pub struct Loan {
    pub id: i64,
    pub area_slug: String,
    pub offer_id: i64,
    pub item: String,
    pub lender_id: i64,
    pub borrower_id: i64,
    pub lender_message_id: i64,
    pub borrower_message_id: i64,
    /// "lender" or "borrower".
    pub proposed_by: String,
    pub state: LoanState,
    pub due_on: NaiveDate,
    pub return_claimed_at: Option<DateTime<Utc>>,
    pub extension_asked: Option<i32>,
    pub thanked_at: Option<DateTime<Utc>>,
    /// Its proposer was asked "jusqu'à quand ?" and has not answered (migration 0016).
    pub due_asked: bool,
    pub lender_name: String,
    pub borrower_name: String,
}

const LOAN: &str = "SELECT l.id, l.area_slug, l.offer_id, p.item, l.lender_id, l.borrower_id, l.lender_message_id,
        l.borrower_message_id, l.proposed_by, l.state, l.due_on, l.return_claimed_at, l.extension_asked, l.thanked_at,
        l.due_asked, ml.display_name AS lender_name, mb.display_name AS borrower_name
 FROM loans l JOIN posts p ON p.id = l.offer_id JOIN members ml ON ml.id = l.lender_id
      JOIN members mb ON mb.id = l.borrower_id";

/// The SQL condition "offer `p` has a copy not lent now", for matching (store/posts.rs): a
/// thing whose every copy is lent takes no new match.
pub const NOT_LENT: &str =
    "(SELECT count(*) FROM loans lent WHERE lent.offer_id = p.id AND lent.state IN ('active', 'overdue')) < p.copies";

/// The SQL condition "offer `p` has no copy lent now": what post expiry closes or reminds
/// about (store/posts.rs), so a loan is never closed under its borrower.
pub const NOT_ON_LOAN: &str =
    "NOT EXISTS (SELECT 1 FROM loans lent WHERE lent.offer_id = p.id AND lent.state IN ('active', 'overdue'))";

/// A new proposal.
#[derive(Debug, Clone, Copy)]
pub struct NewLoan<'a> {
    pub area: &'a str,
    pub offer_id: i64,
    pub lender_id: i64,
    pub borrower_id: i64,
    pub lender_message_id: i64,
    pub borrower_message_id: i64,
    pub proposed_by: &'a str,
    pub due_on: NaiveDate,
    /// The proposer is asked until when (nothing said it).
    pub due_asked: bool,
    pub now: DateTime<Utc>,
}

/// Records a proposal; None when every copy of the offer has an open loan (proposed or lent).
/// The caller holds the offer's row lock ([`open_offer`]), so two proposals of the same offer
/// count its loans one after the other.
pub async fn propose(tx: &mut Tx<'_>, new: NewLoan<'_>) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO loans (area_slug, offer_id, lender_id, borrower_id, lender_message_id, borrower_message_id,
                            proposed_by, due_on, created_at, due_asked)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM posts p
         WHERE p.id = $2
           AND (SELECT count(*) FROM loans o WHERE o.offer_id = p.id AND o.state IN ('proposed', 'active', 'overdue'))
               < p.copies
         RETURNING id",
    )
    .bind(new.area)
    .bind(new.offer_id)
    .bind(new.lender_id)
    .bind(new.borrower_id)
    .bind(new.lender_message_id)
    .bind(new.borrower_message_id)
    .bind(new.proposed_by)
    .bind(new.due_on)
    .bind(new.now)
    .bind(new.due_asked)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Applies `t` to loan `id` if it is still in the state `t` starts from (a concurrent change
/// wins otherwise). Returns whether it applied.
/// The question "jusqu'à quand ?" (`due_asked`) stands while the loan is proposed or running on
/// its first date: an extension, an overdue day or an end closes it.
pub async fn transition(tx: &mut Tx<'_>, id: i64, t: Transition, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE loans SET state = $3, due_on = coalesce($4, due_on),
                started_at = CASE WHEN $3 = 'active' THEN coalesce(started_at, $5) ELSE started_at END,
                ended_at = CASE WHEN $3 IN ('returned', 'cancelled', 'declined') THEN $5 ELSE ended_at END,
                extension_asked = CASE WHEN $4::date IS NULL THEN extension_asked END,
                due_asked = CASE WHEN $4::date IS NULL AND $3 IN ('proposed', 'active') THEN due_asked ELSE false END,
                return_claimed_at = CASE WHEN $3 = 'returned' THEN coalesce(return_claimed_at, $5)
                                         ELSE return_claimed_at END
         WHERE id = $1 AND state = $2",
    )
    .bind(id)
    .bind(t.from)
    .bind(t.to)
    .bind(t.due_on)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// One loan, locked for the transaction.
pub async fn get_for_update(tx: &mut Tx<'_>, id: i64) -> anyhow::Result<Option<Loan>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{LOAN} WHERE l.id = $1 FOR UPDATE OF l")))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// The loans of `member` (lent and borrowed) in `states`, newest first.
pub async fn of_member(
    db: impl sqlx::PgExecutor<'_>,
    member: i64,
    states: &[LoanState],
    limit: i64,
) -> anyhow::Result<Vec<Loan>> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LOAN} WHERE (l.lender_id = $1 OR l.borrower_id = $1) AND l.state = ANY($2) ORDER BY l.id DESC LIMIT $3"
    )))
    .bind(member)
    .bind(&states)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The open loans (proposed or lent) of an offer, the one due first first.
pub async fn open_of_offer(tx: &mut Tx<'_>, offer: i64) -> anyhow::Result<Vec<Loan>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LOAN} WHERE l.offer_id = $1 AND l.state IN ('proposed', 'active', 'overdue') ORDER BY l.due_on, l.id"
    )))
    .bind(offer)
    .fetch_all(&mut **tx)
    .await?)
}

/// The loan whose proposer, asked "jusqu'à quand ?", answers in reply to the bot's answer to
/// their message `message`: proposed by `member` in that message, still waiting for a date.
pub async fn asked_due_of(tx: &mut Tx<'_>, member: i64, message: i64) -> anyhow::Result<Option<Loan>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LOAN} WHERE l.due_asked AND l.state IN ('proposed', 'active')
           AND ((l.proposed_by = 'borrower' AND l.borrower_id = $1 AND l.borrower_message_id = $2)
             OR (l.proposed_by = 'lender' AND l.lender_id = $1 AND l.lender_message_id = $2))
         ORDER BY l.id DESC LIMIT 1 FOR UPDATE OF l"
    )))
    .bind(member)
    .bind(message)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The proposer's answer to "jusqu'à quand ?": the due date, once (the question is then
/// closed): a date, not a state (the reminders follow `due_on`). Returns whether it applied.
pub async fn set_asked_due(tx: &mut Tx<'_>, id: i64, due_on: NaiveDate) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE loans SET due_on = $2, due_asked = false
         WHERE id = $1 AND due_asked AND state IN ('proposed', 'active')",
    )
    .bind(id)
    .bind(due_on)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The borrower says it is back: the lender is asked to confirm (no reminders meanwhile).
pub async fn claim_return(tx: &mut Tx<'_>, id: i64, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE loans SET return_claimed_at = $2
         WHERE id = $1 AND state IN ('active', 'overdue') AND return_claimed_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The borrower asks for `days` more.
pub async fn ask_extension(tx: &mut Tx<'_>, id: i64, days: i32) -> anyhow::Result<()> {
    sqlx::query("UPDATE loans SET extension_asked = $2 WHERE id = $1 AND state IN ('active', 'overdue')")
        .bind(id)
        .bind(days)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The borrower thanks the lender, once per loan. Returns the lender's count of thanks after
/// it, or None when this loan was already thanked (or is not returned).
pub async fn thank(tx: &mut Tx<'_>, id: i64, now: DateTime<Utc>) -> anyhow::Result<Option<i64>> {
    let lender: Option<i64> = sqlx::query_scalar(
        "UPDATE loans SET thanked_at = $2 WHERE id = $1 AND state = 'returned' AND thanked_at IS NULL
         RETURNING lender_id",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?;
    match lender {
        Some(lender) => Ok(Some(thanks_of(&mut **tx, lender).await?)),
        None => Ok(None),
    }
}

/// How many times neighbours thanked `member` for a loan.
pub async fn thanks_of(db: impl sqlx::PgExecutor<'_>, member: i64) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM loans WHERE lender_id = $1 AND thanked_at IS NOT NULL")
            .bind(member)
            .fetch_one(db)
            .await?,
    )
}

/// Where someone hears about a loan: the channel and chat (or address) of their message, the
/// message to reply to, and their language and name.
#[derive(Debug, Clone, FromRow)]
pub struct Place {
    pub member_id: i64,
    pub message_id: i64,
    pub channel: ChannelKind,
    pub target: String,
    pub native_id: String,
    pub lang: Lang,
    pub name: String,
}

/// The [`Place`] of `member` by their message `message`.
pub async fn place(db: impl sqlx::PgExecutor<'_>, member: i64, message: i64) -> anyhow::Result<Place> {
    Ok(sqlx::query_as(
        "SELECT mb.id AS member_id, msg.id AS message_id, msg.channel, msg.native_id, mb.lang, mb.display_name AS name,
                CASE WHEN msg.channel = 'email'
                     THEN coalesce((SELECT i.external_id FROM identities i WHERE i.member_id = mb.id AND i.channel = 'email'),
                                   msg.chat_external_id)
                     ELSE msg.chat_external_id END AS target
         FROM messages msg, members mb WHERE msg.id = $1 AND mb.id = $2",
    )
    .bind(message)
    .bind(member)
    .fetch_one(db)
    .await?)
}

/// An offer someone may borrow or lend.
#[derive(Debug, Clone, FromRow)]
pub struct Offer {
    pub id: i64,
    pub member_id: i64,
    pub message_id: i64,
    pub item: String,
    pub area_slug: String,
    pub when_to: Option<NaiveDate>,
    /// How many loans of it may run at once.
    pub copies: i32,
}

/// Open offer `id` of `area`, if there is one, locked: loans of it are proposed one at a time.
pub async fn open_offer(tx: &mut Tx<'_>, area: &str, id: i64) -> anyhow::Result<Option<Offer>> {
    Ok(sqlx::query_as(
        "SELECT id, member_id, message_id, item, area_slug, when_to, copies FROM posts
         WHERE id = $1 AND area_slug = $2 AND direction = 'offer' AND status = 'open' FOR UPDATE",
    )
    .bind(id)
    .bind(area)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A request matched to an offer: who asked, and the end of the dates they gave.
#[derive(Debug, Clone, FromRow)]
pub struct Requester {
    pub member_id: i64,
    pub message_id: i64,
    pub name: String,
    pub when_to: Option<NaiveDate>,
}

/// The authors of the open requests matched to `offer`, best match first.
pub async fn requesters(tx: &mut Tx<'_>, offer: i64) -> anyhow::Result<Vec<Requester>> {
    Ok(sqlx::query_as(
        "SELECT r.member_id, r.message_id, m.display_name AS name, r.when_to
         FROM matches x JOIN posts r ON r.id = x.request_id JOIN members m ON m.id = r.member_id
         WHERE x.offer_id = $1 AND r.status = 'open' ORDER BY x.score DESC, x.id",
    )
    .bind(offer)
    .fetch_all(&mut **tx)
    .await?)
}

/// The end date of `member`'s open request matched to `offer`, if they gave one.
pub async fn request_end(tx: &mut Tx<'_>, offer: i64, member: i64) -> anyhow::Result<Option<NaiveDate>> {
    Ok(requesters(tx, offer)
        .await?
        .into_iter()
        .find(|r| r.member_id == member)
        .and_then(|r| r.when_to))
}

/// Puts `member` on the waiting list of `offer` (once). Returns their place in it (1 = next).
pub async fn wait(tx: &mut Tx<'_>, offer: i64, member: i64, message: i64, now: DateTime<Utc>) -> anyhow::Result<i64> {
    sqlx::query(
        "INSERT INTO loan_waiters (offer_id, member_id, message_id, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (offer_id, member_id) DO UPDATE SET told_at = NULL WHERE loan_waiters.told_at IS NOT NULL",
    )
    .bind(offer)
    .bind(member)
    .bind(message)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM loan_waiters w
         WHERE w.offer_id = $1 AND w.told_at IS NULL
           AND w.id <= (SELECT id FROM loan_waiters WHERE offer_id = $1 AND member_id = $2)",
    )
    .bind(offer)
    .bind(member)
    .fetch_one(&mut **tx)
    .await?)
}

/// The next neighbour waiting for `offer`, marked as told (each is told once).
pub async fn next_waiter(tx: &mut Tx<'_>, offer: i64, now: DateTime<Utc>) -> anyhow::Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as(
        "UPDATE loan_waiters SET told_at = $2
         WHERE id = (SELECT id FROM loan_waiters WHERE offer_id = $1 AND told_at IS NULL ORDER BY id LIMIT 1
                     FOR UPDATE SKIP LOCKED)
         RETURNING member_id, message_id",
    )
    .bind(offer)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The SQL of [`lent_until`] for an offer id expression: the day its first copy comes back
/// when every copy is lent, else NULL (store/digests.rs reads it for its post lines).
pub fn lent_until_sql(offer: &str) -> String {
    format!(
        "(SELECT min(l.due_on) FROM loans l JOIN posts lp ON lp.id = l.offer_id
          WHERE l.offer_id = {offer} AND l.state IN ('active', 'overdue')
          GROUP BY lp.copies HAVING count(*) >= lp.copies)"
    )
}

/// The day each of `offers` is lent until (those whose every copy is lent only: the first
/// copy to come back).
pub async fn lent_until(pool: &PgPool, offers: &[i64]) -> anyhow::Result<Vec<(i64, NaiveDate)>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT o.id, {} FROM unnest($1::bigint[]) AS o(id) WHERE {} IS NOT NULL",
        lent_until_sql("o.id"),
        lent_until_sql("o.id")
    )))
    .bind(offers)
    .fetch_all(pool)
    .await?)
}

/// Running loans due by `until` (a day after the latest local date anywhere) with an id above
/// `after` (rounds go through them in id order), locked; a loan another daemon is reminding
/// about is skipped.
pub async fn due_for_update(tx: &mut Tx<'_>, until: NaiveDate, after: i64, limit: i64) -> anyhow::Result<Vec<Loan>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LOAN} WHERE l.state IN ('active', 'overdue') AND l.return_claimed_at IS NULL AND l.due_on <= $1
           AND l.id > $3
         ORDER BY l.id LIMIT $2 FOR UPDATE OF l SKIP LOCKED"
    )))
    .bind(until)
    .bind(limit)
    .bind(after)
    .fetch_all(&mut **tx)
    .await?)
}

/// Records a reminder of `loan` for its due date `due_on`; false when it was recorded before
/// (the primary key is the once).
pub async fn record_reminder(
    tx: &mut Tx<'_>,
    loan: i64,
    due_on: NaiveDate,
    kind: &str,
    seq: i32,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO loan_reminders (loan_id, due_on, kind, seq, sent_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(loan)
    .bind(due_on)
    .bind(kind)
    .bind(seq)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The open offers among `posts`, then the open offers matched to the requests among them (best
/// match first), each with the requester: what "/emprunte" or "/prete" in reply to a post, its
/// copy or a match notice is about.
pub async fn offers_of_posts(tx: &mut Tx<'_>, posts: &[i64]) -> anyhow::Result<Vec<(i64, i64, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT o.id, o.member_id, NULL::bigint AS requester FROM posts o
         WHERE o.id = ANY($1) AND o.direction = 'offer' AND o.status = 'open'
         UNION ALL
         (SELECT o.id, o.member_id, r.member_id FROM matches x JOIN posts r ON r.id = x.request_id
                 JOIN posts o ON o.id = x.offer_id
          WHERE r.id = ANY($1) AND o.status = 'open' ORDER BY x.score DESC, x.id)",
    )
    .bind(posts)
    .fetch_all(&mut **tx)
    .await?)
}

/// Lent things of `area` (every copy lent, not to nor by `member`) whose offer fits `item`, as
/// matching reads it: what a new request for them waits for. One loan per offer: the one that
/// comes back first.
pub async fn lent_fitting(tx: &mut Tx<'_>, area: &str, member: i64, item: &str) -> anyhow::Result<Vec<Loan>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM (
           SELECT DISTINCT ON (l.offer_id) x.* FROM ({LOAN}) x JOIN loans l ON l.id = x.id JOIN posts p ON p.id = l.offer_id,
                plainto_tsquery('french', $3) q
           WHERE l.area_slug = $1 AND l.state IN ('active', 'overdue') AND l.lender_id <> $2
             AND p.item_search @@ q AND NOT ({not_lent})
             AND NOT EXISTS (SELECT 1 FROM loans mine WHERE mine.offer_id = l.offer_id AND mine.borrower_id = $2
                             AND mine.state IN ('proposed', 'active', 'overdue'))
           ORDER BY l.offer_id, l.due_on, l.id) one
         ORDER BY one.due_on, one.id LIMIT 3",
        not_lent = NOT_LENT
    )))
    .bind(area)
    .bind(member)
    .bind(item)
    .fetch_all(&mut **tx)
    .await?)
}

/// Loans by state, for /metrics (every daemon reads the same figures).
pub async fn counts(db: impl sqlx::PgExecutor<'_>) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT state, count(*) FROM loans GROUP BY 1 ORDER BY 1")
            .fetch_all(db)
            .await?,
    )
}

/// Offer `offer` while open: its area, author and message (a match notice's loan button).
pub async fn offer_place(tx: &mut Tx<'_>, offer: i64) -> anyhow::Result<Option<(String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT area_slug, member_id, message_id FROM posts WHERE id = $1 AND direction = 'offer' AND status = 'open'",
    )
    .bind(offer)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Offer `offer`'s item, author and author's name, and the name of member `borrower` (a match
/// notice's loan link page). None when the offer is not open.
pub async fn offer_names(
    tx: &mut Tx<'_>,
    offer: i64,
    borrower: i64,
) -> anyhow::Result<Option<(String, i64, String, String)>> {
    Ok(sqlx::query_as(
        "SELECT p.item, p.member_id, ml.display_name, mb.display_name
         FROM posts p JOIN members ml ON ml.id = p.member_id, members mb
         WHERE p.id = $1 AND p.direction = 'offer' AND p.status = 'open' AND mb.id = $2",
    )
    .bind(offer)
    .bind(borrower)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A returned thing is available again: its offer, if still open, starts a new life (the
/// expiry counts from now), as `/garder` would; it did not expire while lent.
pub async fn renew_offer(tx: &mut Tx<'_>, offer: i64, now: DateTime<Utc>) -> anyhow::Result<()> {
    sqlx::query("UPDATE posts SET renewed_at = greatest(renewed_at, $2) WHERE id = $1 AND status = 'open'")
        .bind(offer)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
