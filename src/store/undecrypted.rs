//! Encrypted Matrix events waiting for their room key (`matrix_undecrypted`).

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// One event kept aside.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Undecrypted {
    pub event_id: String,
    pub room: String,
    pub sender: String,
    pub raw: String,
    pub seen_at: DateTime<Utc>,
    pub notified_at: Option<DateTime<Utc>>,
}

/// Keeps an event the bot could not decrypt (a replayed batch keeps it once).
pub async fn keep(pool: &PgPool, event_id: &str, room: &str, sender: &str, raw: &str) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO matrix_undecrypted (event_id, room, sender, raw) VALUES ($1, $2, $3, $4)
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(room)
    .bind(sender)
    .bind(raw)
    .execute(pool)
    .await?;
    Ok(())
}

/// The oldest events waiting, at most `limit`.
pub async fn waiting(pool: &PgPool, limit: i64) -> anyhow::Result<Vec<Undecrypted>> {
    Ok(sqlx::query_as(
        "SELECT event_id, room, sender, raw, seen_at, notified_at FROM matrix_undecrypted
         ORDER BY seen_at, event_id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// An event decrypted and handled: no longer waiting.
pub async fn done(pool: &PgPool, event_id: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM matrix_undecrypted WHERE event_id = $1")
        .bind(event_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Its sender was asked to send it again. Returns whether this call marked it (once).
pub async fn mark_notified(pool: &PgPool, event_id: &str) -> anyhow::Result<bool> {
    let r =
        sqlx::query("UPDATE matrix_undecrypted SET notified_at = now() WHERE event_id = $1 AND notified_at IS NULL")
            .bind(event_id)
            .execute(pool)
            .await?;
    Ok(r.rows_affected() == 1)
}
