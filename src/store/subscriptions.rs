//! The `email_subscriptions` table: who follows which area by email, at what rhythm and in
//! which language; bounces suspend a subscription.

use sqlx::{FromRow, PgPool};

use super::Tx;
use crate::core::links::{Request, Rhythm};
use crate::i18n::Lang;

/// Applies a confirmed request: the subscription is created or moved to this area, rhythm and
/// language, and is active again whatever happened to it before.
pub async fn confirm(pool: &PgPool, r: &Request) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO email_subscriptions (address, area_slug, member_id, rhythm, lang) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (address) DO UPDATE SET area_slug = $2, member_id = coalesce($3, email_subscriptions.member_id),
           rhythm = $4, lang = $5, status = 'active', confirmed_at = now(), unsubscribed_at = NULL,
           suspended_reason = NULL, soft_bounces = 0
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

/// The active subscription of an address, if any.
pub async fn active_id(pool: &PgPool, address: &str) -> anyhow::Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM email_subscriptions WHERE address = $1 AND status = 'active'")
            .bind(address.to_lowercase())
            .fetch_optional(pool)
            .await?,
    )
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

/// The name of the area subscription `id` follows (for the footer of what it receives).
pub async fn area_name(pool: &PgPool, id: i64) -> anyhow::Result<String> {
    Ok(sqlx::query_scalar(
        "SELECT a.name FROM email_subscriptions s JOIN areas a ON a.slug = s.area_slug WHERE s.id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await?)
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

/// Counts a soft bounce for `address`; the third in a row suspends it.
pub async fn soft_bounce(pool: &PgPool, address: &str, reason: &str) -> anyhow::Result<()> {
    bounce(
        pool,
        "UPDATE email_subscriptions SET soft_bounces = soft_bounces + 1,
           status = CASE WHEN soft_bounces + 1 >= 3 THEN 'suspended' ELSE status END,
           suspended_reason = CASE WHEN soft_bounces + 1 >= 3 THEN $2 ELSE suspended_reason END
         WHERE address = $1 AND status = 'active'",
        address,
        reason,
    )
    .await
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
