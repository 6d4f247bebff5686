//! One update from Telegram, read leniently: every field is optional here, so an update
//! missing a field Telegram promised is still handled when the essentials are there (chat,
//! message id), and otherwise kept in `dead_letters` with the reason. Unknown kinds are logged
//! and skipped. Nothing here panics on input.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use teloxide::payloads::{AnswerCallbackQuerySetters, CreateChatInviteLinkSetters};
use teloxide::requests::Requester;
use teloxide::types::{ChatId, UserId};
use tracing::{debug, info, warn};

use super::Telegram;
use super::media::FileRef;
use crate::core::Core;
use crate::core::command::Command;
use crate::core::model::{Address, ChannelKind, Edit, FailureCause, Inbound};
use crate::hash::fnv1a64;
use crate::i18n::{Arg, Lang};
use crate::store::chats;

/// A neighbour's message read from its update, to be ingested.
struct Said {
    inbound: Inbound,
    /// The group whose invite link to make sure of once the message is committed.
    invite_link: Option<i64>,
}

/// The update kinds the daemon asks for.
pub const ALLOWED: &[&str] = &[
    "message",
    "edited_message",
    "my_chat_member",
    "callback_query",
    "poll_answer",
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawUpdate {
    message: Option<RawMessage>,
    edited_message: Option<RawMessage>,
    my_chat_member: Option<RawMembership>,
    callback_query: Option<RawCallback>,
    poll_answer: Option<RawPollAnswer>,
}

/// A neighbour's answer to a (non-anonymous) poll the bot sent: a municipal poll's vote.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawPollAnswer {
    poll_id: Option<String>,
    user: Option<RawUser>,
    option_ids: Vec<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMessage {
    message_id: Option<i64>,
    from: Option<RawUser>,
    sender_chat: Option<RawChat>,
    chat: Option<RawChat>,
    date: Option<i64>,
    edit_date: Option<i64>,
    text: Option<String>,
    caption: Option<String>,
    photo: Option<Vec<Value>>,
    document: Option<RawDocument>,
    video: Option<RawDocument>,
    /// The album the message is part of.
    media_group_id: Option<String>,
    location: Option<RawLocation>,
    reply_to_message: Option<Box<RawMessage>>,
    migrate_to_chat_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawUser {
    id: Option<i64>,
    is_bot: bool,
    first_name: Option<String>,
    last_name: Option<String>,
    username: Option<String>,
    /// The user's interface language (IETF tag), a hint for their first contact.
    language_code: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawChat {
    id: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    title: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawDocument {
    file_id: Option<String>,
    file_size: Option<u64>,
    mime_type: Option<String>,
    file_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawLocation {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawMembership {
    chat: Option<RawChat>,
    date: Option<i64>,
    old_chat_member: Option<RawStatus>,
    new_chat_member: Option<RawStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawStatus {
    status: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawCallback {
    id: Option<String>,
    from: Option<RawUser>,
    message: Option<RawMessage>,
    data: Option<String>,
}

fn time(secs: Option<i64>) -> DateTime<Utc> {
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or_else(Utc::now)
}

impl RawUser {
    fn name(&self) -> String {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if !name.is_empty() {
            name
        } else {
            self.username.clone().unwrap_or_else(|| "Voisin".to_owned())
        }
    }
}

impl RawMessage {
    /// What was said: the text, a photo's or a file's caption ("📷" alone when a photo has
    /// none, "📎 NAME" for a file: it travels with it), or a shared position.
    fn said(&self) -> Option<String> {
        if let Some(t) = &self.text {
            return Some(t.clone());
        }
        if let Some(c) = self.caption.as_deref().filter(|c| !c.trim().is_empty())
            && self.file().is_some()
        {
            return Some(c.to_owned());
        }
        if self.photo.is_some() || self.document.is_some() || self.video.is_some() {
            return Some(match self.document.as_ref().or(self.video.as_ref()) {
                Some(d) if !self.carries_photo() => match &d.file_name {
                    Some(name) => format!("📎 {name}"),
                    None => "📎".to_owned(),
                },
                _ => "📷".to_owned(),
            });
        }
        if self.location.is_some() {
            return Some("📍".to_owned());
        }
        self.caption.clone()
    }

    /// A photo, or an image sent as a file (a document or video otherwise).
    fn carries_photo(&self) -> bool {
        self.photo.is_some()
            || self
                .document
                .as_ref()
                .and_then(|d| d.mime_type.as_deref())
                .is_some_and(|m| m.starts_with("image/"))
    }
}

impl RawMessage {
    /// The file it carries: the largest size of a photo, or a document.
    fn file(&self) -> Option<FileRef> {
        if let Some(sizes) = &self.photo {
            let largest = sizes
                .iter()
                .max_by_key(|s| s["width"].as_u64().unwrap_or(0) * s["height"].as_u64().unwrap_or(0))?;
            return Some(FileRef {
                file_id: largest["file_id"].as_str()?.to_owned(),
                size: largest["file_size"].as_u64(),
                mime: None,
            });
        }
        let d = self.document.as_ref().or(self.video.as_ref())?;
        Some(FileRef {
            file_id: d.file_id.clone()?,
            size: d.file_size,
            mime: d.mime_type.clone(),
        })
    }
}

impl Telegram {
    /// Handles one update. Errors are for what is worth retrying (the database or Telegram
    /// unreachable): the update is then handled again, which changes nothing twice.
    pub async fn handle_update(&self, core: &Core, raw: &Value) -> anyhow::Result<()> {
        match self.read_update(core, raw).await? {
            Some(update) => self.on_update(core, raw, &update).await,
            None => Ok(()),
        }
    }

    /// Handles a poll round's updates in order (one without `update_id` is kept aside in
    /// dead_letters). The neighbours' messages among them are
    /// ingested together, one transaction per run of messages (`Core::ingest_batch`); any
    /// other update (a button, an edit, the bot added or removed, a group upgraded) first
    /// commits the messages before it, so everything is done in Telegram's order. Returns
    /// once all of it is committed: the caller may then acknowledge the round.
    pub async fn handle_updates(&self, core: &Core, raws: &[&Value]) -> anyhow::Result<()> {
        let mut block = Vec::new();
        for &raw in raws {
            if raw.get("update_id").and_then(Value::as_i64).is_none() {
                self.dead_letter(core, raw, "update without update_id").await?;
                continue;
            }
            let Some(update) = self.read_update(core, raw).await? else {
                continue;
            };
            match &update.message {
                Some(m) if m.migrate_to_chat_id.is_none() => {
                    if let Some(said) = self.read_message(core, raw, m).await? {
                        block.push(said);
                    }
                }
                _ => {
                    self.ingest_said(core, std::mem::take(&mut block)).await?;
                    self.on_update(core, raw, &update).await?;
                }
            }
        }
        self.ingest_said(core, block).await
    }

    /// Ingests a run of messages in one transaction, then does what each asks after it.
    async fn ingest_said(&self, core: &Core, block: Vec<Said>) -> anyhow::Result<()> {
        if block.is_empty() {
            return Ok(());
        }
        let (inbound, invite_links): (Vec<Inbound>, Vec<Option<i64>>) =
            block.into_iter().map(|s| (s.inbound, s.invite_link)).unzip();
        core.ingest_batch(&inbound).await?;
        for chat in invite_links {
            self.after_message(core, chat).await?;
        }
        Ok(())
    }

    /// The update, or None when it could not be read (kept in dead_letters).
    async fn read_update(&self, core: &Core, raw: &Value) -> anyhow::Result<Option<RawUpdate>> {
        match serde_json::from_value(raw.clone()) {
            Ok(u) => Ok(Some(u)),
            Err(e) => {
                self.dead_letter(core, raw, &format!("unreadable update: {e}")).await?;
                Ok(None)
            }
        }
    }

    async fn on_update(&self, core: &Core, raw: &Value, update: &RawUpdate) -> anyhow::Result<()> {
        if let Some(m) = &update.message {
            return self.on_message(core, raw, m).await;
        }
        if let Some(m) = &update.edited_message {
            return self.on_edit(core, m).await;
        }
        if let Some(m) = &update.my_chat_member {
            return self.on_membership(core, raw, m).await;
        }
        if let Some(q) = &update.callback_query {
            return self.on_callback(core, q).await;
        }
        if let Some(a) = &update.poll_answer {
            return self.on_poll_answer(core, raw, a).await;
        }
        let kinds: Vec<&str> = raw
            .as_object()
            .map(|o| o.keys().map(String::as_str).filter(|k| *k != "update_id").collect())
            .unwrap_or_default();
        debug!(?kinds, update_id = ?raw.get("update_id"), "update kind not used: skipped");
        Ok(())
    }

    async fn dead_letter(&self, core: &Core, raw: &Value, why: &str) -> anyhow::Result<()> {
        warn!(update_id = ?raw.get("update_id"), reason = why, "Telegram update kept aside in dead_letters");
        chats::dead_letter(&core.pool, ChannelKind::Telegram, &raw.to_string(), why).await
    }

    async fn on_message(&self, core: &Core, raw: &Value, m: &RawMessage) -> anyhow::Result<()> {
        if let Some(said) = self.read_message(core, raw, m).await? {
            core.ingest(&said.inbound).await?;
            self.after_message(core, said.invite_link).await?;
        }
        Ok(())
    }

    /// What a neighbour's message has to be ingested, after what it needs from Telegram (the
    /// sender's rights for a room command, its file); None when there is nothing to ingest
    /// (handled here: a group upgraded, an unreadable message kept aside; or skipped).
    async fn read_message(&self, core: &Core, raw: &Value, m: &RawMessage) -> anyhow::Result<Option<Said>> {
        let (Some(chat), Some(message_id)) = (m.chat.as_ref().and_then(|c| c.id), m.message_id) else {
            self.dead_letter(core, raw, "message without chat.id or message_id")
                .await?;
            return Ok(None);
        };
        let chat_kind = m.chat.as_ref().and_then(|c| c.kind.as_deref()).unwrap_or("");
        if chat_kind == "channel" {
            debug!(chat, "channel post: not a neighbourhood chat");
            return Ok(None);
        }
        if let Some(to) = m.migrate_to_chat_id {
            info!(from = chat, to, "group upgraded to a supergroup: the room follows");
            chats::rename(&core.pool, ChannelKind::Telegram, &chat.to_string(), &to.to_string()).await?;
            return Ok(None);
        }
        // An anonymous administrator or a channel speaking in the group.
        let (sender, sender_name, anonymous_admin) = match (&m.sender_chat, &m.from) {
            (Some(sc), _) => (
                format!("chat:{}", sc.id.unwrap_or(chat)),
                sc.title.clone().unwrap_or_else(|| "Anonyme".to_owned()),
                sc.id == Some(chat),
            ),
            (None, Some(u)) if u.is_bot => {
                debug!(chat, "a bot's message: not relayed");
                return Ok(None);
            }
            (None, Some(u)) => (
                u.id.map(|id| id.to_string()).unwrap_or_else(|| "unknown".to_owned()),
                u.name(),
                false,
            ),
            (None, None) => ("unknown".to_owned(), "Voisin".to_owned(), false),
        };
        let Some(text) = m.said() else {
            debug!(
                chat,
                message_id, "nothing to read in this message (sticker, service message…)"
            );
            return Ok(None);
        };
        let direct = chat_kind == "private";
        let cmd = Command::parse(&text, ChannelKind::Telegram);
        if let Some(addressee) = Command::addressee(&text, ChannelKind::Telegram) {
            let me = self.identity().await?;
            if !addressee.eq_ignore_ascii_case(&me.username) {
                debug!(chat, addressee, "command for another bot");
                return Ok(None);
            }
        }
        let room_command = cmd.as_ref().is_some_and(Command::is_room_command);
        let sender_is_admin = if room_command && !direct {
            anonymous_admin || self.is_admin(chat, &sender).await?
        } else {
            false
        };
        // Files said in a direct chat stay there (nothing is relayed from it).
        let (media, media_refused) = match m.file() {
            Some(f) if !direct && cmd.is_none() => self.take_file(core, &sender, &f).await?,
            _ => (None, None),
        };
        let refused_file = media_refused.is_some() && !m.carries_photo();
        let inbound = Inbound {
            channel: ChannelKind::Telegram,
            chat: chat.to_string(),
            native_id: message_id.to_string(),
            sender,
            sender_name,
            text,
            sent_at: time(m.date),
            reply_to: m
                .reply_to_message
                .as_ref()
                .and_then(|r| r.message_id)
                .map(|id| id.to_string()),
            direct,
            location: m.location.as_ref().and_then(|l| Some((l.latitude?, l.longitude?))),
            sender_is_admin,
            lang_hint: m.from.as_ref().and_then(|u| u.language_code.clone()),
            subject: None,
            media,
            media_refused,
            refused_file,
            album: m.media_group_id.clone(),
            // One file per Telegram message: an album's photos come one by one.
            more_media: Vec::new(),
        };
        Ok(Some(Said {
            inbound,
            invite_link: (room_command && sender_is_admin).then_some(chat),
        }))
    }

    /// What a message asks for once it is committed: an administrator's room command makes
    /// sure the group has the bot's invite link.
    async fn after_message(&self, core: &Core, invite_link: Option<i64>) -> anyhow::Result<()> {
        match invite_link {
            Some(chat) => self.ensure_invite_link(core, chat).await,
            None => Ok(()),
        }
    }

    /// A vote in a municipal poll (an empty choice takes it back). A vote is never a message:
    /// nothing is relayed or parsed.
    async fn on_poll_answer(&self, core: &Core, raw: &Value, a: &RawPollAnswer) -> anyhow::Result<()> {
        let (Some(poll), Some(user)) = (&a.poll_id, a.user.as_ref()) else {
            return self.dead_letter(core, raw, "poll_answer without poll_id or user").await;
        };
        let Some(id) = user.id else {
            return self.dead_letter(core, raw, "poll_answer without user.id").await;
        };
        let outcome = core
            .poll_vote(
                ChannelKind::Telegram,
                None,
                poll,
                (&id.to_string(), &user.name()),
                &a.option_ids,
                Utc::now(),
            )
            .await?;
        debug!(poll, ?outcome, "poll answer");
        Ok(())
    }

    /// A button of a question pressed: the core decides (only the author's answer counts),
    /// Telegram shows its words as a notification, and the buttons go once it is answered.
    async fn on_callback(&self, core: &Core, q: &RawCallback) -> anyhow::Result<()> {
        let Some(id) = &q.id else {
            debug!("callback query without id: skipped");
            return Ok(());
        };
        let sender = q
            .from
            .as_ref()
            .and_then(|u| u.id)
            .map(|i| i.to_string())
            .unwrap_or_default();
        let data = q.data.as_deref().unwrap_or("");
        let answered = core.answer_button(ChannelKind::Telegram, &sender, data).await?;
        let _ = self
            .bot
            .answer_callback_query(id.clone().into())
            .text(answered.text.clone())
            .await;
        let at = q
            .message
            .as_ref()
            .and_then(|m| Some((m.chat.as_ref()?.id?, m.message_id?)));
        if let (true, Some((chat, message))) = (answered.done, at) {
            let body = serde_json::json!({ "chat_id": chat, "message_id": message });
            if let Err(e) = self
                .raw_call("editMessageReplyMarkup", &body, std::time::Duration::from_secs(30))
                .await
            {
                debug!(chat, message, error = %e, "the question's buttons could not be removed");
            }
        }
        Ok(())
    }

    /// Asks Telegram (never the message) whether the sender administers the group.
    async fn is_admin(&self, chat: i64, sender: &str) -> anyhow::Result<bool> {
        let Ok(user) = sender.parse::<u64>() else {
            return Ok(false);
        };
        match self.bot.get_chat_member(ChatId(chat), UserId(user)).await {
            Ok(member) => Ok(member.kind.is_privileged()),
            Err(teloxide::RequestError::Api(e)) => {
                debug!(chat, error = %e, "getChatMember refused: not an administrator");
                Ok(false)
            }
            Err(e) => Err(anyhow::anyhow!("getChatMember: {e}")),
        }
    }

    /// Gives a linked group an invite link for onboarding, when the bot may create one.
    async fn ensure_invite_link(&self, core: &Core, chat: i64) -> anyhow::Result<()> {
        let Some(room) = chats::room_area(&core.pool, ChannelKind::Telegram, &chat.to_string()).await? else {
            return Ok(());
        };
        if room.invite_link.is_some() {
            return Ok(());
        }
        match self.bot.create_chat_invite_link(ChatId(chat)).name("voisinage").await {
            Ok(link) => {
                chats::set_invite_link(&core.pool, ChannelKind::Telegram, &chat.to_string(), &link.invite_link).await
            }
            Err(e) => {
                info!(chat, error = %e, "no invite link for this group yet (the bot needs the right to invite)");
                Ok(())
            }
        }
    }

    async fn on_edit(&self, core: &Core, m: &RawMessage) -> anyhow::Result<()> {
        let (Some(chat), Some(message_id), Some(text)) = (m.chat.as_ref().and_then(|c| c.id), m.message_id, m.said())
        else {
            debug!("edit without chat, id or text: skipped");
            return Ok(());
        };
        let edit = Edit {
            channel: ChannelKind::Telegram,
            chat: chat.to_string(),
            native_id: message_id.to_string(),
            // The text's hash keeps two edits within one second distinct.
            edit_key: format!("{}:{:016x}", m.edit_date.unwrap_or_default(), fnv1a64(text.as_bytes())),
            text,
            edited_at: time(m.edit_date),
        };
        core.edit(&edit).await?;
        Ok(())
    }

    async fn on_membership(&self, core: &Core, raw: &Value, u: &RawMembership) -> anyhow::Result<()> {
        let Some(chat_info) = &u.chat else {
            return self.dead_letter(core, raw, "my_chat_member without chat").await;
        };
        let Some(chat) = chat_info.id else {
            return self.dead_letter(core, raw, "my_chat_member without chat.id").await;
        };
        let status = |s: &Option<RawStatus>| s.as_ref().and_then(|s| s.status.clone()).unwrap_or_default();
        let (old, new) = (status(&u.old_chat_member), status(&u.new_chat_member));
        let present = |s: &str| matches!(s, "member" | "administrator" | "creator" | "restricted");
        let private = chat_info.kind.as_deref() == Some("private");
        let target = chat.to_string();
        if present(&new) {
            chats::clear_gone(&core.pool, ChannelKind::Telegram, &target).await?;
            if !present(&old) && !private {
                let example = core
                    .areas
                    .all()
                    .first()
                    .map(|a| a.slug.as_str().to_owned())
                    .unwrap_or_default();
                let text = core
                    .texts
                    .get(Lang::Fr, "bot-joined", &[("example", Arg::from(example))]);
                let key = format!("telegram-joined:{chat}:{}", u.date.unwrap_or_default());
                core.notify(
                    Address {
                        channel: ChannelKind::Telegram,
                        target,
                    },
                    text,
                    key,
                )
                .await?;
            }
            if matches!(new.as_str(), "administrator" | "creator") {
                self.ensure_invite_link(core, chat).await?;
            }
        } else if matches!(new.as_str(), "left" | "kicked") {
            let reason = if private {
                "the user blocked the bot"
            } else {
                "the bot was removed from the group"
            };
            info!(chat, reason, "chat gone");
            let failed = chats::mark_gone(&core.pool, ChannelKind::Telegram, &target, reason).await?;
            core.copies_failed(&failed, FailureCause::Gone).await?;
        }
        Ok(())
    }
}
