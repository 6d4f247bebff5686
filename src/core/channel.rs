//! The port every channel adapter implements so the outbox can send through it.

use std::time::Duration;

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
}
