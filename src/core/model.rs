//! The types adapters and the core exchange.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// The chat tools voisinage speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// The terminal of `voisinage try`.
    #[default]
    Console,
    Telegram,
    Matrix,
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Console,
        ChannelKind::Telegram,
        ChannelKind::Matrix,
        ChannelKind::Email,
    ];

    /// The identifier stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Console => "console",
            ChannelKind::Telegram => "telegram",
            ChannelKind::Matrix => "matrix",
            ChannelKind::Email => "email",
        }
    }

    /// The id of its display name in bot-scripts ("courriel", "Telegram"…).
    pub fn text_id(self) -> &'static str {
        match self {
            ChannelKind::Console => "channel-console",
            ChannelKind::Telegram => "channel-telegram",
            ChannelKind::Matrix => "channel-matrix",
            ChannelKind::Email => "channel-email",
        }
    }

    /// What starts a command here: "!" on Matrix, whose clients keep "/" for their own
    /// commands; "/" elsewhere ("/" is always understood too).
    pub fn command_prefix(self) -> char {
        match self {
            ChannelKind::Matrix => '!',
            _ => '/',
        }
    }

    /// The longest text one message may hold on this channel, in UTF-16 code units (how
    /// Telegram counts); longer texts are queued as several messages.
    pub const fn max_text_units(self) -> usize {
        match self {
            ChannelKind::Telegram => 4096,
            // Matrix events are limited to 64 KiB of JSON: leave room for the HTML body.
            ChannelKind::Matrix => 16_000,
            ChannelKind::Console | ChannelKind::Email => usize::MAX,
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown channel `{s}` (console, telegram, matrix, email)"))
    }
}

/// A message received on a channel, translated by its adapter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inbound {
    pub channel: ChannelKind,
    /// The chat it was said in (group id, room id, list address).
    pub chat: String,
    /// The channel's id of the message, unique within the chat: a redelivery has the same.
    pub native_id: String,
    /// The sender's account on the channel.
    pub sender: String,
    pub sender_name: String,
    pub text: String,
    pub sent_at: DateTime<Utc>,
    /// The native id of the message it replies to, when it is a reply.
    pub reply_to: Option<String>,
    /// Said in a direct conversation with the bot (onboarding, commands), not in a group.
    pub direct: bool,
    /// A position the sender shared (latitude, longitude), to find their area.
    pub location: Option<(f64, f64)>,
    /// The channel checked (not trusted from the message) that the sender administers the
    /// chat: only then may they link it to an area or unlink it.
    pub sender_is_admin: bool,
    /// The language the sender's client or mail says they use ("fr", "en-GB"), read at first
    /// contact only: afterwards the member's own choice (`/langue`) counts.
    pub lang_hint: Option<String>,
    /// The subject, on channels that have one (email): the bot's answer by email says
    /// "Re: " it, so that mail programs show the answer with the mail it answers.
    pub subject: Option<String>,
    /// The photo or file sent with the message, already in the media store (issue 15).
    pub media: Option<Media>,
    /// A file sent with the message that was not taken in, and why: its author is told and
    /// the copies say "photo non transmise" (or "fichier non transmis").
    pub media_refused: Option<crate::media::Refusal>,
    /// The refused file was a document or a video, not a photo.
    pub refused_file: bool,
    /// The album (a Telegram media group) it is part of: the later parts join the first.
    pub album: Option<String>,
    /// Its other photos, after `media` (a mail with several images).
    pub more_media: Vec<Media>,
}

impl Inbound {
    /// The message as PostgreSQL can store it: its text fields without U+0000, which a `text`
    /// column refuses. A message carrying one (a client's bug, or on purpose) is stored without
    /// it rather than refused, as a refusal would be retried forever and hold back the chat's
    /// later messages.
    pub fn storable(&self) -> std::borrow::Cow<'_, Inbound> {
        let optional = [&self.reply_to, &self.lang_hint, &self.subject, &self.album];
        let texts = [&self.chat, &self.native_id, &self.sender, &self.sender_name, &self.text];
        if !has_nul(&texts.map(String::as_str)) && !optional.into_iter().flatten().any(|s| s.contains('\0')) {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut m = self.clone();
        [
            &mut m.chat,
            &mut m.native_id,
            &mut m.sender,
            &mut m.sender_name,
            &mut m.text,
        ]
        .into_iter()
        .chain(
            [&mut m.reply_to, &mut m.lang_hint, &mut m.subject, &mut m.album]
                .into_iter()
                .flatten(),
        )
        .for_each(strip_nul);
        std::borrow::Cow::Owned(m)
    }
}

/// Whether any of these texts holds U+0000, which PostgreSQL's text columns refuse.
fn has_nul(texts: &[&str]) -> bool {
    texts.iter().any(|s| s.contains('\0'))
}

/// Drops U+0000 from a text (nothing a reader sees: a NUL is invisible and carries nothing).
fn strip_nul(s: &mut String) {
    s.retain(|c| c != '\0');
}

/// A file of the media store, as messages and deliveries name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Media {
    /// The key of the stored bytes (hex SHA-256).
    pub hash: String,
    pub mime: String,
    pub size: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// The key of its thumbnail (images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_width: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumb_height: Option<i32>,
}

impl Media {
    /// Whether it is shown as a picture (rather than offered as a file).
    pub fn is_image(&self) -> bool {
        self.mime.starts_with("image/")
    }

    /// Whether it is shown as a video.
    pub fn is_video(&self) -> bool {
        self.mime.starts_with("video/")
    }

    /// A file name for channels that want one ("photo-1a2b3c4d.jpg", "fichier-….pdf").
    pub fn file_name(&self) -> String {
        let ext = match self.mime.as_str() {
            "image/jpeg" => "jpg",
            "image/png" => "png",
            "image/webp" => "webp",
            "application/pdf" => "pdf",
            "video/mp4" => "mp4",
            "video/quicktime" => "mov",
            "video/webm" => "webm",
            "video/x-matroska" => "mkv",
            _ => "bin",
        };
        let kind = match () {
            _ if self.is_image() => "photo",
            _ if self.is_video() => "video",
            _ => "fichier",
        };
        format!("{kind}-{}.{ext}", &self.hash[..8.min(self.hash.len())])
    }
}

impl Inbound {
    /// The subject of the bot's answer to this message: "Re: " its subject, if it has one.
    pub fn re_subject(&self) -> Option<String> {
        self.subject.as_deref().and_then(re_subject)
    }
}

/// The subject of an answer to a mail whose subject is `theirs`: "Re: theirs", once (a subject
/// already starting with "Re:" stays as it is, as mail programs do); None for an empty subject.
pub fn re_subject(theirs: &str) -> Option<String> {
    let theirs = theirs.trim();
    if theirs.is_empty() {
        return None;
    }
    let already = theirs.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("re:"));
    Some(if already {
        theirs.to_owned()
    } else {
        format!("Re: {theirs}")
    })
}

/// A message edited on its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub channel: ChannelKind,
    pub chat: String,
    /// The native id of the edited message.
    pub native_id: String,
    /// The channel's id of this edit, so that a redelivered edit changes nothing.
    pub edit_key: String,
    pub text: String,
    pub edited_at: DateTime<Utc>,
}

impl Edit {
    /// The edit as PostgreSQL can store it: without U+0000, which its text columns refuse (a
    /// refused edit would otherwise fail on every retry and hold up what follows it).
    pub fn storable(&self) -> std::borrow::Cow<'_, Edit> {
        if !has_nul(&[&self.chat, &self.native_id, &self.edit_key, &self.text]) {
            return std::borrow::Cow::Borrowed(self);
        }
        let mut e = self.clone();
        [&mut e.chat, &mut e.native_id, &mut e.edit_key, &mut e.text]
            .into_iter()
            .for_each(strip_nul);
        std::borrow::Cow::Owned(e)
    }
}

/// How the bot acknowledges a post in a room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Acknowledge {
    /// A short reply ("Offre n°12 notée…").
    #[default]
    Reply,
    /// A reaction on the message where the channel has them (a reply elsewhere).
    Reaction,
}

/// The acknowledgement of each area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckPolicy {
    pub default: Acknowledge,
    pub areas: std::collections::HashMap<String, Acknowledge>,
    /// The reaction used (one Telegram accepts: 👍 ✍ 👌 🤝 …).
    pub emoji: String,
}

impl AckPolicy {
    pub fn of(&self, area: &str) -> Acknowledge {
        self.areas.get(area).copied().unwrap_or(self.default)
    }
}

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutKind {
    /// A copy of a neighbour's message in the area's other rooms.
    Relay,
    /// "Offer recorded", said where the post was made.
    Notice,
    /// The answer to a command.
    Answer,
    /// A request met an offer.
    Match,
    /// A scheduled digest (an email, or the short summary in a room).
    Digest,
    /// "Your post expires soon" / "your post has expired".
    Reminder,
    /// A partner service suggested for a request no neighbour answered.
    Partner,
}

/// What a delivery does on its channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// A new message.
    #[default]
    Send,
    /// Replaces the text of the copy that delivery `of` sent (same channel and target).
    Edit { of: i64 },
    /// Deletes the copy that delivery `of` sent.
    Delete { of: i64 },
    /// Deletes (redacts) a message a neighbour said in the target chat, by its native id
    /// (moderation, erasure).
    Remove { native: String },
    /// Bans the account `user` from the target chat.
    Ban { user: String },
    /// Lifts the ban of `user` in the target chat.
    Unban { user: String },
}

impl Op {
    pub fn is_send(&self) -> bool {
        *self == Op::Send
    }
}

/// A button offered with a message (a reply keyboard on Telegram; plain text elsewhere, where
/// the message text already says what to answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "type")]
pub enum Choice {
    /// Sends back `label` as a message.
    Reply { label: String },
    /// Asks the device for its position.
    Location { label: String },
    /// Sends `data` back to the bot without a message (an inline button on Telegram): the
    /// answers to a question about an unsure reading.
    Callback { label: String, data: String },
}

/// A message to send: the payload of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    pub kind: OutKind,
    /// The plain text.
    pub text: String,
    /// The same text as HTML (user content escaped, names in bold), for channels that format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The remote id (on the target channel) of the message this one answers, if any. By
    /// email that is the Message-ID of the mail answered (an email Inbound's native id), which
    /// the email channel renders as `In-Reply-To` and `References`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    #[serde(default, skip_serializing_if = "Op::is_send")]
    pub op: Op,
    /// Say it with this reaction on `reply_to` instead of a message, where the channel can
    /// (the "unobtrusive" acknowledgement of a post); `text` is the fallback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reaction: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<Choice>,
    /// The subject, for channels that have one (email).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// A signed token naming the message this copy relays, so that an answer by email (to the
    /// bot's plus-address with this token) reaches its author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_token: Option<String>,
    /// The body is that of digest N (`digests` row), filled in by the outbox when it sends: a
    /// digest is stored once, not once per subscriber.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<i64>,
    /// The reader's language, where the sender knows it: which body of `digest` to fill in,
    /// and the language of the words a channel adds (an email's footer). None (payloads from
    /// before languages): French.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<crate::i18n::Lang>,
    /// Once sent (or given up), the delivery forgets its target and text: the last word to a
    /// member who asked to be forgotten.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forget_after: bool,
    /// The neighbour whose words these are, for channels that name a sender: an email relaying
    /// Marie's message comes from the bot's address as "Marie via Voisinage" (the bot's address,
    /// so that her domain's DMARC policy does not reject it; Reply-To reaches her).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_name: Option<String>,
    /// Who said the relayed words, as "Jeanne (Telegram)" with a stable opaque id, for channels
    /// that can show a per-message sender (Matrix: MSC4144's per-message profile).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// The photo or file this message carries (a relayed photo), read from the media store by
    /// the channel when it sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Media>,
    /// The album's other photos, after `media` (Telegram sends them as one media group, email
    /// shows them all; Matrix, one image per event, gets a copy for each instead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_media: Vec<Media>,
    /// A native poll (a municipal poll, issue 18): Telegram sends it with sendPoll, Matrix as a
    /// poll start event; `text` is the fallback for clients without polls. With `Op::Edit` on
    /// the poll's own delivery: the poll is closed (Telegram stopPoll, Matrix poll end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll: Option<PollOut>,
}

/// A municipal poll as an editor asks for it (issue 18), and as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PollSpec {
    /// The commune's name, as the areas say it.
    pub commune: String,
    /// Its URL form (the results page's address).
    pub commune_slug: String,
    pub question: String,
    pub options: Vec<String>,
    pub multiple: bool,
    /// Area slugs, all of the commune.
    pub areas: Vec<String>,
    pub closes_at: DateTime<Utc>,
    /// The staff member's email.
    pub created_by: String,
}

/// A municipal announcement as an editor writes it (issue 18), and as it is stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AnnouncementSpec {
    /// The commune's name, as the areas say it.
    pub commune: String,
    /// Its URL form (the archive's address).
    pub commune_slug: String,
    pub title: String,
    pub body: String,
    /// The day it is about, if any.
    pub happens_on: Option<chrono::NaiveDate>,
    /// Where, if anywhere in particular.
    pub place: Option<String>,
    /// Area slugs, all of the commune.
    pub areas: Vec<String>,
    /// Mailed at once to every subscriber of the areas (else: in their next digest).
    pub urgent: bool,
    /// The staff member's email.
    pub created_by: String,
}

/// What a channel needs to show a native poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollOut {
    /// The question as shown, already prefixed ("📢 Mairie de Saint-Malo : …").
    pub question: String,
    pub options: Vec<String>,
    pub multiple: bool,
}

/// The original sender of a relayed message, as a per-message profile shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Stable for one sender on one channel, and says nothing about them (a hash).
    pub id: String,
    /// "Jeanne (Telegram)".
    pub name: String,
}

impl Outgoing {
    /// A plain new message.
    pub fn new(kind: OutKind, text: impl Into<String>) -> Outgoing {
        Outgoing {
            kind,
            text: text.into(),
            html: None,
            reply_to: None,
            op: Op::Send,
            reaction: None,
            choices: Vec::new(),
            subject: None,
            reply_token: None,
            digest: None,
            lang: None,
            forget_after: false,
            from_name: None,
            profile: None,
            media: None,
            more_media: Vec::new(),
            poll: None,
        }
    }

    /// The same, for a reader of `lang` (the words a channel adds, e.g. an email's footer).
    pub fn in_lang(mut self, lang: crate::i18n::Lang) -> Outgoing {
        self.lang = Some(lang);
        self
    }

    /// The same, in reply to `remote_id`.
    pub fn replying(mut self, remote_id: Option<String>) -> Outgoing {
        self.reply_to = remote_id;
        self
    }
}

/// How long posts stay open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostLife {
    pub after_days: u32,
    pub remind_before_days: u32,
}

impl Default for PostLife {
    fn default() -> Self {
        PostLife {
            after_days: 30,
            remind_before_days: 3,
        }
    }
}

impl PostLife {
    pub fn after(&self) -> Duration {
        Duration::days(self.after_days.into())
    }

    pub fn remind_at(&self) -> Duration {
        Duration::days(i64::from(self.after_days) - i64::from(self.remind_before_days))
    }
}

/// Who moderates areas besides their rooms' administrators, and how long personal data is
/// kept (issue 14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustPolicy {
    /// Per area slug, the identities named moderators in the configuration: email addresses,
    /// Telegram user ids ("telegram:123" or "123"), Matrix ids ("@anne:example.org").
    pub moderators: std::collections::HashMap<String, Vec<String>>,
    /// Messages older than this many days lose their text (0: kept forever).
    pub retention_days: u32,
    /// How long after `/oublier` a `/oublier confirmer` erases.
    pub forget_confirm_minutes: u32,
}

impl Default for TrustPolicy {
    fn default() -> Self {
        TrustPolicy {
            moderators: Default::default(),
            retention_days: 365,
            forget_confirm_minutes: 30,
        }
    }
}

impl TrustPolicy {
    /// Whether `channel`'s account `external_id` is listed as a moderator of `area`.
    pub fn lists(&self, area: &str, channel: ChannelKind, external_id: &str) -> bool {
        let Some(listed) = self.moderators.get(area) else {
            return false;
        };
        listed.iter().any(|l| {
            let l = l.trim();
            match channel {
                ChannelKind::Email => !l.starts_with('@') && l.contains('@') && l.eq_ignore_ascii_case(external_id),
                ChannelKind::Matrix => l.starts_with('@') && l.contains(':') && l == external_id,
                ChannelKind::Telegram => l.strip_prefix("telegram:").unwrap_or(l) == external_id,
                ChannelKind::Console => l.strip_prefix("console:").is_some_and(|c| c == external_id),
            }
        })
    }
}

/// Splits `text` into parts of at most `max_units` UTF-16 code units, at a line break or a
/// space when one is near enough, so that a long message arrives whole as several messages.
pub fn split_text(text: &str, max_units: usize) -> Vec<String> {
    if text.encode_utf16().count() <= max_units {
        return vec![text.to_owned()];
    }
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        // The longest prefix within the limit, on a char boundary.
        let mut units = 0;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            units += c.len_utf16();
            if units > max_units {
                end = i;
                break;
            }
        }
        if end < rest.len() {
            // Prefer a line break, then a space, in the last quarter of the part.
            let window = &rest[..end];
            let floor = end - end / 4;
            if let Some(cut) = window.rfind('\n').filter(|&i| i >= floor && i > 0) {
                end = cut + 1;
            } else if let Some(cut) = window.rfind(' ').filter(|&i| i >= floor && i > 0) {
                end = cut + 1;
            }
        }
        let (head, tail) = rest.split_at(end);
        let head = head.trim_end();
        if !head.is_empty() {
            parts.push(head.to_owned());
        }
        rest = tail;
    }
    parts
}

/// Why a copy of a member's message failed for good, as its author is told
/// (`failure_notices.cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureCause {
    /// The chat is gone for the bot (kicked, blocked, no such chat).
    Gone,
    /// The channel refused this message for good (an address refused, a bad request).
    Refused,
    /// It kept failing until the outbox's attempts were spent.
    Exhausted,
}

impl FailureCause {
    pub const ALL: [FailureCause; 3] = [FailureCause::Gone, FailureCause::Refused, FailureCause::Exhausted];

    /// The stored form (and the `cause` label in /metrics).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCause::Gone => "gone",
            FailureCause::Refused => "refused",
            FailureCause::Exhausted => "exhausted",
        }
    }
}

/// Where a delivery goes: a chat on a channel.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    pub channel: ChannelKind,
    pub target: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_long_texts_at_spaces_without_losing_a_character() {
        let word = "perceuse ";
        let text = word.repeat(1000);
        let parts = split_text(&text, 4096);
        assert!(parts.len() >= 2);
        assert!(parts.iter().all(|p| p.encode_utf16().count() <= 4096));
        assert!(parts.iter().all(|p| p.ends_with("perceuse")));
        assert_eq!(parts.join(" "), text.trim_end());
    }

    #[test]
    fn splits_counting_utf16_units_and_never_inside_a_character() {
        let text = "🔧".repeat(3000); // 2 units each
        let parts = split_text(&text, 4096);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].chars().count(), 2048);
        assert_eq!(parts.concat(), text);
        assert_eq!(split_text("court", 4096), vec!["court".to_owned()]);
    }

    #[test]
    fn moderators_are_named_per_area_and_channel() {
        let mut p = TrustPolicy::default();
        p.moderators.insert(
            "saint-servan".into(),
            vec![
                "Anne@Example.org".into(),
                "telegram:42".into(),
                "@bob:example.org".into(),
            ],
        );
        assert!(p.lists("saint-servan", ChannelKind::Email, "anne@example.org"));
        assert!(p.lists("saint-servan", ChannelKind::Telegram, "42"));
        assert!(p.lists("saint-servan", ChannelKind::Matrix, "@bob:example.org"));
        assert!(!p.lists("saint-servan", ChannelKind::Email, "@bob:example.org"));
        assert!(!p.lists("saint-servan", ChannelKind::Telegram, "43"));
        assert!(!p.lists("rocabey", ChannelKind::Telegram, "42"));
        assert_eq!(p.retention_days, 365);
    }

    #[test]
    fn answers_say_re_once() {
        assert_eq!(re_subject("tondeuse").as_deref(), Some("Re: tondeuse"));
        assert_eq!(re_subject("RE: tondeuse").as_deref(), Some("RE: tondeuse"));
        assert_eq!(re_subject("  "), None);
    }

    #[test]
    fn outgoing_payloads_read_back_and_old_payloads_still_read() {
        let mut o = Outgoing::new(OutKind::Relay, "x");
        o.op = Op::Edit { of: 7 };
        let v = serde_json::to_value(&o).unwrap();
        assert_eq!(v["op"]["edit"]["of"], 7);
        assert_eq!(serde_json::from_value::<Outgoing>(v).unwrap(), o);
        let old: Outgoing = serde_json::from_str(r#"{"kind":"notice","text":"t","reply_to":"3"}"#).unwrap();
        assert_eq!(old.op, Op::Send);
        assert_eq!(old.reply_to.as_deref(), Some("3"));
    }
}

/// Whose email is relayed under a subscriber's name (`channels.email.sender_check`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SenderCheck {
    /// Only mail the configured server authenticated (DMARC, or aligned SPF or DKIM); the
    /// rest is held until its owner confirms it.
    #[default]
    Require,
    /// Every mail is held until its owner confirms it (a server that authenticates nothing).
    ConfirmEveryMail,
    /// No check: anyone can write under a subscriber's address.
    Off,
}

impl SenderCheck {
    pub fn as_str(self) -> &'static str {
        match self {
            SenderCheck::Require => "require",
            SenderCheck::ConfirmEveryMail => "confirm-every-mail",
            SenderCheck::Off => "off",
        }
    }
}

/// How the core tells a subscriber's genuine email from a forged one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailTrust {
    pub check: SenderCheck,
    /// The authserv-id the bot's mail server writes in `Authentication-Results`; only its
    /// headers are read.
    pub authserv_id: Option<String>,
}
