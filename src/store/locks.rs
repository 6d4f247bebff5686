//! The lock of a singleton reader (Telegram getUpdates, Matrix sync, IMAP): a PostgreSQL
//! advisory lock held on a connection of its own for as long as this daemon is the reader.
//! When that session dies, its lock goes with it and another daemon can take over.

use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, PgPool, Postgres};
use tracing::warn;

/// Where the lock stands after [`ReaderLock::hold`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Held since an earlier call: carry on.
    Kept,
    /// Taken just now: the reader resumes from what the store says.
    Taken,
    /// Another daemon holds it.
    Busy,
}

/// One reader's lock.
pub struct ReaderLock {
    key: String,
    conn: Option<PoolConnection<Postgres>>,
}

impl ReaderLock {
    pub fn new(key: impl Into<String>) -> ReaderLock {
        ReaderLock {
            key: key.into(),
            conn: None,
        }
    }

    /// The lock's name (also the reader's row in `poll_offsets`).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Names the lock (before it is first taken, when the name is learnt late).
    pub fn set_key(&mut self, key: impl Into<String>) {
        if self.conn.is_none() {
            self.key = key.into();
        }
    }

    /// Checks the lock is still held, or tries to take it.
    pub async fn hold(&mut self, pool: &PgPool) -> anyhow::Result<Hold> {
        if let Some(conn) = self.conn.as_mut() {
            if sqlx::query("SELECT 1").execute(&mut **conn).await.is_ok() {
                return Ok(Hold::Kept);
            }
            warn!(lock = %self.key, "lost the database connection holding a reader's lock");
            if let Some(conn) = self.conn.take() {
                let _ = conn.detach();
            }
        }
        let mut conn = pool.acquire().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
            .bind(&self.key)
            .fetch_one(&mut *conn)
            .await?;
        if !got {
            return Ok(Hold::Busy);
        }
        self.conn = Some(conn);
        Ok(Hold::Taken)
    }

    /// The connection holding the lock, for the reader's own bookkeeping (offsets).
    pub fn conn(&mut self) -> anyhow::Result<&mut PgConnection> {
        match self.conn.as_mut() {
            Some(c) => Ok(&mut **c),
            None => anyhow::bail!("the reader's lock `{}` is not held", self.key),
        }
    }

    /// Lets the lock go, so another daemon can take over at once.
    pub async fn release(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let _ = sqlx::query("SELECT pg_advisory_unlock(hashtextextended($1, 0))")
                .bind(&self.key)
                .execute(&mut *conn)
                .await;
        }
    }
}
