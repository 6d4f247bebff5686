//! The `email_subscriptions` table: who follows which area by email, at what rhythm and in
//! which language; bounces suspend a subscription.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

use super::Tx;
use super::enums::SubscriptionStatus;
use crate::core::links::{Request, Rhythm};
use crate::i18n::Lang;

/// Applies a confirmed request: the subscription is created or moved to this area, rhythm and
/// language, and is active again whatever happened to it before.
pub async fn confirm(pool: &PgPool, r: &Request) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO email_subscriptions (address, area_slug, member_id, rhythm, lang) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (address) DO UPDATE SET area_slug = $2, member_id = coalesce($3, email_subscriptions.member_id),
           rhythm = $4, lang = $5, status = 'active', confirmed_at = now(), unsubscribed_at = NULL,
           suspended_reason = NULL, soft_bounces = 0, last_soft_bounce_at = NULL
         RETURNING id",
    )
    .bind(&r.address)
    .bind(&r.area)
    .bind(r.member)
    .bind(r.rhythm)
    .bind(r.lang)
    .fetch_one(pool)
    .await?)
}

/// An address that left (or is leaving) an area's news.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Unsubscribed {
    pub address: String,
    /// The area it followed.
    pub area_slug: String,
    /// The subscriber's language.
    pub lang: Lang,
}

/// Unsubscribes subscription `id` (again is fine); None for an unknown subscription.
pub async fn unsubscribe(pool: &PgPool, id: i64) -> anyhow::Result<Option<Unsubscribed>> {
    Ok(sqlx::query_as(
        "UPDATE email_subscriptions SET status = 'unsubscribed', unsubscribed_at = coalesce(unsubscribed_at, now())
         WHERE id = $1 RETURNING address, area_slug, lang",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// The address and language of subscription `id`, whatever its status.
pub async fn address(pool: &PgPool, id: i64) -> anyhow::Result<Option<(String, Lang)>> {
    Ok(
        sqlx::query_as("SELECT address, lang FROM email_subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// The id of an address's active subscription and its area's name, if it has one: what an
/// email's footer names (one query per email sent).
pub async fn active_footer(pool: &PgPool, address: &str) -> anyhow::Result<Option<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT s.id, a.name FROM email_subscriptions s JOIN areas a ON a.slug = s.area_slug
         WHERE s.address = $1 AND s.status = 'active'",
    )
    .bind(address.to_lowercase())
    .fetch_optional(pool)
    .await?)
}

/// The area an address actively follows, if any.
pub async fn active_area(pool: &PgPool, address: &str) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT area_slug FROM email_subscriptions WHERE address = $1 AND status = 'active'")
            .bind(address)
            .fetch_optional(pool)
            .await?,
    )
}

/// The area and language of an address's active subscription, if any.
pub async fn active_of(pool: &PgPool, address: &str) -> anyhow::Result<Option<(String, Lang)>> {
    Ok(
        sqlx::query_as("SELECT area_slug, lang FROM email_subscriptions WHERE address = $1 AND status = 'active'")
            .bind(address.to_lowercase())
            .fetch_optional(pool)
            .await?,
    )
}

/// A subscriber who receives each message of an area as it comes.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Subscriber {
    /// The subscription's id (its unsubscribe link names it).
    pub id: i64,
    pub address: String,
    pub lang: Lang,
}

/// The active subscribers of `area` at the rhythm "each", by id.
pub async fn each_message_subscribers(tx: &mut Tx<'_>, area: &str) -> anyhow::Result<Vec<Subscriber>> {
    Ok(sqlx::query_as(
        "SELECT id, address, lang FROM email_subscriptions WHERE area_slug = $1 AND status = 'active' AND rhythm = 'each'
         ORDER BY id",
    )
    .bind(area)
    .fetch_all(&mut **tx)
    .await?)
}

/// The active subscribers of any of `areas`, whatever their rhythm, with their area, by id
/// (a municipal poll asks each of them).
pub async fn active_in_areas(tx: &mut Tx<'_>, areas: &[String]) -> anyhow::Result<Vec<(Subscriber, String)>> {
    let rows: Vec<(i64, String, Lang, String)> = sqlx::query_as(
        "SELECT id, address, lang, area_slug FROM email_subscriptions WHERE area_slug = ANY($1) AND status = 'active'
         ORDER BY id",
    )
    .bind(areas)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, address, lang, area)| (Subscriber { id, address, lang }, area))
        .collect())
}

/// The member who votes for subscription `id` (a municipal poll's email link), with the
/// subscription's address and area, if it is active: the member of the address's email
/// identity, else the member who asked for the subscription from a chat.
pub async fn voter(tx: &mut Tx<'_>, id: i64) -> anyhow::Result<Option<(String, String, Option<i64>)>> {
    Ok(sqlx::query_as(
        "SELECT s.address, s.area_slug, coalesce(i.member_id, s.member_id) FROM email_subscriptions s
         LEFT JOIN identities i ON i.channel = 'email' AND i.external_id = s.address
         WHERE s.id = $1 AND s.status = 'active'",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Suspends the email subscription of `address` (hard bounce), with the reason.
pub async fn suspend_address(pool: &PgPool, address: &str, reason: &str) -> anyhow::Result<()> {
    bounce(
        pool,
        "UPDATE email_subscriptions SET status = 'suspended', suspended_reason = $2
         WHERE address = $1 AND status = 'active'",
        address,
        reason,
    )
    .await
}

/// Soft bounces this many days apart start counting again from one.
pub const SOFT_BOUNCE_RESET_DAYS: i32 = 30;
/// The soft bounce that suspends a subscription.
pub const SOFT_BOUNCES_TO_SUSPEND: i32 = 3;

/// Counts a soft bounce for `address` at `now`: at most one a day (a later one the same day is
/// not counted), starting again from one after 30 days without any; the third suspends the
/// subscription. Returns the count when this one was counted.
pub async fn soft_bounce(
    pool: &PgPool,
    address: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i32>> {
    Ok(sqlx::query_scalar(
        "WITH s AS (
           SELECT id, CASE WHEN last_soft_bounce_at IS NULL
                             OR last_soft_bounce_at < $3 - make_interval(days => $4) THEN 1
                           ELSE soft_bounces + 1 END AS n
           FROM email_subscriptions
           WHERE address = $1 AND status = 'active'
             AND (last_soft_bounce_at IS NULL OR last_soft_bounce_at <= $3 - interval '1 day')
           FOR UPDATE)
         UPDATE email_subscriptions e SET soft_bounces = s.n, last_soft_bounce_at = $3,
           status = CASE WHEN s.n >= $5 THEN 'suspended' ELSE e.status END,
           suspended_reason = CASE WHEN s.n >= $5 THEN $2 ELSE e.suspended_reason END
         FROM s WHERE e.id = s.id
         RETURNING s.n",
    )
    .bind(address.to_lowercase())
    .bind(reason)
    .bind(now)
    .bind(SOFT_BOUNCE_RESET_DAYS)
    .bind(SOFT_BOUNCES_TO_SUSPEND)
    .fetch_optional(pool)
    .await?)
}

/// The status and soft-bounce count of `address`'s subscription (tests, `voisinage` tools).
pub async fn bounce_state(pool: &PgPool, address: &str) -> anyhow::Result<Option<(SubscriptionStatus, i32)>> {
    Ok(
        sqlx::query_as("SELECT status, soft_bounces FROM email_subscriptions WHERE address = $1")
            .bind(address.to_lowercase())
            .fetch_optional(pool)
            .await?,
    )
}

/// Runs `update` for a bounce: $1 is the address (as stored: lower-case), $2 the reason.
async fn bounce(pool: &PgPool, update: &'static str, address: &str, reason: &str) -> anyhow::Result<()> {
    sqlx::query(update)
        .bind(address.to_lowercase())
        .bind(reason)
        .execute(pool)
        .await?;
    Ok(())
}

/// Keeps a subscription asked for, until its owner confirms it; returns its id (what the
/// confirmation link signs).
pub async fn add_pending(tx: &mut Tx<'_>, r: &Request) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO pending_subscriptions (address, area_slug, rhythm, member_id, lang, issued)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(&r.address)
    .bind(&r.area)
    .bind(r.rhythm)
    .bind(r.member)
    .bind(r.lang)
    .bind(r.issued)
    .fetch_one(&mut **tx)
    .await?)
}

/// The subscription asked for as pending request `id`, if there is one.
pub async fn pending(pool: &PgPool, id: i64) -> anyhow::Result<Option<Request>> {
    let row: Option<(String, String, Rhythm, Option<i64>, Lang, i64)> = sqlx::query_as(
        "SELECT address, area_slug, rhythm, member_id, lang, issued FROM pending_subscriptions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(address, area, rhythm, member, lang, issued)| Request {
        address,
        area,
        rhythm,
        member,
        lang,
        issued,
    }))
}
