//! Posts and matches.

use chrono::NaiveDate;
use sqlx::{FromRow, PgPool};

use super::Tx;
use crate::parse::Post;

/// Stores the parsed posts of message `message_id` in one statement; returns their ids in order.
pub async fn insert_many(
    tx: &mut Tx<'_>,
    area: &str,
    member: i64,
    message_id: i64,
    found: &[Post],
    text: &str,
) -> anyhow::Result<Vec<i64>> {
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ordinals: Vec<i32> = (0..found.len() as i32).collect();
    let dirs: Vec<String> = found.iter().map(|p| p.direction.to_string()).collect();
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
    let mut rows: Vec<(i32, i64)> = sqlx::query_as(
        "INSERT INTO posts (area_slug, member_id, message_id, ordinal, direction, kind, mode, item, category,
                            when_from, when_to, price_cents, confidence, source_text)
         SELECT $1, $2, $3, o, d, k, mo, i, c, wf, wt, pr, cf, src
         FROM unnest($4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::date[], $11::date[],
                     $12::bigint[], $13::real[], $14::text[]) AS u(o, d, k, mo, i, c, wf, wt, pr, cf, src)
         ORDER BY o
         RETURNING ordinal, id",
    )
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
    .fetch_all(&mut **tx)
    .await?;
    rows.sort_unstable();
    Ok(rows.into_iter().map(|r| r.1).collect())
}

/// An open post of the other direction that fits a new one.
#[derive(Debug, Clone, FromRow)]
pub struct Candidate {
    pub id: i64,
    pub member_id: i64,
    pub item: String,
    pub author: String,
    pub channel: String,
    pub chat: String,
    pub native_id: String,
    pub rank: f32,
}

/// Open posts of `area` in `direction`, by someone other than `member`, whose thing matches
/// `item` (French full-text search on the item alone); same category first, then best rank, newest first.
pub async fn candidates(
    tx: &mut Tx<'_>,
    area: &str,
    direction: &str,
    member: i64,
    item: &str,
    category: &str,
    limit: i64,
) -> anyhow::Result<Vec<Candidate>> {
    Ok(sqlx::query_as(
        "SELECT p.id, p.member_id, p.item, m.display_name AS author, msg.channel, msg.chat_external_id AS chat,
                msg.native_id, ts_rank(p.item_search, q) AS rank
         FROM posts p, plainto_tsquery('french', $4) q, members m, messages msg
         WHERE p.area_slug = $1 AND p.direction = $2 AND p.status = 'open' AND p.member_id <> $3
           AND p.item_search @@ q AND m.id = p.member_id AND msg.id = p.message_id
         ORDER BY (p.category = $5) DESC, rank DESC, p.id DESC
         LIMIT $6",
    )
    .bind(area)
    .bind(direction)
    .bind(member)
    .bind(item)
    .bind(category)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await?)
}

/// Records a match; returns its id unless the pair was matched before.
pub async fn insert_match(tx: &mut Tx<'_>, request: i64, offer: i64, score: f32) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO matches (request_id, offer_id, score) VALUES ($1, $2, $3)
         ON CONFLICT (request_id, offer_id) DO NOTHING RETURNING id",
    )
    .bind(request)
    .bind(offer)
    .bind(score)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A post as listed by the commands.
#[derive(Debug, Clone, FromRow)]
pub struct Listed {
    pub id: i64,
    pub direction: String,
    pub item: String,
    pub category: String,
    pub author: String,
    pub when_from: Option<NaiveDate>,
    pub when_to: Option<NaiveDate>,
    pub status: String,
}

const LISTED: &str = "SELECT p.id, p.direction, p.item, p.category, m.display_name AS author, p.when_from, p.when_to,
                             p.status FROM posts p JOIN members m ON m.id = p.member_id";

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
        "{LISTED} WHERE p.member_id = $1 ORDER BY (p.status = 'open') DESC, p.id DESC LIMIT $2"
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

/// Closes post `id` if `member` wrote it.
pub async fn close(pool: &PgPool, id: i64, member: i64) -> anyhow::Result<Close> {
    let mut tx = pool.begin().await?;
    let row: Option<(i64, String, String)> =
        sqlx::query_as("SELECT member_id, status, item FROM posts WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let out = match row {
        None => Close::NotFound,
        Some((owner, _, _)) if owner != member => Close::NotYours,
        Some((_, status, _)) if status == "closed" => Close::AlreadyClosed,
        Some((_, _, item)) => {
            sqlx::query("UPDATE posts SET status = 'closed', closed_at = now() WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            Close::Closed { item }
        }
    };
    tx.commit().await?;
    Ok(out)
}
