//! Photos and files in and out. In: the largest size of a photo, a document or a video is
//! asked with getFile and downloaded by the daemon. The download URL carries the bot token, so
//! it never leaves this file: not in an error, a log line or a message. Out: sendPhoto,
//! sendVideo or sendDocument as multipart with the stored bytes; a caption longer than
//! Telegram's 1,024 characters follows as a text reply to the photo.

use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use teloxide::payloads::{
    SendDocumentSetters, SendMediaGroupSetters, SendMessageSetters, SendPhotoSetters, SendVideoSetters,
};
use teloxide::requests::Requester;
use teloxide::types::{ChatId, InputFile, InputMedia, InputMediaPhoto, MessageId, ParseMode, ReplyParameters};
use tracing::{debug, warn};

use super::Telegram;
use crate::channels::MediaAccess;
use crate::core::Core;
use crate::core::SendError;
use crate::core::model::{ChannelKind, Media, Outgoing};
use crate::media::Refusal;

/// Telegram's limit on a caption, in UTF-16 code units after entities are parsed.
pub(super) const MAX_CAPTION_UNITS: usize = 1024;

/// A file a message carries, as Telegram names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FileRef {
    pub file_id: String,
    /// The size Telegram announced, if it did.
    pub size: Option<u64>,
    /// The type the sender's app declared (documents only; photos are JPEG).
    pub mime: Option<String>,
}

impl Telegram {
    /// Gives the adapter the media store, to send photos (called once, when the core is built).
    pub fn use_media(&self, access: MediaAccess) {
        let _ = self.media.set(access);
    }

    /// Takes the file `f` that `sender` sent into the media store: the file or why not.
    /// Errors are the database or the disk failing (worth handling the update again).
    pub(super) async fn take_file(
        &self,
        core: &Core,
        sender: &str,
        f: &FileRef,
    ) -> anyhow::Result<(Option<Media>, Option<Refusal>)> {
        let max = core.media.limits.max_bytes;
        if f.size.is_some_and(|s| s > max) {
            return Ok((None, Some(Refusal::TooLarge)));
        }
        if let Some(m) = f.mime.as_deref().filter(|m| !core.media.limits.allows(m)) {
            debug!(mime = m, "file type not taken in");
            return Ok((None, Some(Refusal::Type)));
        }
        let bytes = match self.download(&f.file_id, max).await {
            Ok(Ok(b)) => b,
            Ok(Err(why)) => return Ok((None, Some(why))),
            Err(e) => {
                warn!(error = %e, "a photo could not be fetched from Telegram: its text goes on without it");
                return Ok((None, Some(Refusal::Unavailable)));
            }
        };
        Ok(
            match core
                .take_media(ChannelKind::Telegram, sender, f.mime.as_deref(), bytes)
                .await?
            {
                Ok(m) => (Some(m), None),
                Err(why) => (None, Some(why)),
            },
        )
    }

    /// getFile, then the download, stopping as soon as `max` bytes are passed.
    async fn download(&self, file_id: &str, max: u64) -> anyhow::Result<Result<Vec<u8>, Refusal>> {
        let file = match self
            .raw_call(
                "getFile",
                &serde_json::json!({ "file_id": file_id }),
                Duration::from_secs(30),
            )
            .await
        {
            Ok(f) => f,
            // Bots may fetch files of at most 20 MB.
            Err(e) if e.to_string().contains("file is too big") => return Ok(Err(Refusal::TooLarge)),
            Err(e) => return Err(e),
        };
        if file["file_size"].as_u64().is_some_and(|s| s > max) {
            return Ok(Err(Refusal::TooLarge));
        }
        let path = file["file_path"]
            .as_str()
            .context("getFile answered without file_path")?;
        let url = format!("{}/file/bot{}/{path}", self.api_url, self.token.expose_secret());
        // reqwest errors quote the URL, and this URL holds the token: never let it through.
        let mut resp = self
            .http
            .get(&url)
            .timeout(Duration::from_secs(120))
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("downloading a file: {}", e.without_url()))?;
        if !resp.status().is_success() {
            anyhow::bail!("downloading a file: HTTP {}", resp.status());
        }
        let mut out = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| anyhow::anyhow!("downloading a file: {}", e.without_url()))?
        {
            if (out.len() + chunk.len()) as u64 > max {
                return Ok(Err(Refusal::TooLarge));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(Ok(out))
    }

    /// Sends `msg` with its photo to `chat`: `photo:ID`, or `media:PHOTO:TEXT` when the text
    /// followed as a reply (edits then reach the text, deletions both).
    pub(super) async fn send_media(
        &self,
        chat: i64,
        msg: &Outgoing,
        media: &Media,
        html_fits: bool,
    ) -> Result<String, SendError> {
        let access = self
            .media
            .get()
            .ok_or_else(|| SendError::Permanent("the Telegram channel has no media store".into()))?;
        let bytes = access.bytes(media).await?;
        let caption_html = msg
            .html
            .clone()
            .filter(|h| html_fits && super::send::visible_units(h) <= MAX_CAPTION_UNITS);
        let fits = caption_html.is_some() || msg.text.encode_utf16().count() <= MAX_CAPTION_UNITS;
        let reply = msg
            .reply_to
            .as_deref()
            .and_then(super::send::message_of)
            .map(|r| ReplyParameters::new(r).allow_sending_without_reply());
        let file = InputFile::memory(bytes).file_name(media.file_name());
        let sent = if media.is_image() {
            let mut req = self.bot.send_photo(ChatId(chat), file);
            match (&caption_html, fits) {
                (Some(h), _) => req = req.caption(h.clone()).parse_mode(ParseMode::Html),
                (None, true) => req = req.caption(msg.text.clone()),
                (None, false) => {}
            }
            if let Some(r) = reply {
                req = req.reply_parameters(r);
            }
            req.await
        } else if media.is_video() {
            let mut req = self.bot.send_video(ChatId(chat), file);
            if fits {
                req = req.caption(msg.text.clone());
            }
            if let Some(r) = reply {
                req = req.reply_parameters(r);
            }
            req.await
        } else {
            let mut req = self.bot.send_document(ChatId(chat), file);
            if fits {
                req = req.caption(msg.text.clone());
            }
            if let Some(r) = reply {
                req = req.reply_parameters(r);
            }
            req.await
        };
        let photo = sent.map_err(|e| self.failure(chat, e))?.id;
        if fits {
            return Ok(format!("photo:{}", photo.0));
        }
        let text = self
            .bot
            .send_message(ChatId(chat), super::send::fit(&msg.text))
            .reply_parameters(ReplyParameters::new(photo))
            .await
            .map_err(|e| self.failure(chat, e))?;
        Ok(format!("media:{}:{}", photo.0, text.id.0))
    }

    /// Sends the photos of `msg` (`media`, then `more_media`: ten at most) as one media
    /// group, the caption on the first: `album:ID,ID,…` (a caption too long follows as a text
    /// reply, whose id ends the list).
    pub(super) async fn send_album(&self, chat: i64, msg: &Outgoing, html_fits: bool) -> Result<String, SendError> {
        let access = self
            .media
            .get()
            .ok_or_else(|| SendError::Permanent("the Telegram channel has no media store".into()))?;
        let caption_html = msg
            .html
            .clone()
            .filter(|h| html_fits && super::send::visible_units(h) <= MAX_CAPTION_UNITS);
        let fits = caption_html.is_some() || msg.text.encode_utf16().count() <= MAX_CAPTION_UNITS;
        let mut items = Vec::new();
        for (i, m) in msg.media.iter().chain(&msg.more_media).take(10).enumerate() {
            let bytes = access.bytes(m).await?;
            let mut photo = InputMediaPhoto::new(InputFile::memory(bytes).file_name(format!("{i}-{}", m.file_name())));
            if i == 0 {
                match (&caption_html, fits) {
                    (Some(h), _) => photo = photo.caption(h.clone()).parse_mode(ParseMode::Html),
                    (None, true) => photo = photo.caption(msg.text.clone()),
                    (None, false) => {}
                }
            }
            items.push(InputMedia::Photo(photo));
        }
        let mut req = self.bot.send_media_group(ChatId(chat), items);
        if let Some(r) = msg.reply_to.as_deref().and_then(super::send::message_of) {
            req = req.reply_parameters(ReplyParameters::new(r).allow_sending_without_reply());
        }
        let sent = req.await.map_err(|e| self.failure(chat, e))?;
        let mut ids: Vec<String> = sent.iter().map(|m| m.id.0.to_string()).collect();
        if !fits && let Some(first) = sent.first() {
            let text = self
                .bot
                .send_message(ChatId(chat), super::send::fit(&msg.text))
                .reply_parameters(ReplyParameters::new(first.id))
                .await
                .map_err(|e| self.failure(chat, e))?;
            ids.push(text.id.0.to_string());
        }
        Ok(format!("album:{}", ids.join(",")))
    }

    /// The messages of an `album:ID,ID,…` remote id after the first (deleted with it).
    pub(super) fn album_rest(remote_id: &str) -> Vec<MessageId> {
        let Some(list) = remote_id.strip_prefix("album:") else {
            return Vec::new();
        };
        list.split(',')
            .skip(1)
            .filter_map(|s| s.parse().ok())
            .map(MessageId)
            .collect()
    }

    /// The photo of a `media:PHOTO:TEXT` remote id (deleted with the text).
    pub(super) fn photo_of(remote_id: &str) -> Option<MessageId> {
        remote_id
            .strip_prefix("media:")?
            .split(':')
            .next()?
            .parse()
            .ok()
            .map(MessageId)
    }
}
