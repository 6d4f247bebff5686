//! Where replies point: the remote id a reply should refer to in each room a copy goes to,
//! so threads survive the bridge. (The area's other rooms come with the message's first
//! statement in `ingest`.)

use super::model::{Address, ChannelKind};
use crate::store::Tx;

/// The id, in chat `to`, of the message that `reply_to` (a native id in the origin chat)
/// refers to: the original when it was said in `to`, or the copy the bridge sent there.
pub async fn reply_target(
    tx: &mut Tx<'_>,
    origin: ChannelKind,
    origin_chat: &str,
    reply_to: &str,
    to: &Address,
) -> anyhow::Result<Option<String>> {
    // The replied-to message may be a neighbour's message in the origin chat, or a copy the
    // bridge posted there (then its cause is the original, said elsewhere).
    let original: Option<(String, String, String, i64)> = sqlx::query_as(
        "SELECT m.channel, m.chat_external_id, m.native_id, m.id FROM messages m
         WHERE m.channel = $1 AND m.chat_external_id = $2 AND m.native_id = $3
         UNION ALL
         SELECT m.channel, m.chat_external_id, m.native_id, m.id FROM deliveries d JOIN messages m ON m.id = d.cause_message_id
         WHERE d.channel = $1 AND d.target = $2 AND d.remote_id = $3
         LIMIT 1",
    )
    .bind(origin.as_str())
    .bind(origin_chat)
    .bind(reply_to)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((channel, chat, native, id)) = original else {
        return Ok(None);
    };
    if channel == to.channel.as_str() && chat == to.target {
        return Ok(Some(native));
    }
    Ok(sqlx::query_scalar(
        "SELECT remote_id FROM deliveries WHERE cause_message_id = $1 AND channel = $2 AND target = $3
           AND status = 'sent' AND payload->>'kind' = 'relay' ORDER BY id LIMIT 1",
    )
    .bind(id)
    .bind(to.channel.as_str())
    .bind(&to.target)
    .fetch_optional(&mut **tx)
    .await?
    .flatten())
}
