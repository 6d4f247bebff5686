//! Posts and matches.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{FromRow, PgPool};

use super::Tx;
pub use super::enums::PostStatus;
use super::loans::NOT_ON_LOAN;
use crate::core::model::ChannelKind;
use crate::i18n::Lang;
use crate::parse::{Direction, Post};

/// Where the author of post `p` (its message `msg`) hears about it: the chat, or for a post
/// made by email their address (an email list is not somewhere to write to).
const AUTHOR_TARGET: &str = "CASE WHEN msg.channel = 'email'
     THEN coalesce((SELECT i.external_id FROM identities i WHERE i.member_id = p.member_id AND i.channel = 'email'),
                   msg.chat_external_id)
     ELSE msg.chat_external_id END";

/// The candidates of one post: up to `limit` open posts of `area` in `direction`, by someone
/// other than `member`, whose thing matches `item` (French full-text search on the item
/// alone); same category first, then best rank, newest first. The arguments are SQL
/// expressions (parameters or columns), so [`insert_and_match`] runs it per new post and
/// [`candidates`] for one post, with the same text.
fn candidates_sql(area: &str, direction: &str, member: &str, item: &str, category: &str, limit: &str) -> String {
    format!(
        "SELECT p.id, p.member_id, p.message_id, p.item, m.display_name AS author, m.lang, msg.channel, {AUTHOR_TARGET} AS chat,
                msg.native_id, ts_rank(p.item_search, q) AS rank
         FROM posts p, plainto_tsquery('french', {item}) q, members m, messages msg
         WHERE p.area_slug = {area} AND p.direction = {direction} AND p.status = 'open' AND p.member_id <> {member}
           AND p.item_search @@ q AND m.id = p.member_id AND msg.id = p.message_id
           AND {not_lent}
         ORDER BY (p.category = {category}) DESC, rank DESC, p.id DESC
         LIMIT {limit}",
        not_lent = super::loans::NOT_LENT
    )
}

/// The statement of [`insert_and_match`]. The candidates are read in the statement's
/// snapshot: the new posts never match themselves.
static INSERT_AND_MATCH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let candidates = candidates_sql(
        "$1",
        "CASE WHEN ins.direction = 'offer' THEN 'request' ELSE 'offer' END",
        "$2",
        "ins.item",
        "ins.category",
        "$15",
    );
    format!(
        "WITH ins AS (
             INSERT INTO posts (area_slug, member_id, message_id, ordinal, direction, kind, mode, item, category,
                                when_from, when_to, price_cents, confidence, source_text, status, copies)
             SELECT $1, $2, $3, o, d, k, mo, i, c, wf, wt, pr, cf, src, st, cp
             FROM unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::date[],
                         $11::date[], $12::bigint[], $13::real[], $14::text[], $16::text[], $17::int[])
                  AS u(o, d, k, mo, i, c, wf, wt, pr, cf, src, st, cp)
             ORDER BY o
             RETURNING id, ordinal, direction, item, category, status)
         SELECT ins.ordinal, ins.id AS post_id, c.id, c.member_id, c.message_id, c.item, c.author, c.lang, c.channel, c.chat, c.native_id, c.rank,
                EXISTS (SELECT 1 FROM loans l WHERE l.area_slug = $1 AND l.state IN ('active', 'overdue')) AS lent_here
         FROM ins LEFT JOIN LATERAL ({candidates}) c ON ins.status = 'open'
         ORDER BY ins.ordinal, c.rank DESC NULLS LAST, c.id DESC"
    )
});

/// The statement of [`candidates`].
static CANDIDATES: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| candidates_sql("$1", "$2", "$3", "$4", "$5", "$6"));

/// The message new posts come from, and how they are numbered and stored.
#[derive(Debug, Clone, Copy)]
pub struct NewPosts<'a> {
    pub area: &'a str,
    pub member: i64,
    pub message_id: i64,
    /// The message's text (each post keeps the words it came from).
    pub text: &'a str,
    /// The ordinal of the first post (posts of a correction come after the message's others).
    pub first_ordinal: i32,
}

/// Stores the parsed posts of a message, each with its status (`pending` posts wait for their
/// author's answer and are not matched), and finds, for each open one, up to `limit` open
/// posts of the other direction that fit it (see [`candidates`]), in one statement. Returns,
/// in order, each new post's id with its candidates, and whether anything is lent in the area.
pub async fn insert_and_match(
    tx: &mut Tx<'_>,
    new: NewPosts<'_>,
    found: &[Post],
    statuses: &[PostStatus],
    limit: i64,
) -> anyhow::Result<Inserted> {
    if found.is_empty() {
        return Ok(Inserted::default());
    }
    anyhow::ensure!(statuses.len() == found.len(), "one status per new post");
    let NewPosts {
        area,
        member,
        message_id,
        text,
        first_ordinal,
    } = new;
    let ordinals: Vec<i32> = (first_ordinal..first_ordinal + found.len() as i32).collect();
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    let dirs: Vec<&str> = found.iter().map(|p| p.direction.as_str()).collect();
    let kinds: Vec<&str> = found
        .iter()
        .map(|p| {
            if p.kind == crate::parse::Kind::Item {
                "item"
            } else {
                "service"
            }
        })
        .collect();
    let modes: Vec<Option<String>> = found.iter().map(|p| p.mode.map(|m| m.to_string())).collect();
    let items: Vec<&str> = found.iter().map(|p| p.item.as_str()).collect();
    let cats: Vec<&str> = found.iter().map(|p| p.category.as_str()).collect();
    let froms: Vec<Option<NaiveDate>> = found.iter().map(|p| p.when.map(|w| w.from)).collect();
    let tos: Vec<Option<NaiveDate>> = found.iter().map(|p| p.when.map(|w| w.to)).collect();
    let prices: Vec<Option<i64>> = found.iter().map(|p| p.price.map(|x| x.cents as i64)).collect();
    let confs: Vec<f32> = found.iter().map(|p| p.confidence).collect();
    let sources: Vec<&str> = found.iter().map(|p| text.get(p.span.clone()).unwrap_or(text)).collect();
    let copies: Vec<i32> = found.iter().map(|p| p.copies.clamp(1, 20) as i32).collect();
    let rows: Vec<MatchRow> = sqlx::query_as(sqlx::AssertSqlSafe(INSERT_AND_MATCH.as_str()))
        .bind(area)
        .bind(member)
        .bind(message_id)
        .bind(&ordinals)
        .bind(&dirs)
        .bind(&kinds)
        .bind(&modes)
        .bind(&items)
        .bind(&cats)
        .bind(&froms)
        .bind(&tos)
        .bind(&prices)
        .bind(&confs)
        .bind(&sources)
        .bind(limit)
        .bind(&statuses)
        .bind(&copies)
        .fetch_all(&mut **tx)
        .await?;
    let lent_here = rows.first().is_some_and(|r| r.lent_here);
    let mut out: Vec<(i64, Vec<Candidate>)> = Vec::with_capacity(found.len());
    for r in rows {
        if out.last().is_none_or(|(id, _)| *id != r.post_id) {
            out.push((r.post_id, Vec::new()));
        }
        if let Some(c) = r.candidate()
            && let Some(last) = out.last_mut()
        {
            last.1.push(c);
        }
    }
    Ok(Inserted { posts: out, lent_here })
}

/// What [`insert_and_match`] stored and found.
#[derive(Debug, Default)]
pub struct Inserted {
    /// Each new post's id with its candidates, in order.
    pub posts: Vec<(i64, Vec<Candidate>)>,
    /// Whether something is lent out in the area now (a request nothing available fits may
    /// then wait for it: without any, there is no need to look).
    pub lent_here: bool,
}

/// A row of [`insert_and_match`]: a new post and one candidate (all None when it has none).
#[derive(Debug, FromRow)]
struct MatchRow {
    #[allow(dead_code)]
    ordinal: i32,
    post_id: i64,
    id: Option<i64>,
    member_id: Option<i64>,
    message_id: Option<i64>,
    item: Option<String>,
    author: Option<String>,
    lang: Option<Lang>,
    channel: Option<ChannelKind>,
    chat: Option<String>,
    native_id: Option<String>,
    rank: Option<f32>,
    lent_here: bool,
}

impl MatchRow {
    /// Its candidate, if the new post has one.
    fn candidate(self) -> Option<Candidate> {
        Some(Candidate {
            id: self.id?,
            member_id: self.member_id?,
            message_id: self.message_id?,
            item: self.item?,
            author: self.author?,
            lang: self.lang?,
            channel: self.channel?,
            chat: self.chat?,
            native_id: self.native_id?,
            rank: self.rank.unwrap_or(0.0),
        })
    }
}

/// Records matches (request, offer, score) in one statement, skipping pairs matched before;
/// returns the id of each pair recorded now, in the given order (None: matched before).
pub async fn insert_matches(tx: &mut Tx<'_>, pairs: &[(i64, i64, f32)]) -> anyhow::Result<Vec<Option<i64>>> {
    if pairs.is_empty() {
        return Ok(Vec::new());
    }
    let reqs: Vec<i64> = pairs.iter().map(|p| p.0).collect();
    let offs: Vec<i64> = pairs.iter().map(|p| p.1).collect();
    let scores: Vec<f32> = pairs.iter().map(|p| p.2).collect();
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "INSERT INTO matches (request_id, offer_id, score)
         SELECT r, o, s FROM unnest($1::bigint[], $2::bigint[], $3::real[]) AS u(r, o, s)
         ON CONFLICT (request_id, offer_id) DO NOTHING RETURNING request_id, offer_id, id",
    )
    .bind(&reqs)
    .bind(&offs)
    .bind(&scores)
    .fetch_all(&mut **tx)
    .await?;
    Ok(pairs
        .iter()
        .map(|p| rows.iter().find(|r| r.0 == p.0 && r.1 == p.1).map(|r| r.2))
        .collect())
}

/// An open post of the other direction that fits a new one.
#[derive(Debug, Clone, FromRow)]
pub struct Candidate {
    pub id: i64,
    pub member_id: i64,
    /// The message the post was made in.
    pub message_id: i64,
    pub item: String,
    pub author: String,
    /// Its author's language (what the bot tells them about the match).
    pub lang: Lang,
    pub channel: ChannelKind,
    /// Where its author hears about it: the chat, or their address for a post made by email.
    pub chat: String,
    pub native_id: String,
    pub rank: f32,
}

/// The candidates of one post by `member` about `item` in `category`: up to `limit` open posts
/// of `area` in `direction` (the other one), chosen and ordered as [`insert_and_match`] does.
pub async fn candidates(
    tx: &mut Tx<'_>,
    area: &str,
    direction: Direction,
    member: i64,
    item: &str,
    category: &str,
    limit: i64,
) -> anyhow::Result<Vec<Candidate>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(CANDIDATES.as_str()))
        .bind(area)
        .bind(direction)
        .bind(member)
        .bind(item)
        .bind(category)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?)
}

/// A post as listed by the commands.
#[derive(Debug, Clone, FromRow)]
pub struct Listed {
    pub id: i64,
    pub direction: Direction,
    pub item: String,
    pub category: String,
    pub author: String,
    pub when_from: Option<NaiveDate>,
    pub when_to: Option<NaiveDate>,
    pub status: PostStatus,
    /// The first photo of its message (the media store's key), if it has one.
    pub photo: Option<String>,
}

const LISTED: &str = "SELECT p.id, p.direction, p.item, p.category, m.display_name AS author, p.when_from, p.when_to,
                             p.status,
                             (SELECT mm.hash FROM message_media mm JOIN media md ON md.hash = mm.hash
                               WHERE mm.message_id = p.message_id AND md.mime LIKE 'image/%'
                               ORDER BY mm.position LIMIT 1) AS photo
                        FROM posts p JOIN members m ON m.id = p.member_id";

/// The newest open posts of an area, optionally of one category.
pub async fn open_in_area(
    pool: &PgPool,
    area: &str,
    category: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<Listed>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LISTED} WHERE p.area_slug = $1 AND p.status = 'open' AND ($2::text IS NULL OR p.category = $2)
         ORDER BY p.id DESC LIMIT $3"
    )))
    .bind(area)
    .bind(category)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Open posts of an area matching words (French full-text search).
pub async fn search(pool: &PgPool, area: &str, words: &str, limit: i64) -> anyhow::Result<Vec<Listed>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LISTED}, plainto_tsquery('french', $2) q WHERE p.area_slug = $1 AND p.status = 'open' AND p.search @@ q
         ORDER BY ts_rank(p.search, q) DESC, p.id DESC LIMIT $3"
    )))
    .bind(area)
    .bind(words)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// A member's posts, open ones first.
pub async fn of_member(pool: &PgPool, member: i64, limit: i64) -> anyhow::Result<Vec<Listed>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{LISTED} WHERE p.member_id = $1 AND p.status <> 'pending' ORDER BY (p.status = 'open') DESC, p.id DESC LIMIT $2"
    )))
    .bind(member)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// What closing a post did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Close {
    Closed { item: String },
    NotFound,
    NotYours,
    AlreadyClosed,
}

/// The posts made in the message a reply points at: `replied` is a native id in the chat
/// (the neighbour's own message) or the remote id of something the bot sent there about it
/// (a relayed copy, the "offer recorded" notice).
pub async fn of_replied_message(pool: &PgPool, channel: &str, chat: &str, replied: &str) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT p.id FROM posts p
         WHERE p.message_id IN (
             SELECT id FROM messages WHERE channel = $1 AND chat_external_id = $2 AND native_id = $3
             UNION
             SELECT cause_message_id FROM deliveries
             WHERE channel = $1 AND target = $2 AND remote_id = $3 AND cause_message_id IS NOT NULL)
         ORDER BY p.id",
    )
    .bind(channel)
    .bind(chat)
    .bind(replied)
    .fetch_all(pool)
    .await?)
}

/// Locks post `id` for a change by `member`: its item when `member` wrote it and it is open.
async fn lock_own_open(tx: &mut Tx<'_>, id: i64, member: i64) -> anyhow::Result<Result<String, Close>> {
    let row: Option<(i64, PostStatus, String)> =
        sqlx::query_as("SELECT member_id, status, item FROM posts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match row {
        None => Err(Close::NotFound),
        Some((owner, _, _)) if owner != member => Err(Close::NotYours),
        Some((_, PostStatus::Closed, _)) => Err(Close::AlreadyClosed),
        // Not a post yet: its author has not said the reading is right.
        Some((_, PostStatus::Pending, _)) => Err(Close::NotFound),
        Some((_, _, item)) => Ok(item),
    })
}

/// Closes post `id` if `member` wrote it.
pub async fn close(pool: &PgPool, id: i64, member: i64) -> anyhow::Result<Close> {
    let mut tx = pool.begin().await?;
    let out = match lock_own_open(&mut tx, id, member).await? {
        Ok(item) => {
            sqlx::query("UPDATE posts SET status = 'closed', closed_at = now(), closed_reason = 'done' WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            Close::Closed { item }
        }
        Err(refused) => refused,
    };
    tx.commit().await?;
    Ok(out)
}

/// Keeps post `id` open for a new life if `member` wrote it (its expiry counts from now and it
/// will be reminded again): its item and the moment its new life started.
pub async fn keep(pool: &PgPool, id: i64, member: i64) -> anyhow::Result<Result<(String, DateTime<Utc>), Close>> {
    let mut tx = pool.begin().await?;
    let out = match lock_own_open(&mut tx, id, member).await? {
        Ok(item) => {
            let renewed: DateTime<Utc> = sqlx::query_scalar(
                "UPDATE posts SET renewed_at = now(), reminded_at = NULL WHERE id = $1 RETURNING renewed_at",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            Ok((item, renewed))
        }
        Err(refused) => Err(refused),
    };
    tx.commit().await?;
    Ok(out)
}

/// Where a post's author hears about it: the chat the post was made in, as a reply to their
/// message; for a post made by email, the author's address.
#[derive(Debug, Clone, FromRow)]
pub struct AuthorPlace {
    pub post_id: i64,
    pub member_id: i64,
    pub message_id: i64,
    pub area_slug: String,
    pub direction: Direction,
    pub item: String,
    pub category: String,
    pub channel: ChannelKind,
    pub target: String,
    pub native_id: String,
    /// The author's language (what the bot tells them).
    pub lang: Lang,
}

/// The [`AuthorPlace`] of each post of `ids` (in id order; unknown ids are left out).
pub async fn author_places(db: impl sqlx::PgExecutor<'_>, ids: &[i64]) -> anyhow::Result<Vec<AuthorPlace>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT p.id AS post_id, p.member_id, p.message_id, p.area_slug, p.direction, p.item, p.category,
                msg.channel, msg.native_id, mb.lang,
                {AUTHOR_TARGET} AS target
         FROM posts p JOIN messages msg ON msg.id = p.message_id JOIN members mb ON mb.id = p.member_id
         WHERE p.id = ANY($1) ORDER BY p.id"
    )))
    .bind(ids)
    .fetch_all(db)
    .await?)
}

/// Closes the open posts of a deleted message.
pub async fn close_for_deleted_message(tx: &mut Tx<'_>, message: i64) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE posts SET status = 'closed', closed_at = now(), closed_reason = 'deleted'
         WHERE message_id = $1 AND status = 'open'",
    )
    .bind(message)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Closes the open posts of `message` for `reason` ('moderated', 'erased'…).
pub async fn close_of_message(tx: &mut Tx<'_>, message: i64, reason: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE posts SET status = 'closed', closed_at = now(), closed_reason = $2
         WHERE message_id = $1 AND status = 'open'",
    )
    .bind(message)
    .bind(reason)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Closes up to `limit` open posts last renewed at or before `renewed_before` (expiry), skipping
/// posts another daemon holds and offers lent now (a loan is not closed under its borrower; the
/// return renews the offer, store::loans::renew_offer). Returns their ids.
pub async fn close_expired(
    tx: &mut Tx<'_>,
    renewed_before: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE posts SET status = 'closed', closed_at = $2, closed_reason = 'expired'
         WHERE id IN (SELECT id FROM posts p WHERE status = 'open' AND renewed_at <= $1 AND {NOT_ON_LOAN}
                      ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING id"
    )))
    .bind(renewed_before)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?)
}

/// Marks as reminded up to `limit` open posts renewed in (`not_expired_since`,
/// `renewed_before`] and not reminded since: once per life of a post. Returns (id, renewed_at).
pub async fn mark_reminded(
    tx: &mut Tx<'_>,
    renewed_before: DateTime<Utc>,
    not_expired_since: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Vec<(i64, DateTime<Utc>)>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE posts SET reminded_at = $3
         WHERE id IN (SELECT id FROM posts p
                      WHERE status = 'open' AND renewed_at <= $1 AND renewed_at > $2 AND {NOT_ON_LOAN}
                        AND (reminded_at IS NULL OR reminded_at < renewed_at)
                      ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
         RETURNING id, renewed_at"
    )))
    .bind(renewed_before)
    .bind(not_expired_since)
    .bind(now)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?)
}

/// A post of a message, as a question or a correction reads it back.
#[derive(Debug, Clone, FromRow)]
pub struct OfMessage {
    pub id: i64,
    pub member_id: i64,
    pub ordinal: i32,
    pub direction: Direction,
    pub kind: String,
    pub mode: Option<String>,
    pub item: String,
    pub category: String,
    pub when_from: Option<NaiveDate>,
    pub when_to: Option<NaiveDate>,
    pub price_cents: Option<i64>,
    pub confidence: f32,
    pub status: PostStatus,
    pub copies: i32,
}

/// The posts of message `message` that are open or pending (a reading still standing), locked
/// for a change, in order.
pub async fn standing_of_message(tx: &mut Tx<'_>, message: i64) -> anyhow::Result<Vec<OfMessage>> {
    Ok(sqlx::query_as(
        "SELECT id, member_id, ordinal, direction, kind, mode, item, category, when_from, when_to, price_cents,
                confidence, status, copies
         FROM posts WHERE message_id = $1 AND status IN ('open', 'pending') ORDER BY ordinal FOR UPDATE",
    )
    .bind(message)
    .fetch_all(&mut **tx)
    .await?)
}

/// The ordinal a new post of message `message` takes: after every post it ever had.
pub async fn next_ordinal(tx: &mut Tx<'_>, message: i64) -> anyhow::Result<i32> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(ordinal) + 1, 0) FROM posts WHERE message_id = $1")
            .bind(message)
            .fetch_one(&mut **tx)
            .await?,
    )
}

/// Makes the pending posts of `ids` open posts from `now` on (their author said the reading
/// is right): they count from then for digests and expiry. Returns the ids opened.
pub async fn open_pending(tx: &mut Tx<'_>, ids: &[i64], now: DateTime<Utc>) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "UPDATE posts SET status = 'open', created_at = $2, renewed_at = $2
         WHERE id = ANY($1) AND status = 'pending' RETURNING id",
    )
    .bind(ids)
    .bind(now)
    .fetch_all(&mut **tx)
    .await?)
}

/// Why a reading stops standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawn {
    /// Its author said it is not what they meant.
    Rejected,
    /// Nobody answered the question in time.
    Unanswered,
    /// A correction replaced it.
    Corrected,
}

impl Withdrawn {
    fn as_str(self) -> &'static str {
        match self {
            Withdrawn::Rejected => "rejected",
            Withdrawn::Unanswered => "unanswered",
            Withdrawn::Corrected => "corrected",
        }
    }
}

/// Closes the open or pending posts of `ids` for `why`.
pub async fn withdraw(tx: &mut Tx<'_>, ids: &[i64], why: Withdrawn, now: DateTime<Utc>) -> anyhow::Result<u64> {
    Ok(sqlx::query(
        "UPDATE posts SET status = 'closed', closed_at = $3, closed_reason = $2
         WHERE id = ANY($1) AND status IN ('open', 'pending')",
    )
    .bind(ids)
    .bind(why.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Closes the pending posts of the messages `messages` for `why`; returns how many.
pub async fn withdraw_pending_of(
    tx: &mut Tx<'_>,
    messages: &[i64],
    why: Withdrawn,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    Ok(sqlx::query(
        "UPDATE posts SET status = 'closed', closed_at = $3, closed_reason = $2
         WHERE message_id = ANY($1) AND status = 'pending'",
    )
    .bind(messages)
    .bind(why.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// The other side of a match of one of `ids`: the match, the post of `ids`, and where the
/// other post's author hears (as [`author_places`] says).
#[derive(Debug, Clone, FromRow)]
pub struct MatchedOther {
    pub match_id: i64,
    /// The post of `ids` the match is about.
    pub post_id: i64,
    pub post_item: String,
    pub other_id: i64,
    pub other_member: i64,
    pub other_item: String,
    pub other_message: i64,
    pub channel: ChannelKind,
    pub target: String,
    pub native_id: String,
    pub lang: Lang,
}

/// Every match of the posts `ids`, with the other side's place.
pub async fn matched_others(tx: &mut Tx<'_>, ids: &[i64]) -> anyhow::Result<Vec<MatchedOther>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT mt.id AS match_id, mine.id AS post_id, mine.item AS post_item, p.id AS other_id,
                p.member_id AS other_member, p.item AS other_item, p.message_id AS other_message,
                msg.channel, msg.native_id, mb.lang, {AUTHOR_TARGET} AS target
         FROM matches mt
         JOIN posts mine ON mine.id IN (mt.request_id, mt.offer_id) AND mine.id = ANY($1)
         JOIN posts p ON p.id = CASE WHEN mt.request_id = mine.id THEN mt.offer_id ELSE mt.request_id END
         JOIN messages msg ON msg.id = p.message_id JOIN members mb ON mb.id = p.member_id
         ORDER BY mt.id"
    )))
    .bind(ids)
    .fetch_all(&mut **tx)
    .await?)
}

/// Forgets matches that no longer hold (one side was corrected away).
pub async fn forget_matches(tx: &mut Tx<'_>, ids: &[i64]) -> anyhow::Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query("DELETE FROM matches WHERE id = ANY($1)")
        .bind(ids)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
