//! Sending through the Bot API: messages (HTML when the core gave it, plain otherwise),
//! reactions, edits and deletions, within Telegram's limits, with Telegram's errors turned
//! into what the outbox must do.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use teloxide::payloads::{
    EditMessageCaptionSetters, EditMessageTextSetters, SendMessageSetters, SetMessageReactionSetters,
    UnbanChatMemberSetters,
};
use teloxide::requests::Requester;
use teloxide::types::{
    ButtonRequest, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, KeyboardMarkup, KeyboardRemove,
    MessageId, ParseMode, ReactionType, ReplyMarkup, ReplyParameters, UserId,
};
use teloxide::{ApiError, RequestError};
use tracing::{debug, info};

use super::Telegram;
use crate::core::model::{ChannelKind, Choice, Media, OutKind, Outgoing};
use crate::core::{Channel, SendError};

/// Telegram's limit on a message's text, in UTF-16 code units after entities are parsed (the
/// same limit the outbox splits long texts by).
const MAX_UNITS: usize = ChannelKind::Telegram.max_text_units();
/// Waits shorter than this are slept through inside a send (the overall limit); longer ones
/// pause the chat in the outbox.
const SHORT_WAIT: Duration = Duration::from_millis(250);

fn chat_of(target: &str) -> Result<i64, SendError> {
    target
        .parse()
        .map_err(|_| SendError::Permanent(format!("`{target}` is not a Telegram chat id")))
}

/// The message a remote id names: the last of `media:PHOTO:TEXT`, the first of an album
/// (`album:ID,ID,…`, whose first photo holds the caption).
pub(super) fn message_of(remote_id: &str) -> Option<MessageId> {
    remote_id
        .rsplit(':')
        .next()
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse::<i32>().ok())
        .map(MessageId)
}

/// Cuts a text to Telegram's limit (edits only: sends are split by the outbox).
pub(super) fn fit(text: &str) -> String {
    if text.encode_utf16().count() <= MAX_UNITS {
        return text.to_owned();
    }
    let mut units = 0;
    let mut out = String::new();
    for c in text.chars() {
        units += c.len_utf16();
        if units > MAX_UNITS - 1 {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// The visible length of Telegram HTML (tags removed, entities counted as one character).
pub(super) fn visible_units(html: &str) -> usize {
    let mut units = 0;
    let mut in_tag = false;
    let mut in_entity = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            '&' => {
                in_entity = true;
                units += 1;
            }
            ';' if in_entity => in_entity = false,
            _ if in_entity => {}
            c => units += c.len_utf16(),
        }
    }
    units
}

fn keyboard(msg: &Outgoing, chat: i64) -> Option<ReplyMarkup> {
    if msg.choices.is_empty() {
        // A private answer without buttons takes away the previous question's buttons.
        return (chat > 0 && msg.kind == OutKind::Answer).then(|| ReplyMarkup::KeyboardRemove(KeyboardRemove::new()));
    }
    // Answers that go back without a message (a question's buttons): an inline keyboard.
    let inline: Vec<Vec<InlineKeyboardButton>> = msg
        .choices
        .iter()
        .filter_map(|c| match c {
            Choice::Callback { label, data } => Some(vec![InlineKeyboardButton::callback(label.clone(), data.clone())]),
            _ => None,
        })
        .collect();
    if !inline.is_empty() {
        return Some(ReplyMarkup::InlineKeyboard(InlineKeyboardMarkup::new(inline)));
    }
    let rows: Vec<Vec<KeyboardButton>> = msg
        .choices
        .iter()
        .filter_map(|c| match c {
            Choice::Reply { label } => Some(vec![KeyboardButton::new(label.clone())]),
            Choice::Location { label } => Some(vec![
                KeyboardButton::new(label.clone()).request(ButtonRequest::Location),
            ]),
            Choice::Callback { .. } => None,
        })
        .collect();
    Some(ReplyMarkup::Keyboard(
        KeyboardMarkup::new(rows).resize_keyboard().one_time_keyboard(),
    ))
}

impl Telegram {
    /// Waits for a slot to send to `chat`, or says to come back later.
    async fn reserve(&self, chat: i64) -> Result<(), SendError> {
        loop {
            match self.limiter.try_reserve(chat, Instant::now()) {
                Ok(()) => return Ok(()),
                Err(wait) if wait <= SHORT_WAIT => tokio::time::sleep(wait).await,
                Err(wait) => return Err(SendError::RateLimited { retry_after: wait }),
            }
        }
    }

    /// What the outbox must do about a failed request to `chat`.
    pub(super) fn failure(&self, chat: i64, e: RequestError) -> SendError {
        match e {
            RequestError::RetryAfter(s) => {
                let wait = s.duration();
                self.limiter.pause(chat, Instant::now() + wait);
                SendError::RateLimited { retry_after: wait }
            }
            RequestError::Api(api) => match api {
                ApiError::BotKicked
                | ApiError::BotKickedFromSupergroup
                | ApiError::BotKickedFromChannel
                | ApiError::BotBlocked
                | ApiError::UserDeactivated
                | ApiError::ChatNotFound
                | ApiError::GroupDeactivated
                | ApiError::CantInitiateConversation
                | ApiError::CantTalkWithBots
                | ApiError::NotEnoughRightsToPostMessages => SendError::Gone(api.to_string()),
                // A revoked token or a lost route: wait, the messages keep.
                ApiError::InvalidToken => SendError::Unavailable(api.to_string()),
                ApiError::Unknown(desc) if desc.starts_with("Forbidden") => SendError::Gone(desc),
                ApiError::Unknown(desc) if desc.starts_with("Bad Request") => SendError::Permanent(desc),
                // 5xx and whatever else Telegram says without a known meaning.
                ApiError::Unknown(desc) => SendError::Unavailable(desc),
                other => SendError::Permanent(other.to_string()),
            },
            RequestError::MigrateToChatId(to) => SendError::Transient(format!("the group moved to {to}")),
            e => SendError::Unavailable(e.to_string()),
        }
    }

    /// The new caption of a photo copy (`photo:ID`); a caption too long for Telegram is cut.
    async fn edit_caption(
        &self,
        chat: i64,
        id: MessageId,
        remote_id: &str,
        msg: &Outgoing,
    ) -> Result<String, SendError> {
        let limit = super::media::MAX_CAPTION_UNITS;
        let req = match msg.html.as_deref().filter(|h| visible_units(h) <= limit) {
            Some(h) => self
                .bot
                .edit_message_caption(ChatId(chat), id)
                .caption(h)
                .parse_mode(ParseMode::Html),
            None => {
                let text: String = fit(&msg.text).chars().take(limit - 1).collect();
                self.bot.edit_message_caption(ChatId(chat), id).caption(text)
            }
        };
        match req.await {
            Ok(_) => Ok(remote_id.to_owned()),
            Err(RequestError::Api(
                ApiError::MessageNotModified | ApiError::MessageToEditNotFound | ApiError::MessageCantBeEdited,
            )) => Ok(remote_id.to_owned()),
            Err(e) => Err(self.failure(chat, e)),
        }
    }

    async fn send_text(&self, chat: i64, msg: &Outgoing, as_html: bool) -> Result<MessageId, RequestError> {
        let text = if as_html {
            msg.html.clone().unwrap_or_default()
        } else {
            fit(&msg.text)
        };
        let mut req = self.bot.send_message(ChatId(chat), text);
        if as_html {
            req = req.parse_mode(ParseMode::Html);
        }
        if let Some(reply) = msg.reply_to.as_deref().and_then(message_of) {
            req = req.reply_parameters(ReplyParameters::new(reply).allow_sending_without_reply());
        }
        if let Some(markup) = keyboard(msg, chat) {
            req = req.reply_markup(markup);
        }
        Ok(req.await?.id)
    }
}

#[async_trait]
impl Channel for Telegram {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Telegram
    }

    fn private_link(&self) -> Option<String> {
        self.known_identity()
            .filter(|me| !me.username.is_empty())
            .map(|me| format!("https://t.me/{}", me.username))
    }

    async fn send(&self, _delivery_id: i64, target: &str, msg: &Outgoing) -> Result<String, SendError> {
        let chat = chat_of(target)?;
        self.reserve(chat).await?;
        if let Some(p) = &msg.poll {
            return self.send_poll(chat, p).await;
        }
        if let (Some(emoji), Some(on)) = (&msg.reaction, msg.reply_to.as_deref().and_then(message_of)) {
            let req = self
                .bot
                .set_message_reaction(ChatId(chat), on)
                .reaction([ReactionType::Emoji { emoji: emoji.clone() }]);
            match req.await {
                Ok(_) => return Ok(format!("reaction:{}", on.0)),
                // Reactions off in this group, message gone, emoji refused: say it in words.
                Err(RequestError::Api(e)) => debug!(chat, error = %e, "reaction refused; replying instead"),
                Err(e) => return Err(self.failure(chat, e)),
            }
        }
        let html = msg.html.as_deref().is_some_and(|h| visible_units(h) <= MAX_UNITS);
        if let Some(media) = &msg.media {
            if !msg.more_media.is_empty() && msg.more_media.iter().chain([media]).all(Media::is_image) {
                return self.send_album(chat, msg, html).await;
            }
            return self.send_media(chat, msg, media, html).await;
        }
        let sent = match self.send_text(chat, msg, html).await {
            // Should the HTML be refused, the plain text still says it all.
            Err(RequestError::Api(ApiError::CantParseEntities(e))) if html => {
                debug!(chat, error = %e, "HTML refused; sending plain text");
                self.send_text(chat, msg, false).await
            }
            // The group became a supergroup: send there (the update about it renames the room).
            Err(RequestError::MigrateToChatId(to)) => {
                info!(from = chat, to = %to, "group moved to a supergroup");
                self.bot.send_message(to, fit(&msg.text)).await.map(|m| m.id)
            }
            other => other,
        };
        sent.map(|id| id.0.to_string()).map_err(|e| self.failure(chat, e))
    }

    async fn edit(&self, target: &str, remote_id: &str, msg: &Outgoing) -> Result<String, SendError> {
        let chat = chat_of(target)?;
        let Some(id) = message_of(remote_id) else {
            return Ok(remote_id.to_owned());
        };
        if remote_id.starts_with("reaction:") {
            return Ok(remote_id.to_owned());
        }
        self.reserve(chat).await?;
        if remote_id.starts_with("poll:") {
            // A poll's text cannot change: editing it means closing it.
            return self.stop_poll(chat, id, remote_id).await;
        }
        if remote_id.starts_with("photo:") || remote_id.starts_with("album:") {
            return self.edit_caption(chat, id, remote_id, msg).await;
        }
        let html = msg.html.as_deref().filter(|h| visible_units(h) <= MAX_UNITS);
        let req = match html {
            Some(h) => self
                .bot
                .edit_message_text(ChatId(chat), id, h)
                .parse_mode(ParseMode::Html),
            None => self.bot.edit_message_text(ChatId(chat), id, fit(&msg.text)),
        };
        match req.await {
            Ok(_) => Ok(remote_id.to_owned()),
            Err(RequestError::Api(
                ApiError::MessageNotModified | ApiError::MessageToEditNotFound | ApiError::MessageCantBeEdited,
            )) => {
                debug!(chat, remote_id, "nothing to edit");
                Ok(remote_id.to_owned())
            }
            Err(e) => Err(self.failure(chat, e)),
        }
    }

    async fn delete(&self, target: &str, remote_id: &str) -> Result<(), SendError> {
        let chat = chat_of(target)?;
        let Some(id) = message_of(remote_id) else {
            return Ok(());
        };
        self.reserve(chat).await?;
        for other in Telegram::photo_of(remote_id)
            .into_iter()
            .chain(Telegram::album_rest(remote_id))
        {
            match self.bot.delete_message(ChatId(chat), other).await {
                Ok(_) | Err(RequestError::Api(ApiError::MessageToDeleteNotFound | ApiError::MessageCantBeDeleted)) => {}
                Err(e) => return Err(self.failure(chat, e)),
            }
        }
        let req = if remote_id.starts_with("reaction:") {
            return self
                .bot
                .set_message_reaction(ChatId(chat), id)
                .await
                .map(|_| ())
                .or_else(|e| match e {
                    RequestError::Api(_) => Ok(()),
                    e => Err(self.failure(chat, e)),
                });
        } else {
            self.bot.delete_message(ChatId(chat), id)
        };
        match req.await {
            Ok(_) => Ok(()),
            Err(RequestError::Api(ApiError::MessageToDeleteNotFound | ApiError::MessageCantBeDeleted)) => {
                debug!(chat, remote_id, "nothing to delete");
                Ok(())
            }
            Err(e) => Err(self.failure(chat, e)),
        }
    }

    async fn moderators(&self, chat: &str) -> Result<Vec<String>, SendError> {
        let chat = chat_of(chat)?;
        if chat > 0 {
            // A private chat has no administrators.
            return Ok(Vec::new());
        }
        self.administrators(chat).await
    }

    async fn ban(&self, chat: &str, user: &str) -> Result<(), SendError> {
        self.ban_user(chat_of(chat)?, user_of(user)?).await
    }

    async fn unban(&self, chat: &str, user: &str) -> Result<(), SendError> {
        self.unban_user(chat_of(chat)?, user_of(user)?).await
    }
}

fn user_of(user: &str) -> Result<UserId, SendError> {
    user.parse()
        .map(UserId)
        .map_err(|_| SendError::Permanent(format!("`{user}` is not a Telegram user id")))
}

impl Telegram {
    /// A ban or unban refused because the bot is no administrator (or the user is one) says
    /// so and is not retried; other failures are the usual ones.
    fn refused_or(&self, chat: i64, e: RequestError) -> SendError {
        match e {
            RequestError::Api(ApiError::Unknown(desc)) if desc.starts_with("Bad Request") => SendError::Permanent(desc),
            RequestError::Api(ApiError::NotEnoughRightsToRestrict) => {
                SendError::Permanent("the bot may not ban in this group".into())
            }
            e => self.failure(chat, e),
        }
    }

    /// The group's administrators (user ids), moderators of its area.
    async fn administrators(&self, chat: i64) -> Result<Vec<String>, SendError> {
        match self.bot.get_chat_administrators(ChatId(chat)).await {
            Ok(list) => Ok(list
                .into_iter()
                .filter(|m| !m.user.is_bot)
                .map(|m| m.user.id.0.to_string())
                .collect()),
            Err(e) => Err(self.failure(chat, e)),
        }
    }

    async fn ban_user(&self, chat: i64, user: UserId) -> Result<(), SendError> {
        self.reserve(chat).await?;
        self.bot
            .ban_chat_member(ChatId(chat), user)
            .await
            .map(|_| ())
            .map_err(|e| self.refused_or(chat, e))
    }

    async fn unban_user(&self, chat: i64, user: UserId) -> Result<(), SendError> {
        self.reserve(chat).await?;
        self.bot
            .unban_chat_member(ChatId(chat), user)
            .only_if_banned(true)
            .await
            .map(|_| ())
            .map_err(|e| self.refused_or(chat, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_telegram_shows() {
        assert_eq!(
            visible_units("<b>Jeanne</b> (courriel) : a &lt; b"),
            "Jeanne (courriel) : a < b".len()
        );
        assert_eq!(visible_units("🔧"), 2);
    }

    #[test]
    fn fits_long_texts_without_breaking_characters() {
        let t = "é".repeat(5000);
        let f = fit(&t);
        assert!(f.encode_utf16().count() <= MAX_UNITS);
        assert!(f.ends_with('…'));
        assert_eq!(fit("court"), "court");
    }

    #[test]
    fn reads_remote_ids() {
        assert_eq!(message_of("42"), Some(MessageId(42)));
        assert_eq!(message_of("reaction:42"), Some(MessageId(42)));
        assert_eq!(message_of("x"), None);
        assert_eq!(message_of("album:7,8,9"), Some(MessageId(7)));
        assert_eq!(Telegram::album_rest("album:7,8,9"), vec![MessageId(8), MessageId(9)]);
        assert!(Telegram::album_rest("photo:7").is_empty());
    }
}
