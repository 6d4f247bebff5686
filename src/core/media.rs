//! Photos and files (issue 15): what is taken in (limits, re-encoding, the store), what the
//! copies and the author are told when a file is refused, and the purge of files no message
//! carries any more (deletion, moderation, erasure, retention release them).

use chrono::{DateTime, Duration, Utc};
use tracing::{debug, warn};

use super::Core;
use super::command::Command;
use super::model::{Address, ChannelKind, Inbound, Media, OutKind, Outgoing};
use crate::i18n::{Arg, Lang};
use crate::media::{MediaLimits, Refusal, process, sniff, type_name};
use crate::store::Tx;
use crate::store::deliveries::NewDelivery;
use crate::store::media as rows;

/// A file taken in but carried by no message after this long is purged: longer than a held
/// mail waits for its owner's confirmation (7 days), whose photo is taken in on arrival.
const STALE_AFTER_HOURS: i64 = 8 * 24;

impl Core {
    /// Takes in a file `sender` sent on `channel` (already downloaded by the adapter):
    /// checks the daily limit and the type (read from the bytes, and the declared one must
    /// agree), re-encodes images (no EXIF/GPS), stores the bytes (and an image's thumbnail),
    /// and records them. Documents and videos are stored as they came. `Ok(Err(_))` is a
    /// refusal to tell the author; `Err` is the database or the disk failing.
    pub async fn take_media(
        &self,
        channel: ChannelKind,
        sender: &str,
        declared_mime: Option<&str>,
        bytes: Vec<u8>,
    ) -> anyhow::Result<Result<Media, Refusal>> {
        let limits = self.media.limits.clone();
        let declared = declared_mime.filter(|m| !m.is_empty() && *m != "application/octet-stream");
        if let Some(m) = declared.filter(|m| !limits.allows(m)) {
            debug!(mime = m, "file type not taken in");
            return Ok(Err(Refusal::Type));
        }
        if bytes.len() as u64 > limits.max_bytes {
            return Ok(Err(Refusal::TooLarge));
        }
        let sniffed = sniff(&bytes);
        let family = |m: &str| m.split('/').next().unwrap_or_default().to_ascii_lowercase();
        if let (Some(d), Some(s)) = (declared, sniffed)
            && family(d) != family(s)
        {
            debug!(declared = d, read = s, "the file is not what it says");
            return Ok(Err(Refusal::Type));
        }
        if limits.per_member_day > 0 {
            let since = Utc::now() - Duration::days(1);
            if rows::sent_since(&self.pool, channel, sender, since).await? >= i64::from(limits.per_member_day) {
                return Ok(Err(Refusal::Quota));
            }
        }
        match sniffed {
            // Images, and what may be one (the decoder decides).
            None | Some("image/jpeg" | "image/png" | "image/webp") => self.take_image(bytes, limits).await,
            Some(t) if !t.starts_with("image/") && limits.allows(t) => self.take_as_is(t, bytes).await,
            Some(t) => {
                debug!(mime = t, "file type not taken in");
                Ok(Err(Refusal::Type))
            }
        }
    }

    /// An image, re-encoded (no EXIF/GPS) with its thumbnail.
    async fn take_image(&self, bytes: Vec<u8>, limits: MediaLimits) -> anyhow::Result<Result<Media, Refusal>> {
        let processed = {
            let _slot = self.parse_slots.acquire().await?;
            tokio::task::spawn_blocking(move || process(&bytes, &limits)).await?
        };
        let p = match processed {
            Ok(p) => p,
            Err(r) => return Ok(Err(r)),
        };
        let thumb_hash = crate::media::key_of(&p.thumb);
        let media = Media {
            hash: crate::media::key_of(&p.bytes),
            mime: p.mime.to_owned(),
            size: p.bytes.len() as i64,
            width: Some(p.width as i32),
            height: Some(p.height as i32),
            thumb_hash: Some(thumb_hash.clone()),
            thumb_width: Some(p.thumb_width as i32),
            thumb_height: Some(p.thumb_height as i32),
        };
        // The row first: a purge of the same file holds its row until the bytes are gone.
        rows::insert(&self.pool, &media).await?;
        self.media.blobs.put(&media.hash, &p.bytes).await?;
        self.media.blobs.put(&thumb_hash, &p.thumb).await?;
        Ok(Ok(media))
    }

    /// A document or a video of type `mime` (read from its bytes), kept as it came.
    async fn take_as_is(&self, mime: &str, bytes: Vec<u8>) -> anyhow::Result<Result<Media, Refusal>> {
        let media = Media {
            hash: crate::media::key_of(&bytes),
            mime: mime.to_owned(),
            size: bytes.len() as i64,
            width: None,
            height: None,
            thumb_hash: None,
            thumb_width: None,
            thumb_height: None,
        };
        rows::insert(&self.pool, &media).await?;
        self.media.blobs.put(&media.hash, &bytes).await?;
        Ok(Ok(media))
    }

    /// Links the file of `m` (stored as message `message_id`, by `member`) to its message, or,
    /// for a later part of an album or a photo sent alone right after its author's words in an
    /// area's room (`media.join_secs`), to the album's first message or those words' message.
    /// Returns the id and native id of the message joined: the copies then join its copies
    /// still waiting, or answer those sent, and the photo is shown with its post.
    pub(super) async fn link_media(
        &self,
        tx: &mut Tx<'_>,
        m: &Inbound,
        message_id: i64,
        member: i64,
        in_room: bool,
    ) -> anyhow::Result<Option<(i64, String)>> {
        let Some(media) = &m.media else { return Ok(None) };
        // A later part of an album: its file is the first part's too.
        if let Some(album) = m.album.as_deref().filter(|_| in_room && !m.direct)
            && let Some((id, native)) = rows::album_first(tx, m.channel, &m.chat, album, member, message_id).await?
        {
            debug!(joined = id, "a part of an album joins its first message");
            rows::join(tx, id, message_id, &media.hash).await?;
            return Ok(Some((id, native)));
        }
        let window = self.media.limits.join_secs;
        let lone = m.text.trim() == "📷" && m.reply_to.is_none() && !m.direct;
        if lone && in_room && window > 0 {
            let earlier = rows::joinable(tx, m.channel, &m.chat, member, message_id, m.sent_at, window).await?;
            // Words, not a command said just before.
            if let Some((id, native, _)) = earlier.filter(|(_, _, body)| Command::parse(body, m.channel).is_none()) {
                debug!(joined = id, "a lone photo joins its author's message");
                rows::join(tx, id, message_id, &media.hash).await?;
                return Ok(Some((id, native)));
            }
        }
        for (position, f) in std::iter::once(media).chain(&m.more_media).enumerate() {
            rows::attach(tx, message_id, position as i32, &f.hash).await?;
        }
        Ok(None)
    }

    /// The bytes of a stored file (channels read them when they send).
    pub async fn media_bytes(&self, hash: &str) -> std::io::Result<Vec<u8>> {
        self.media.blobs.get(hash).await
    }

    /// Deletes the files no message carries any more (released, or taken in and never used
    /// for a day), up to `limit`, with their bytes. Idempotent; several daemons may run it.
    pub async fn purge_media_once(&self, now: DateTime<Utc>, limit: i64) -> anyhow::Result<usize> {
        let mut tx = self.pool.begin().await?;
        let keys = rows::purge(&mut tx, now - Duration::hours(STALE_AFTER_HOURS), limit).await?;
        for k in &keys {
            if let Err(e) = self.media.blobs.delete(k).await {
                warn!(key = %k, error = %e, "a purged file could not be deleted from the media store");
            }
        }
        tx.commit().await?;
        Ok(keys.len())
    }

    /// Messages `ids` no longer carry their files; those no other message carries are
    /// deleted by the next purge. In the transaction of the deletion itself.
    pub async fn release_media(&self, tx: &mut Tx<'_>, ids: &[i64]) -> anyhow::Result<u64> {
        rows::release(tx, ids).await
    }

    /// What the copies say instead of a refused file ("📷 photo non transmise (trop lourde)",
    /// "📎 fichier non transmis (…)"), followed by the message's own words.
    pub(super) fn refused_copy_text(&self, lang: Lang, why: Refusal, file: bool, text: &str) -> String {
        let kind = if file { "file-" } else { "" };
        let reason = self
            .texts
            .get(lang, &format!("media-reason-{kind}{}", why.as_str()), &[]);
        let line = self.texts.get(
            lang,
            &format!("media-refused-{kind}copy"),
            &[("reason", Arg::from(reason))],
        );
        match text.trim() {
            "" | "📷" | "📎" => line,
            t => format!("{line}\n{t}"),
        }
    }

    /// The author's notice that their file was refused, and why, where they wrote.
    pub(super) fn refusal_notice(&self, m: &Inbound, message_id: i64, lang: Lang, why: Refusal) -> NewDelivery {
        let l = &self.media.limits;
        let kind = if m.refused_file && why != Refusal::Type {
            "file-"
        } else {
            ""
        };
        let types: Vec<String> = l.types.iter().map(|t| type_name(t)).collect();
        let text = self.texts.get(
            lang,
            &format!("media-refused-{kind}{}", why.as_str()),
            &[
                ("max_mb", Arg::from((l.max_bytes / (1024 * 1024)).max(1) as i64)),
                ("max", Arg::from(i64::from(l.per_member_day))),
                ("types", Arg::from(types.join(", "))),
            ],
        );
        let mut msg = Outgoing::new(OutKind::Answer, text)
            .replying(Some(m.native_id.clone()))
            .in_lang(lang);
        msg.subject = m.re_subject();
        let to = Address {
            channel: m.channel,
            target: if m.channel == ChannelKind::Email {
                m.sender.clone()
            } else {
                m.chat.clone()
            },
        };
        NewDelivery {
            to,
            msg,
            dedupe_key: format!("media-refused:{message_id}"),
            cause: Some(message_id),
        }
    }
}
