//! The `failure_notices` table: which messages' authors were told that a copy failed for good,
//! once per message and cause.

use sqlx::FromRow;

use super::Tx;
use crate::core::model::{ChannelKind, FailureCause};
use crate::i18n::Lang;

/// A failed copy whose author is to be told, claimed by [`claim`].
#[derive(Debug, Clone, FromRow)]
pub struct FailedCopy {
    pub message_id: i64,
    /// The channel and name of where the copy failed: a room's title (or its area's name),
    /// an email subscriber's name (never the address); None when nothing names it.
    pub failed_channel: ChannelKind,
    pub failed_name: Option<String>,
    /// Whether the copy went to a room (a group, a room, a list) rather than to one person.
    pub to_room: bool,
    /// The message's text, for a short excerpt.
    pub body: String,
    /// Where its author hears, as for match notices: the chat they wrote in, or their address
    /// for a message sent by email.
    pub author_channel: ChannelKind,
    pub author_target: String,
    pub author_native_id: String,
    pub lang: Lang,
}

/// Records, for the relayed copies among `deliveries` that are failed, that their authors are
/// told about `cause`: one row per message and cause (the first daemon to insert it wins; a
/// message already told about this cause is skipped). Returns what to tell. Only copies of a
/// member's message count (`kind = relay`, a new message, a known author), so the bot's own
/// notices, answers and digests never make a notice.
pub async fn claim(tx: &mut Tx<'_>, deliveries: &[i64], cause: FailureCause) -> anyhow::Result<Vec<FailedCopy>> {
    if deliveries.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "WITH failed AS (
             SELECT DISTINCT ON (d.cause_message_id) d.id, d.cause_message_id, d.channel, d.target
             FROM deliveries d JOIN messages msg ON msg.id = d.cause_message_id
             WHERE d.id = ANY($1) AND d.status = 'failed' AND d.payload->>'kind' = 'relay'
               AND d.payload->'op' IS NULL AND msg.member_id IS NOT NULL
             ORDER BY d.cause_message_id, d.id
         ), ins AS (
             INSERT INTO failure_notices (message_id, cause, channel, delivery_id)
             SELECT cause_message_id, $2, channel, id FROM failed
             ON CONFLICT (message_id, cause) DO NOTHING
             RETURNING message_id, delivery_id
         )
         SELECT ins.message_id, f.channel AS failed_channel,
                CASE WHEN f.channel = 'email' AND c.id IS NULL
                     THEN coalesce(es.display_name,
                                   (SELECT m3.display_name FROM members m3 WHERE m3.id = es.member_id),
                                   (SELECT m2.display_name FROM identities i2 JOIN members m2 ON m2.id = i2.member_id
                                    WHERE i2.channel = 'email' AND i2.external_id = f.target))
                     ELSE coalesce(c.title, a.name) END AS failed_name,
                c.id IS NOT NULL AS to_room,
                msg.body, msg.channel AS author_channel,
                CASE WHEN msg.channel = 'email'
                     THEN coalesce((SELECT i.external_id FROM identities i
                                    WHERE i.member_id = msg.member_id AND i.channel = 'email'), msg.chat_external_id)
                     ELSE msg.chat_external_id END AS author_target,
                msg.native_id AS author_native_id, mb.lang
         FROM ins JOIN failed f ON f.id = ins.delivery_id
         JOIN messages msg ON msg.id = ins.message_id JOIN members mb ON mb.id = msg.member_id
         LEFT JOIN chats c ON c.channel = f.channel AND c.external_id = f.target AND c.kind = 'room'
         LEFT JOIN areas a ON a.slug = c.area_slug
         LEFT JOIN email_subscriptions es ON f.channel = 'email' AND es.address = f.target
         ORDER BY ins.message_id",
    )
    .bind(deliveries)
    .bind(cause)
    .fetch_all(&mut **tx)
    .await?)
}

/// Notices given, by the failed copy's channel and cause, for /metrics (all daemons).
pub async fn counts(pool: &sqlx::PgPool) -> anyhow::Result<Vec<(ChannelKind, FailureCause, i64)>> {
    Ok(
        sqlx::query_as("SELECT channel, cause, count(*) FROM failure_notices GROUP BY 1, 2 ORDER BY 1, 2")
            .fetch_all(pool)
            .await?,
    )
}
