//! The `messages` table: every message the bot read, in the chat it was said in.

use sqlx::{FromRow, PgPool};

use crate::core::model::ChannelKind;

/// Where a stored message was said, and who said it.
#[derive(Debug, Clone, FromRow)]
pub struct Origin {
    pub channel: ChannelKind,
    pub chat: String,
    pub native_id: String,
    /// The author's account on that channel ("" when unknown).
    pub author: String,
}

/// The [`Origin`] of message `id`, if stored.
pub async fn origin(pool: &PgPool, id: i64) -> anyhow::Result<Option<Origin>> {
    Ok(sqlx::query_as(
        "SELECT channel, chat_external_id AS chat, native_id, coalesce((SELECT external_id FROM identities i
             WHERE i.member_id = m.member_id AND i.channel = m.channel), '') AS author
         FROM messages m WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?)
}
