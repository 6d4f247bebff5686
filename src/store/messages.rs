//! Inbound messages and their edits: the owner of `messages` and `message_edits`.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgExecutor, PgPool};

use super::Tx;
use super::enums::TextEnum;
use super::subscriptions::Subscriber;
use crate::core::model::{ChannelKind, Inbound};
use crate::i18n::Lang;

/// A message just stored, with what ingest needs next.
#[derive(Debug)]
pub struct Stored {
    pub id: i64,
    /// The area whose room the chat is.
    pub area: Option<String>,
    /// The sender's member and language, when the account is known.
    pub member: Option<(i64, Lang)>,
    /// The area's other rooms (not gone) to relay to, in order.
    pub rooms: Vec<(i64, ChannelKind, String)>,
    /// The sender is banned from the chat's area: the message is kept, nothing else happens.
    pub banned: bool,
    /// The area's active email subscribers who want every message, by id (read in the same
    /// statement: one round trip fewer per message).
    pub each_subscribers: Vec<Subscriber>,
}

#[derive(sqlx::FromRow)]
struct StoredRow {
    /// The message's place in its run, from 1.
    n: i64,
    id: i64,
    area_slug: Option<String>,
    member_id: Option<i64>,
    member_lang: Option<Lang>,
    room_ids: Vec<i64>,
    room_channels: Vec<String>,
    room_targets: Vec<String>,
    banned: bool,
    sub_ids: Vec<i64>,
    sub_addresses: Vec<String>,
    sub_langs: Vec<String>,
}

/// One statement: finds the chat and the sender, stores the message once, lists the area's
/// other rooms and its every-message subscribers. None: already stored (a redelivery).
pub async fn store_inbound(tx: &mut Tx<'_>, m: &Inbound) -> anyhow::Result<Option<Stored>> {
    Ok(store_many(tx, &[m]).await?.pop().flatten())
}

/// [`store_inbound`] for several messages in one statement, stored in their order (a poll
/// round's run of plain messages); one answer per message, None for a redelivery (also for a
/// message given twice: its second time).
pub async fn store_many(tx: &mut Tx<'_>, ms: &[&Inbound]) -> anyhow::Result<Vec<Option<Stored>>> {
    let rows: Vec<StoredRow> = sqlx::query_as(
        "WITH u AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                                     $7::text[], $8::text[])
                    WITH ORDINALITY AS u(channel, chat, native_id, sender, body, sent_at, reply_to, album, n)),
              -- A chat that speaks again has the bot back (re-added, unblocked).
              back AS (UPDATE chats c SET gone_at = NULL, gone_reason = NULL
                       FROM u WHERE c.channel = u.channel AND c.external_id = u.chat AND c.gone_at IS NOT NULL),
              ins AS (
                INSERT INTO messages (channel, chat_external_id, native_id, chat_id, area_slug, member_id, body,
                                      sent_at, reply_to_native_id, media_group)
                SELECT u.channel, u.chat, u.native_id, ch.id, ch.area_slug, who.member_id, u.body, u.sent_at,
                       u.reply_to, u.album
                FROM u
                LEFT JOIN chats ch ON ch.channel = u.channel AND ch.external_id = u.chat AND ch.kind <> 'direct'
                LEFT JOIN identities who ON who.channel = u.channel AND who.external_id = u.sender
                ORDER BY u.n
                ON CONFLICT (channel, chat_external_id, native_id) DO NOTHING
                RETURNING id, channel, chat_external_id, native_id, chat_id, area_slug, member_id),
              -- A message given twice is stored once, for its first time.
              first AS (SELECT DISTINCT ON (channel, chat, native_id) channel, chat, native_id, n
                        FROM u ORDER BY channel, chat, native_id, n)
         SELECT first.n, ins.id, ins.area_slug, ins.member_id, mb.lang AS member_lang,
                EXISTS (SELECT 1 FROM bans b WHERE b.member_id = ins.member_id AND b.area_slug = ins.area_slug) AS banned,
                r.ids AS room_ids, r.channels AS room_channels, r.targets AS room_targets,
                s.ids AS sub_ids, s.addresses AS sub_addresses, s.langs AS sub_langs
         FROM first
         JOIN ins ON ins.channel = first.channel AND ins.chat_external_id = first.chat AND ins.native_id = first.native_id
         LEFT JOIN members mb ON mb.id = ins.member_id
         CROSS JOIN LATERAL (
                SELECT coalesce(array_agg(c.id ORDER BY c.id), '{}') AS ids,
                       coalesce(array_agg(c.channel ORDER BY c.id), '{}') AS channels,
                       coalesce(array_agg(c.external_id ORDER BY c.id), '{}') AS targets
                FROM chats c
                WHERE c.area_slug = ins.area_slug AND c.kind = 'room' AND c.id <> ins.chat_id AND c.gone_at IS NULL) r
         CROSS JOIN LATERAL (
                SELECT coalesce(array_agg(s.id ORDER BY s.id), '{}') AS ids,
                       coalesce(array_agg(s.address ORDER BY s.id), '{}') AS addresses,
                       coalesce(array_agg(s.lang ORDER BY s.id), '{}') AS langs
                FROM email_subscriptions s
                WHERE s.area_slug = ins.area_slug AND s.status = 'active' AND s.rhythm = 'each') s
         ORDER BY first.n",
    )
    .bind(ms.iter().map(|m| m.channel.as_str()).collect::<Vec<_>>())
    .bind(ms.iter().map(|m| m.chat.as_str()).collect::<Vec<_>>())
    .bind(ms.iter().map(|m| m.native_id.as_str()).collect::<Vec<_>>())
    .bind(ms.iter().map(|m| m.sender.as_str()).collect::<Vec<_>>())
    .bind(ms.iter().map(|m| m.text.as_str()).collect::<Vec<_>>())
    .bind(ms.iter().map(|m| m.sent_at).collect::<Vec<_>>())
    .bind(ms.iter().map(|m| m.reply_to.as_deref()).collect::<Vec<_>>())
    .bind(ms.iter().map(|m| m.album.as_deref()).collect::<Vec<_>>())
    .fetch_all(&mut **tx)
    .await?;
    let mut out: Vec<Option<Stored>> = (0..ms.len()).map(|_| None).collect();
    for r in rows {
        let n = usize::try_from(r.n - 1).context("a stored message's place in its run")?;
        *out.get_mut(n).context("a stored message out of its run")? = Some(r.stored()?);
    }
    Ok(out)
}

impl StoredRow {
    fn stored(self) -> anyhow::Result<Stored> {
        let member = self.member_id.zip(self.member_lang);
        let mut rooms = Vec::with_capacity(self.room_ids.len());
        for ((id, channel), target) in self.room_ids.into_iter().zip(self.room_channels).zip(self.room_targets) {
            let channel = ChannelKind::from_stored(&channel).map_err(|e| anyhow::anyhow!("chat {id}: {e}"))?;
            rooms.push((id, channel, target));
        }
        let mut each_subscribers = Vec::with_capacity(self.sub_ids.len());
        for ((id, address), lang) in self.sub_ids.into_iter().zip(self.sub_addresses).zip(self.sub_langs) {
            let lang = Lang::parse(&lang).with_context(|| format!("subscription {id}: unknown language {lang:?}"))?;
            each_subscribers.push(Subscriber { id, address, lang });
        }
        Ok(Stored {
            id: self.id,
            area: self.area_slug,
            member,
            rooms,
            banned: self.banned,
            each_subscribers,
        })
    }
}

/// Records who sent a message (a new member) or which direct chat it was said in.
pub async fn set_member_and_chat(
    tx: &mut Tx<'_>,
    message: i64,
    member: Option<i64>,
    chat: Option<i64>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE messages SET member_id = coalesce($2, member_id), chat_id = coalesce($3, chat_id) WHERE id = $1",
    )
    .bind(message)
    .bind(member)
    .bind(chat)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The message a reply refers to, in the chat it was said in: a neighbour's message there, or
/// a copy the bridge posted there (then the original, said elsewhere). By email, a mail
/// answered from any of the member's addresses and lists: the bot's Message-IDs are unique.
/// Returns (channel, chat, native id, message id).
pub async fn replied_original(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    chat: &str,
    reply_to: &str,
) -> anyhow::Result<Option<(String, String, String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT m.channel, m.chat_external_id, m.native_id, m.id FROM messages m
         WHERE m.channel = $1 AND m.chat_external_id = $2 AND m.native_id = $3
         UNION ALL
         SELECT m.channel, m.chat_external_id, m.native_id, m.id FROM deliveries d JOIN messages m ON m.id = d.cause_message_id
         WHERE d.channel = $1 AND (d.target = $2 OR d.channel = 'email') AND d.remote_id = $3
         LIMIT 1",
    )
    .bind(channel.as_str())
    .bind(chat)
    .bind(reply_to)
    .fetch_optional(&mut **tx)
    .await?)
}

/// A message being edited, locked.
#[derive(Debug, sqlx::FromRow)]
pub struct Editable {
    pub id: i64,
    pub body: String,
    /// The author's name.
    pub name: String,
    pub area_slug: Option<String>,
}

/// A message being edited, locked. None when unknown or deleted.
pub async fn lock_for_edit(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    chat: &str,
    native_id: &str,
) -> anyhow::Result<Option<Editable>> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.body, coalesce(mb.display_name, '') AS name, m.area_slug FROM messages m LEFT JOIN members mb ON mb.id = m.member_id
         WHERE m.channel = $1 AND m.chat_external_id = $2 AND m.native_id = $3 AND m.deleted_at IS NULL
         FOR UPDATE OF m",
    )
    .bind(channel.as_str())
    .bind(chat)
    .bind(native_id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// Records an edit (once per `edit_key`) and the new body. Returns the edit's id, or None for
/// an edit already recorded.
pub async fn record_edit(
    tx: &mut Tx<'_>,
    message: i64,
    edit_key: &str,
    previous: &str,
    body: &str,
    edited_at: DateTime<Utc>,
) -> anyhow::Result<Option<i64>> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO message_edits (message_id, edit_key, previous_body, body, edited_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (message_id, edit_key) DO NOTHING RETURNING id",
    )
    .bind(message)
    .bind(edit_key)
    .bind(previous)
    .bind(body)
    .bind(edited_at)
    .fetch_optional(&mut **tx)
    .await?;
    if id.is_some() && previous != body {
        sqlx::query("UPDATE messages SET body = $2 WHERE id = $1")
            .bind(message)
            .bind(body)
            .execute(&mut **tx)
            .await?;
    }
    Ok(id)
}

/// Marks a message deleted (its body is kept) and closes its open posts. Returns the message
/// id, or None when unknown; `Some((id, false))` when it was already deleted.
pub async fn mark_deleted(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    chat: &str,
    native_id: &str,
) -> anyhow::Result<Option<(i64, bool)>> {
    let found: Option<(i64, bool)> = sqlx::query_as(
        "SELECT id, deleted_at IS NOT NULL FROM messages WHERE channel = $1 AND chat_external_id = $2 AND native_id = $3
         FOR UPDATE",
    )
    .bind(channel.as_str())
    .bind(chat)
    .bind(native_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, already)) = found else { return Ok(None) };
    if already {
        return Ok(Some((id, false)));
    }
    sqlx::query("UPDATE messages SET deleted_at = now() WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    super::posts::close_for_deleted_message(tx, id).await?;
    Ok(Some((id, true)))
}

/// The language of the member who wrote `message` (French when unknown).
pub async fn author_lang(db: impl PgExecutor<'_>, message: i64) -> anyhow::Result<Lang> {
    let lang: Option<Lang> =
        sqlx::query_scalar("SELECT mb.lang FROM messages m JOIN members mb ON mb.id = m.member_id WHERE m.id = $1")
            .bind(message)
            .fetch_optional(db)
            .await?;
    Ok(lang.unwrap_or_default())
}

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

/// A message read back to act on it later (a question answered, a correction): what was said,
/// where, by whom, and the author's language and name.
#[derive(Debug, Clone, FromRow)]
pub struct Authored {
    pub id: i64,
    pub channel: ChannelKind,
    pub chat: String,
    pub native_id: String,
    pub area_slug: Option<String>,
    pub member_id: Option<i64>,
    /// The author's account on that channel ("" when unknown).
    pub sender: String,
    pub name: String,
    pub lang: Lang,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    /// In a direct chat with the bot.
    pub direct: bool,
}

/// The [`Authored`] message `id`, if stored and not deleted.
pub async fn authored(tx: &mut Tx<'_>, id: i64) -> anyhow::Result<Option<Authored>> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.channel, m.chat_external_id AS chat, m.native_id, m.area_slug, m.member_id,
                coalesce((SELECT external_id FROM identities i WHERE i.member_id = m.member_id AND i.channel = m.channel), '') AS sender,
                coalesce(mb.display_name, '') AS name, coalesce(mb.lang, 'fr') AS lang, m.body, m.sent_at,
                coalesce((SELECT c.kind = 'direct' FROM chats c WHERE c.id = m.chat_id), false) AS direct
         FROM messages m LEFT JOIN members mb ON mb.id = m.member_id
         WHERE m.id = $1 AND m.deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?)
}

/// The latest message of `member` that has posts standing (open or pending): what a
/// correction without a reply is about.
pub async fn latest_with_posts(tx: &mut Tx<'_>, member: i64) -> anyhow::Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT m.id FROM messages m
         WHERE m.member_id = $1 AND m.deleted_at IS NULL
           AND EXISTS (SELECT 1 FROM posts p WHERE p.message_id = m.id AND p.status IN ('open', 'pending'))
         ORDER BY m.id DESC LIMIT 1",
    )
    .bind(member)
    .fetch_optional(&mut **tx)
    .await?)
}
