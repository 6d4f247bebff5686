//! The `daemon_secrets` table: keys every daemon on this database shares.

use sqlx::PgPool;

/// The key named `name`, made from `fresh` on first use. The first daemon to ask stores its
/// candidate and every daemon reads back the one stored, so they all sign alike.
pub async fn shared_key(pool: &PgPool, name: &str, fresh: &[u8]) -> anyhow::Result<Vec<u8>> {
    sqlx::query("INSERT INTO daemon_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .bind(fresh)
        .execute(pool)
        .await?;
    Ok(sqlx::query_scalar("SELECT value FROM daemon_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await?)
}
