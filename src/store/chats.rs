//! Chats: an area's rooms, direct conversations, groups the bot is in; and what the adapters
//! keep beside them (invite links, gone chats, poll offsets, unreadable input).

use sqlx::{PgExecutor, PgPool};

use super::Tx;
use crate::core::model::ChannelKind;

/// Makes `external_id` on `channel` the room of `area`. The area's previous room on that
/// channel becomes a plain group (its messages keep their chat). Returns the chat id.
pub async fn link_room_tx(tx: &mut Tx<'_>, channel: ChannelKind, external_id: &str, area: &str) -> anyhow::Result<i64> {
    sqlx::query(
        "UPDATE chats SET kind = 'group', area_slug = NULL
         WHERE area_slug = $1 AND channel = $2 AND kind = 'room' AND external_id <> $3",
    )
    .bind(area)
    .bind(channel.as_str())
    .bind(external_id)
    .execute(&mut **tx)
    .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO chats (channel, external_id, area_slug, kind) VALUES ($1, $2, $3, 'room')
         ON CONFLICT (channel, external_id) DO UPDATE SET area_slug = $3, kind = 'room', gone_at = NULL,
           gone_reason = NULL
         RETURNING id",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .bind(area)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

/// Unlinks a room: it becomes a plain group. Returns the area it was the room of.
pub async fn unlink_room(tx: &mut Tx<'_>, channel: ChannelKind, external_id: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE chats c SET kind = 'group', area_slug = NULL FROM chats old
         WHERE c.id = old.id AND c.channel = $1 AND c.external_id = $2 AND c.kind = 'room'
         RETURNING old.area_slug",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .fetch_optional(&mut **tx)
    .await?
    .flatten())
}

/// The chat row of a direct conversation, created on first contact.
pub async fn upsert_direct(tx: &mut Tx<'_>, channel: ChannelKind, external_id: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO chats (channel, external_id, kind) VALUES ($1, $2, 'direct')
         ON CONFLICT (channel, external_id) DO UPDATE SET gone_at = NULL, gone_reason = NULL
         RETURNING id",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// A room of an area, as onboarding shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RoomLink {
    pub channel: ChannelKind,
    pub external_id: String,
    pub invite_link: Option<String>,
}

/// The rooms of `area` that are still there.
pub async fn rooms_of(db: impl PgExecutor<'_>, area: &str) -> anyhow::Result<Vec<RoomLink>> {
    Ok(sqlx::query_as(
        "SELECT channel, external_id, invite_link FROM chats
         WHERE area_slug = $1 AND kind = 'room' AND gone_at IS NULL ORDER BY channel",
    )
    .bind(area)
    .fetch_all(db)
    .await?)
}

/// The rooms still there of each of `areas`, with their area; one statement for all of them.
pub async fn rooms_of_areas(db: impl PgExecutor<'_>, areas: &[&str]) -> anyhow::Result<Vec<(String, RoomLink)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        area_slug: String,
        #[sqlx(flatten)]
        room: RoomLink,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT area_slug, channel, external_id, invite_link FROM chats
         WHERE area_slug = ANY($1) AND kind = 'room' AND gone_at IS NULL ORDER BY area_slug, channel",
    )
    .bind(areas)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.area_slug, r.room)).collect())
}

/// The area whose room this chat is, if any.
pub async fn room_area(pool: &PgPool, channel: ChannelKind, external_id: &str) -> anyhow::Result<Option<RoomLink>> {
    Ok(sqlx::query_as(
        "SELECT channel, external_id, invite_link FROM chats WHERE channel = $1 AND external_id = $2 AND kind = 'room'",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .fetch_optional(pool)
    .await?)
}

/// Records the link neighbours follow to join the chat.
pub async fn set_invite_link(pool: &PgPool, channel: ChannelKind, external_id: &str, link: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE chats SET invite_link = $3 WHERE channel = $1 AND external_id = $2")
        .bind(channel.as_str())
        .bind(external_id)
        .bind(link)
        .execute(pool)
        .await?;
    Ok(())
}

/// The chat is gone for the bot (kicked, left, blocked): nothing more is queued there, and
/// what was queued fails with the reason. Idempotent.
pub async fn mark_gone(
    pool: &PgPool,
    channel: ChannelKind,
    external_id: &str,
    reason: &str,
) -> anyhow::Result<Vec<i64>> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "UPDATE chats SET gone_at = coalesce(gone_at, now()), gone_reason = $3 WHERE channel = $1 AND external_id = $2",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .bind(reason)
    .execute(&mut *tx)
    .await?;
    let failed = sqlx::query_scalar(
        "UPDATE deliveries SET status = 'failed', claimed_until = NULL, last_error = 'chat gone: ' || $3
         WHERE channel = $1 AND target = $2 AND status IN ('pending', 'sending') RETURNING id",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .bind(reason)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(failed)
}

/// The bot is back in the chat.
pub async fn clear_gone(pool: &PgPool, channel: ChannelKind, external_id: &str) -> anyhow::Result<()> {
    sqlx::query("UPDATE chats SET gone_at = NULL, gone_reason = NULL WHERE channel = $1 AND external_id = $2")
        .bind(channel.as_str())
        .bind(external_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The channel gave the chat a new id (a Telegram group upgraded to a supergroup): the room,
/// and what is still queued for it, follow.
pub async fn rename(pool: &PgPool, channel: ChannelKind, old: &str, new: &str) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE chats SET external_id = $3 WHERE channel = $1 AND external_id = $2")
        .bind(channel.as_str())
        .bind(old)
        .bind(new)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE deliveries SET target = $3 WHERE channel = $1 AND target = $2 AND status IN ('pending', 'sending')",
    )
    .bind(channel.as_str())
    .bind(old)
    .bind(new)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Where poller `poller` resumes (None: never polled).
pub async fn load_offset(db: impl PgExecutor<'_>, poller: &str) -> anyhow::Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT next_offset FROM poll_offsets WHERE poller = $1")
            .bind(poller)
            .fetch_optional(db)
            .await?,
    )
}

/// Records where poller `poller` resumes.
pub async fn save_offset(db: impl PgExecutor<'_>, poller: &str, next: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO poll_offsets (poller, next_offset) VALUES ($1, $2)
         ON CONFLICT (poller) DO UPDATE SET next_offset = greatest(poll_offsets.next_offset, $2), updated_at = now()",
    )
    .bind(poller)
    .bind(next)
    .execute(db)
    .await?;
    Ok(())
}

/// Where a token-based poller (Matrix sync) resumes (None: never synced).
pub async fn load_token(db: impl PgExecutor<'_>, poller: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT token FROM poll_offsets WHERE poller = $1")
        .bind(poller)
        .fetch_optional(db)
        .await?
        .flatten())
}

/// Records where a token-based poller resumes.
pub async fn save_token(db: impl PgExecutor<'_>, poller: &str, token: &str) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO poll_offsets (poller, token) VALUES ($1, $2)
         ON CONFLICT (poller) DO UPDATE SET token = $2, updated_at = now()",
    )
    .bind(poller)
    .bind(token)
    .execute(db)
    .await?;
    Ok(())
}

/// Records that a chat is a direct conversation with the bot (a Matrix DM the bot joined), so
/// its messages go to onboarding rather than to a room.
pub async fn ensure_direct(pool: &PgPool, channel: ChannelKind, external_id: &str) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO chats (channel, external_id, kind) VALUES ($1, $2, 'direct')
         ON CONFLICT (channel, external_id) DO NOTHING",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Whether the chat is a direct conversation with the bot.
pub async fn is_direct(pool: &PgPool, channel: ChannelKind, external_id: &str) -> anyhow::Result<bool> {
    Ok(
        sqlx::query_scalar::<_, bool>("SELECT kind = 'direct' FROM chats WHERE channel = $1 AND external_id = $2")
            .bind(channel.as_str())
            .bind(external_id)
            .fetch_optional(pool)
            .await?
            .unwrap_or(false),
    )
}

/// The room of `area` on `channel`, if linked.
pub async fn room_of_area(pool: &PgPool, channel: ChannelKind, area: &str) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT external_id FROM chats WHERE channel = $1 AND area_slug = $2 AND kind = 'room'")
            .bind(channel.as_str())
            .bind(area)
            .fetch_optional(pool)
            .await?,
    )
}

/// The chat standing for an area's email list ("list:SLUG"), created on first use.
pub async fn ensure_list(pool: &PgPool, area: &str) -> anyhow::Result<String> {
    let id = format!("list:{area}");
    sqlx::query(
        "INSERT INTO chats (channel, external_id, area_slug, kind) VALUES ('email', $1, $2, 'list')
         ON CONFLICT (channel, external_id) DO NOTHING",
    )
    .bind(&id)
    .bind(area)
    .execute(pool)
    .await?;
    Ok(id)
}

/// Keeps inbound data that could not be read, with the reason.
pub async fn dead_letter(pool: &PgPool, channel: ChannelKind, raw: &str, error: &str) -> anyhow::Result<()> {
    sqlx::query("INSERT INTO dead_letters (channel, raw, error) VALUES ($1, $2, $3)")
        .bind(channel.as_str())
        .bind(raw)
        .bind(error)
        .execute(pool)
        .await?;
    Ok(())
}

/// The latest direct chat on `channel` in which the owner of the account `external_id` spoke
/// (where the bot can write to them privately), if any.
pub async fn direct_chat_of(
    db: impl PgExecutor<'_>,
    channel: ChannelKind,
    external_id: &str,
) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT c.external_id FROM identities i JOIN messages m ON m.member_id = i.member_id
           JOIN chats c ON c.id = m.chat_id
         WHERE i.channel = $1 AND i.external_id = $2 AND c.kind = 'direct' AND c.channel = $1
         ORDER BY m.id DESC LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(external_id)
    .fetch_optional(db)
    .await?)
}
