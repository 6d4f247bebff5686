//! Where replies point: the remote id a reply should refer to in each room a copy goes to,
//! so threads survive the bridge. (The area's other rooms come with the message's first
//! statement in `ingest`.)

use super::model::{Address, ChannelKind};
use crate::store::{Tx, deliveries, messages};

/// The id, in chat `to`, of the message that `reply_to` (a native id in the origin chat)
/// refers to: the original when it was said in `to`, or the copy the bridge sent there.
pub async fn reply_target(
    tx: &mut Tx<'_>,
    origin: ChannelKind,
    origin_chat: &str,
    reply_to: &str,
    to: &Address,
) -> anyhow::Result<Option<String>> {
    let Some((channel, chat, native, id)) = messages::replied_original(tx, origin, origin_chat, reply_to).await? else {
        return Ok(None);
    };
    if channel == to.channel.as_str() && chat == to.target {
        return Ok(Some(native));
    }
    deliveries::relayed_remote_id(tx, id, to).await
}
