//! The port every channel adapter implements so the outbox can send through it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::model::{ChannelKind, Outgoing};

/// Why a send failed, as the outbox needs to know it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The channel asked us to wait (Telegram 429 `retry_after`, Matrix `M_LIMIT_EXCEEDED`):
    /// that target pauses for exactly this long; others go on.
    #[error("rate limited: retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// Worth retrying later (a refused message, an odd answer): counts as an attempt.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The channel's server is unreachable or failing (connection refused, 5xx): the target
    /// waits and tries again without spending its attempts, however long the outage lasts.
    #[error("channel unavailable: {0}")]
    Unavailable(String),
    /// This message will never go (bad content, unsupported operation): kept with its reason.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// The target itself is gone for the bot (kicked from the group, blocked by the user): the
    /// chat is marked, and nothing more is sent or retried there until it comes back.
    #[error("chat gone: {0}")]
    Gone(String),
}

/// A chat tool the outbox can send through.
#[async_trait]
pub trait Channel: Send + Sync {
    fn kind(&self) -> ChannelKind;
    /// Sends `msg` to `target`; returns the channel's id of the sent message. `delivery_id` is
    /// unique per delivery: channels that support idempotent sends use it as transaction id.
    async fn send(&self, delivery_id: i64, target: &str, msg: &Outgoing) -> Result<String, SendError>;

    /// Whether the channel can send at once. The outbox claims nothing for a channel that is
    /// not ready, so no lease runs out while a delivery waits for, say, a login (its lease
    /// over, another daemon would send it too). A channel that needs a slow start begins it
    /// here, without waiting for it.
    async fn ready_to_send(&self) -> bool {
        true
    }

    /// Whether delivery `delivery_id` already reached `target` in an earlier claim whose
    /// daemon died before recording it: its remote id if so. The outbox asks before sending a
    /// delivery claimed before. Channels that can look answer (Matrix reads the room for the
    /// delivery's mark, as its transaction ids are per session); the others cannot and send
    /// again (at least once: see ARCHITECTURE.md).
    async fn already_sent(&self, delivery_id: i64, target: &str) -> Result<Option<String>, SendError> {
        let _ = (delivery_id, target);
        Ok(None)
    }

    /// Replaces the text of the copy `remote_id` in `target`; returns its (possibly new)
    /// remote id. A copy that no longer exists is not an error: there is nothing to edit.
    async fn edit(&self, target: &str, remote_id: &str, msg: &Outgoing) -> Result<String, SendError> {
        let _ = (target, remote_id, msg);
        Err(SendError::Permanent(format!(
            "the {} channel cannot edit messages",
            self.kind()
        )))
    }

    /// Deletes the copy `remote_id` in `target`. A copy already gone is not an error.
    async fn delete(&self, target: &str, remote_id: &str) -> Result<(), SendError> {
        let _ = (target, remote_id);
        Err(SendError::Permanent(format!(
            "the {} channel cannot delete messages",
            self.kind()
        )))
    }

    /// A link that opens a private chat with the bot (t.me/…, matrix.to/…), for answers that
    /// invite a member there; None where the channel has none or does not know it yet.
    fn private_link(&self) -> Option<String> {
        None
    }

    /// The accounts that moderate `chat` on this channel: a Telegram group's administrators,
    /// the users of a Matrix room with power level 50 or more. Channels without rooms: none.
    async fn moderators(&self, chat: &str) -> Result<Vec<String>, SendError> {
        let _ = chat;
        Ok(Vec::new())
    }

    /// Bans `user` from `chat` (the bot must be allowed to). Already banned is not an error.
    async fn ban(&self, chat: &str, user: &str) -> Result<(), SendError> {
        let _ = (chat, user);
        Err(SendError::Permanent(format!("the {} channel cannot ban", self.kind())))
    }

    /// Lifts a ban of `user` from `chat`. Not banned is not an error.
    async fn unban(&self, chat: &str, user: &str) -> Result<(), SendError> {
        let _ = (chat, user);
        Err(SendError::Permanent(format!(
            "the {} channel cannot unban",
            self.kind()
        )))
    }
}

/// A chat's moderators and when they were asked.
type Listed = (Instant, Arc<Vec<String>>);

/// Who moderates each chat, asked of its channel and kept for a short while, so that a
/// moderator's command or a check does not cost a request each time. The channels are
/// registered once built (the core is made before them).
pub struct Admins {
    ttl: Duration,
    channels: RwLock<HashMap<ChannelKind, Arc<dyn Channel>>>,
    cache: Mutex<HashMap<(ChannelKind, String), Listed>>,
}

impl Default for Admins {
    fn default() -> Self {
        Admins::new(Duration::from_secs(300))
    }
}

impl Admins {
    pub fn new(ttl: Duration) -> Admins {
        Admins {
            ttl,
            channels: RwLock::default(),
            cache: Mutex::default(),
        }
    }

    /// Makes `channel` answer for its chats.
    pub fn register(&self, channel: Arc<dyn Channel>) {
        self.channels
            .write()
            .expect("admins registry")
            .insert(channel.kind(), channel);
    }

    /// The channel of `kind`, if registered (moderation queues through the outbox; this is for
    /// questions only).
    fn channel(&self, kind: ChannelKind) -> Option<Arc<dyn Channel>> {
        self.channels.read().expect("admins registry").get(&kind).cloned()
    }

    /// The link to a private chat with the bot on `kind`, if its channel has one.
    pub fn private_link(&self, kind: ChannelKind) -> Option<String> {
        self.channel(kind).and_then(|c| c.private_link())
    }

    /// The moderators of `chat` on `kind` (cached for the TTL; none when the channel is not
    /// registered or cannot say).
    pub async fn of(&self, kind: ChannelKind, chat: &str) -> Arc<Vec<String>> {
        let key = (kind, chat.to_owned());
        if let Some((at, list)) = self.cache.lock().expect("admins cache").get(&key)
            && at.elapsed() < self.ttl
        {
            return list.clone();
        }
        let Some(channel) = self.channel(kind) else {
            return Arc::default();
        };
        let list = match channel.moderators(chat).await {
            Ok(l) => Arc::new(l),
            Err(e) => {
                tracing::warn!(channel = %kind, chat, error = %e, "cannot list the chat's administrators");
                // Not cached: asked again next time.
                return Arc::default();
            }
        };
        self.cache
            .lock()
            .expect("admins cache")
            .insert(key, (Instant::now(), list.clone()));
        list
    }

    /// Forgets what is known of `chat` (tests; a membership change).
    pub fn forget(&self, kind: ChannelKind, chat: &str) {
        self.cache
            .lock()
            .expect("admins cache")
            .remove(&(kind, chat.to_owned()));
    }
}
