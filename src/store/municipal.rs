//! The tables of the municipal sign-in (issue 18): `muni_signin_links`,
//! `muni_signin_requests`, `muni_sessions`. Secrets are stored as their SHA-256 only.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::Tx;

/// How many sign-in requests this address and this client made since `since`, counting the
/// one recorded now (it is recorded whatever the limits say, so hammering keeps counting).
pub async fn record_signin_request(
    pool: &PgPool,
    email: &str,
    client: &str,
    since: DateTime<Utc>,
) -> anyhow::Result<(i64, i64)> {
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO muni_signin_requests (email, client) VALUES ($1, $2)")
        .bind(email)
        .bind(client)
        .execute(&mut *tx)
        .await?;
    let counts: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM muni_signin_requests WHERE email = $1 AND at > $3),
                (SELECT count(*) FROM muni_signin_requests WHERE client = $2 AND at > $3)",
    )
    .bind(email)
    .bind(client)
    .bind(since)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM muni_signin_requests WHERE at < now() - interval '1 day'")
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(counts)
}

/// Stores a sign-in link for `email` (in the transaction that queues its mail).
pub async fn add_signin_link(
    tx: &mut Tx<'_>,
    token_hash: &str,
    email: &str,
    expires_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO muni_signin_links (token_hash, email, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(email)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The address of a sign-in link that is still unused and unexpired at `now`.
pub async fn signin_link(pool: &PgPool, token_hash: &str, now: DateTime<Utc>) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT email FROM muni_signin_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?)
}

/// Uses a sign-in link once: its address if it was unused and unexpired at `now` (then it is
/// used), None otherwise. Two requests racing for one link: one wins.
pub async fn take_signin_link(tx: &mut Tx<'_>, token_hash: &str, now: DateTime<Utc>) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE muni_signin_links SET used_at = $2
          WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING email",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Opens a session.
pub async fn add_session(
    tx: &mut Tx<'_>,
    token_hash: &str,
    email: &str,
    csrf: &str,
    expires_at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO muni_sessions (token_hash, email, csrf, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(email)
        .bind(csrf)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The address and anti-CSRF token of a session that is neither revoked nor expired at `now`.
pub async fn session(pool: &PgPool, token_hash: &str, now: DateTime<Utc>) -> anyhow::Result<Option<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT email, csrf FROM muni_sessions
          WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?)
}

/// Ends a session (sign-out).
pub async fn revoke_session(pool: &PgPool, token_hash: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE muni_sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

/// Deletes sign-in links and sessions that ended (expired, used or revoked) before `before`:
/// what was deleted, links and sessions together.
pub async fn purge_ended(pool: &PgPool, before: DateTime<Utc>) -> anyhow::Result<u64> {
    let links = sqlx::query("DELETE FROM muni_signin_links WHERE expires_at < $1 OR used_at < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected();
    let sessions = sqlx::query("DELETE FROM muni_sessions WHERE expires_at < $1 OR revoked_at < $1")
        .bind(before)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(links + sessions)
}
