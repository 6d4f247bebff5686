//! Municipal polls on Telegram: a native, non-anonymous poll (so that the bot receives each
//! `poll_answer`), stopped at closing. The remote id `poll:<poll id>:<message id>` keeps
//! Telegram's poll id, which is all a `poll_answer` names, next to the message id that replies,
//! edits and stopPoll need.

use teloxide::RequestError;
use teloxide::payloads::SendPollSetters;
use teloxide::requests::Requester;
use teloxide::types::{ChatId, InputPollOption, MessageId};
use tracing::debug;

use super::Telegram;
use crate::core::SendError;
use crate::core::model::PollOut;

impl Telegram {
    pub(super) async fn send_poll(&self, chat: i64, p: &PollOut) -> Result<String, SendError> {
        let options = p.options.iter().map(|o| InputPollOption {
            text: o.clone(),
            formatting: None,
        });
        let sent = self
            .bot
            .send_poll(ChatId(chat), p.question.clone(), options)
            .is_anonymous(false)
            .allows_multiple_answers(p.multiple)
            .await
            .map_err(|e| self.failure(chat, e))?;
        let Some(poll) = sent.poll() else {
            // Without Telegram's poll id no answer could be counted: better said now.
            return Err(SendError::Permanent("sendPoll answered without a poll".into()));
        };
        Ok(format!("poll:{}:{}", poll.id, sent.id.0))
    }

    /// Closes the poll of `remote_id`; one already closed or gone is not an error.
    pub(super) async fn stop_poll(&self, chat: i64, id: MessageId, remote_id: &str) -> Result<String, SendError> {
        match self.bot.stop_poll(ChatId(chat), id).await {
            Ok(_) => Ok(remote_id.to_owned()),
            Err(RequestError::Api(e)) if e.to_string().to_lowercase().contains("poll") || is_gone_message(&e) => {
                debug!(chat, remote_id, error = %e, "poll already closed or gone");
                Ok(remote_id.to_owned())
            }
            Err(e) => Err(self.failure(chat, e)),
        }
    }
}

fn is_gone_message(e: &teloxide::ApiError) -> bool {
    matches!(
        e,
        teloxide::ApiError::MessageToEditNotFound | teloxide::ApiError::MessageCantBeEdited
    )
}
