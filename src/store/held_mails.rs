//! The `held_mails` table: email from a subscriber's address waiting for its owner to confirm
//! it was theirs (see core::mail). Rows are deleted when they expire.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool};

/// A held mail.
#[derive(Debug, Clone, FromRow)]
pub struct Held {
    pub id: i64,
    pub address: String,
    /// The mail as the core stored it (core::mail::Mail).
    pub mail: serde_json::Value,
    pub reason: String,
    pub held_at: DateTime<Utc>,
    /// Already posted (the link was followed before).
    pub posted: bool,
}

/// Holds a mail; None when this mail (same native id) is already held.
pub async fn hold(
    pool: &PgPool,
    address: &str,
    native_id: &str,
    mail: &serde_json::Value,
    reason: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO held_mails (address, native_id, mail, reason, held_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (native_id) DO NOTHING RETURNING id",
    )
    .bind(address)
    .bind(native_id)
    .bind(mail)
    .bind(reason)
    .bind(now)
    .fetch_optional(pool)
    .await?)
}

/// Held mail `id`, posted or not; None once expired (deleted) or unknown.
pub async fn get(pool: &PgPool, id: i64) -> anyhow::Result<Option<Held>> {
    Ok(sqlx::query_as(
        "SELECT id, address, mail, reason, held_at, status = 'posted' AS posted FROM held_mails WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}

/// Marks held mail `id` posted and returns it, if it was still waiting (a second click, or a
/// second daemon, gets None: the mail is posted once).
pub async fn take(pool: &PgPool, id: i64, now: DateTime<Utc>) -> anyhow::Result<Option<Held>> {
    Ok(sqlx::query_as(
        "UPDATE held_mails SET status = 'posted', posted_at = $2 WHERE id = $1 AND status = 'held'
         RETURNING id, address, mail, reason, held_at, status = 'posted' AS posted",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(pool)
    .await?)
}

/// Puts mail `id` back on hold (posting it failed).
pub async fn untake(pool: &PgPool, id: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE held_mails SET status = 'held', posted_at = NULL WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes mail held before `before` (expired, posted or not). Returns how many.
pub async fn expire(pool: &PgPool, before: DateTime<Utc>) -> anyhow::Result<u64> {
    Ok(sqlx::query("DELETE FROM held_mails WHERE held_at < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected())
}

/// The other mails still held for `address` (id and subject), oldest first.
pub async fn others_held(pool: &PgPool, address: &str, except: i64) -> anyhow::Result<Vec<(i64, String)>> {
    Ok(sqlx::query_as(
        "SELECT id, coalesce(mail->>'subject', '') FROM held_mails
         WHERE address = $1 AND status = 'held' AND id <> $2 ORDER BY held_at, id",
    )
    .bind(address)
    .bind(except)
    .fetch_all(pool)
    .await?)
}

/// Mails held and posted so far, by status (for /metrics).
pub async fn counts(pool: &PgPool) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT status, count(*) FROM held_mails GROUP BY 1 ORDER BY 1")
            .fetch_all(pool)
            .await?,
    )
}
