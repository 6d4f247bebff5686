//! Moderation: the owner of `bans` and `moderation_log`, and the reads moderation needs about
//! a message and its author.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor};

use super::Tx;
use crate::core::model::ChannelKind;

/// A message a moderator or a reporter points at, with its author.
#[derive(Debug, Clone, FromRow)]
pub struct Target {
    pub id: i64,
    pub channel: ChannelKind,
    pub chat: String,
    pub native_id: String,
    pub area_slug: Option<String>,
    pub member_id: Option<i64>,
    pub author: String,
    pub body: String,
    /// Said in a direct chat or an email list (nothing to delete there).
    pub chat_kind: Option<String>,
    pub deleted: bool,
}

/// Message `id` as moderation sees it.
pub async fn target(tx: &mut Tx<'_>, id: i64) -> anyhow::Result<Option<Target>> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.channel, m.chat_external_id AS chat, m.native_id, m.area_slug, m.member_id,
                coalesce(mb.display_name, '') AS author, m.body, c.kind AS chat_kind,
                m.deleted_at IS NOT NULL AS deleted
         FROM messages m LEFT JOIN members mb ON mb.id = m.member_id LEFT JOIN chats c ON c.id = m.chat_id
         WHERE m.id = $1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The accounts of a member (channel, external id).
pub async fn identities(db: impl PgExecutor<'_>, member: i64) -> anyhow::Result<Vec<(ChannelKind, String)>> {
    Ok(
        sqlx::query_as("SELECT channel, external_id FROM identities WHERE member_id = $1 ORDER BY channel")
            .bind(member)
            .fetch_all(db)
            .await?,
    )
}

/// Bans `member` from `area`. Returns false when they already were.
pub async fn ban(tx: &mut Tx<'_>, member: i64, area: &str, by: i64) -> anyhow::Result<bool> {
    let r =
        sqlx::query("INSERT INTO bans (member_id, area_slug, banned_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(member)
            .bind(area)
            .bind(by)
            .execute(&mut **tx)
            .await?;
    Ok(r.rows_affected() == 1)
}

/// Lifts a ban. Returns false when there was none.
pub async fn unban(tx: &mut Tx<'_>, member: i64, area: &str) -> anyhow::Result<bool> {
    let r = sqlx::query("DELETE FROM bans WHERE member_id = $1 AND area_slug = $2")
        .bind(member)
        .bind(area)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// One moderation action to record.
pub struct Action<'a> {
    pub area: &'a str,
    pub action: &'static str,
    pub actor: i64,
    pub subject: Option<i64>,
    pub message: Option<i64>,
    pub copies: Vec<String>,
}

/// Records an action in the area's moderation log.
pub async fn log(tx: &mut Tx<'_>, a: &Action<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO moderation_log (area_slug, action, actor_id, subject_id, message_id, copies)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.area)
    .bind(a.action)
    .bind(a.actor)
    .bind(a.subject)
    .bind(a.message)
    .bind(&a.copies)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A line of the moderation log, with names.
#[derive(Debug, Clone, FromRow)]
pub struct Logged {
    pub action: String,
    pub actor: String,
    pub subject: String,
    pub message_id: Option<i64>,
    pub copies: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// The latest `limit` actions in `area`, newest first.
pub async fn recent(db: impl PgExecutor<'_>, area: &str, limit: i64) -> anyhow::Result<Vec<Logged>> {
    Ok(sqlx::query_as(
        "SELECT l.action, coalesce(a.display_name, '?') AS actor, coalesce(s.display_name, '?') AS subject,
                l.message_id, l.copies, l.created_at
         FROM moderation_log l LEFT JOIN members a ON a.id = l.actor_id LEFT JOIN members s ON s.id = l.subject_id
         WHERE l.area_slug = $1 ORDER BY l.id DESC LIMIT $2",
    )
    .bind(area)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Moderation actions logged, by action (for /metrics).
pub async fn counts(db: impl PgExecutor<'_>) -> anyhow::Result<Vec<(String, i64)>> {
    Ok(
        sqlx::query_as("SELECT action, count(*) FROM moderation_log GROUP BY 1 ORDER BY 1")
            .fetch_all(db)
            .await?,
    )
}
