//! What the bot does with an email: the email adapter reads the mailbox and hands each mail
//! over as a [`Mail`]; the decisions are here, as for the other channels. Mail from a
//! confirmed subscriber enters ingest as a message of their area's list; an answer to a
//! relayed message (through the bot's plus-address) reaches the message's author; anyone else
//! gets one polite answer a day on how to subscribe, and never reaches a room. Mail sent by a
//! machine (vacation replies, lists, anything auto-submitted) is kept aside: answering it
//! could start a loop between two robots (RFC 3834). A subscriber's mail is relayed only
//! when the bot's mail server authenticated its sender (`mail_auth`); otherwise it is held
//! until the address's owner confirms it (`held`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::{debug, info};

use super::Core;
use super::mail_auth::{Verdict, verdict};
use super::model::{Address, ChannelKind, Inbound, OutKind, Outgoing, SenderCheck, re_subject};
use crate::i18n::{Arg, Lang};
use crate::store::{chats, messages, subscriptions};

/// An email as the adapter read it (stored as JSON while it is held).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Mail {
    /// The sender's address, lower-cased.
    pub from: String,
    pub name: String,
    /// The Message-ID (or a fingerprint of the raw mail).
    pub native_id: String,
    pub subject: String,
    /// The cleaned text (quotes and signature removed).
    pub text: String,
    pub sent_at: DateTime<Utc>,
    /// The tokens after "+" in the addresses it was sent to (the bot's plus-addresses).
    pub plus_tokens: Vec<String>,
    /// The mail's Content-Language, if any.
    pub lang_hint: Option<String>,
    /// Why a machine sent it, when its headers say so (`Auto-Submitted: auto-replied`,
    /// `List-Id`, `Precedence: bulk`, `X-Autoreply`…): such mail is neither relayed nor answered.
    pub automatic: Option<String>,
    /// The values of its `Authentication-Results` headers, top to bottom, as written.
    #[serde(default)]
    pub auth_results: Vec<String>,
    /// The Message-IDs it answers (`In-Reply-To`, then `References`), without brackets.
    #[serde(default)]
    pub answers: Vec<String>,
    /// Its first image (attached or inline), or else its first document or video, already in
    /// the media store.
    #[serde(default)]
    pub media: Option<super::model::Media>,
    /// A file it carried that was not taken in, and why.
    #[serde(default)]
    pub media_refused: Option<crate::media::Refusal>,
    /// That file was a document or a video, not an image.
    #[serde(default)]
    pub refused_file: bool,
    /// Its other images, after `media`.
    #[serde(default)]
    pub more_media: Vec<super::model::Media>,
}

/// The remote id (`voisinage-N`) of the bot's own email among the Message-IDs a mail answers:
/// a reply to the bot's question or acknowledgement, read like a reply in a chat.
fn answered_bot_mail(answers: &[String]) -> Option<String> {
    answers.iter().find_map(|id| {
        let local = id.trim().trim_matches(['<', '>']).split('@').next()?;
        let n = local.strip_prefix("voisinage-")?;
        (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then(|| local.to_owned())
    })
}

/// What happened to an email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A subscriber's message, ingested into their area's list.
    Posted,
    /// A subscriber's answer, passed to the author of the message it answers.
    Answered,
    /// Someone who is not a subscriber: they were told how to subscribe (once a day).
    Stranger,
    /// Nothing to read.
    Empty,
    /// Sent by a machine (a vacation reply, a list…): kept aside, neither relayed nor answered.
    Automatic,
    /// Under a subscriber's address but not authenticated: held until its owner confirms it.
    Held,
}

impl Core {
    /// Decides what an email is and does it.
    pub async fn receive_mail(&self, mail: &Mail) -> anyhow::Result<Received> {
        self.receive_mail_at(mail, Utc::now()).await
    }

    /// The same at `now` (the day its owner is asked about a held mail).
    pub async fn receive_mail_at(&self, mail: &Mail, now: DateTime<Utc>) -> anyhow::Result<Received> {
        if let Some(why) = &mail.automatic {
            // Bounces are not here: the adapter hands them to `bounce`.
            info!(from = %mail.from, native_id = %mail.native_id, %why, "automatic mail kept aside: not relayed, not answered");
            return Ok(Received::Automatic);
        }
        // A town hall's answer to a resident's `/mairie` (its contact is no subscriber).
        if let Some(message) = self.town_hall_answer(mail) {
            self.pass_town_hall_answer(message, mail).await?;
            return Ok(Received::Answered);
        }
        let Some((area, lang)) = subscriptions::active_of(&self.pool, &mail.from).await? else {
            info!(from = %mail.from, "mail from someone who is not a subscriber: answered, not relayed");
            self.answer_stranger(mail).await?;
            return Ok(Received::Stranger);
        };
        if self.answered_message(mail).is_none() && mail.text.trim().is_empty() {
            return Ok(Received::Empty);
        }
        match self.sender_trusted(mail) {
            Ok(how) => debug!(from = %mail.from, how, "sender trusted"),
            Err(reason) => return self.hold_mail(mail, &area, lang, &reason, now).await,
        }
        self.accept_mail(mail, &area).await
    }

    /// Whether a subscriber's mail may go out under their name (how), or why not.
    fn sender_trusted(&self, mail: &Mail) -> Result<&'static str, String> {
        match (self.mail_trust.check, &self.mail_trust.authserv_id) {
            (SenderCheck::Off, _) => Ok("sender_check off"),
            (SenderCheck::ConfirmEveryMail, _) => Err("confirm-every-mail".to_owned()),
            (SenderCheck::Require, None) => Err("no authserv_id configured".to_owned()),
            (SenderCheck::Require, Some(id)) => match verdict(&mail.auth_results, id, &mail.from) {
                Verdict::Pass(how) => Ok(how),
                Verdict::Fail(why) => Err(why),
            },
        }
    }

    /// A trusted subscriber's mail: an answer to a copy reaches its author, anything else is
    /// a message of `area`'s list.
    pub(super) async fn accept_mail(&self, mail: &Mail, area: &str) -> anyhow::Result<Received> {
        if let Some(message) = self.answered_message(mail) {
            self.pass_answer(message, mail).await?;
            return Ok(Received::Answered);
        }
        let chat = chats::ensure_list(&self.pool, area).await?;
        self.ingest(&Inbound {
            channel: ChannelKind::Email,
            chat,
            native_id: mail.native_id.clone(),
            sender: mail.from.clone(),
            sender_name: mail.name.clone(),
            text: mail.text.clone(),
            sent_at: mail.sent_at,
            lang_hint: mail.lang_hint.clone(),
            subject: Some(mail.subject.clone()),
            reply_to: answered_bot_mail(&mail.answers),
            media: mail.media.clone(),
            media_refused: mail.media_refused,
            refused_file: mail.refused_file,
            more_media: mail.more_media.clone(),
            ..Default::default()
        })
        .await?;
        Ok(Received::Posted)
    }

    /// A delivery status notification for `recipient`: a permanent failure (5.x.x) suspends
    /// the subscription, a temporary one (4.x.x) counts towards suspending it (once a day at
    /// most; the count starts again after 30 days without one).
    pub async fn bounce(&self, recipient: &str, status: &str) -> anyhow::Result<()> {
        self.bounce_at(recipient, status, Utc::now()).await
    }

    /// The same at `now`.
    pub async fn bounce_at(&self, recipient: &str, status: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let reason = format!("bounce {status}");
        if status.starts_with('5') {
            info!(%recipient, %status, "hard bounce: subscription suspended");
            subscriptions::suspend_address(&self.pool, recipient, &reason).await?;
        } else if status.starts_with('4') {
            match subscriptions::soft_bounce(&self.pool, recipient, &reason, now).await? {
                Some(n) => info!(%recipient, %status, count = n, "soft bounce counted"),
                None => info!(%recipient, %status, "soft bounce not counted (one a day, or no active subscription)"),
            }
        }
        Ok(())
    }

    /// The message an email answers, from a genuine reply token in the bot's plus-address.
    fn answered_message(&self, mail: &Mail) -> Option<i64> {
        self.token_message(mail, super::links::REPLY_TOKEN_PREFIX)
    }

    /// The message named by a genuine token of kind `prefix` in the bot's plus-address.
    fn token_message(&self, mail: &Mail, prefix: char) -> Option<i64> {
        mail.plus_tokens.iter().find_map(|token| {
            self.links
                .signer
                .verify_short(token)?
                .strip_prefix(prefix)?
                .parse::<i64>()
                .ok()
        })
    }

    /// The resident's message a town hall's mail answers: a genuine `/mairie` token in the
    /// bot's plus-address, from the address of a commune's contact. A token without the
    /// contact's address (or the contact without a token) is an ordinary mail.
    fn town_hall_answer(&self, mail: &Mail) -> Option<i64> {
        self.town_hall_of(&mail.from)?;
        self.token_message(mail, super::town_hall::TOKEN_PREFIX)
    }

    /// Passes a town hall's answer into the chat where the resident wrote `/mairie`, marked
    /// as the town hall's; the mail itself is kept like every message, in no room.
    async fn pass_town_hall_answer(&self, message: i64, mail: &Mail) -> anyhow::Result<()> {
        let commune = self.town_hall_of(&mail.from).unwrap_or_default().to_owned();
        self.keep_answer(message, mail).await?;
        let Some(origin) = messages::origin(&self.pool, message).await? else {
            return Ok(());
        };
        let lang = messages::author_lang(&self.pool, message).await?;
        let args = [
            ("commune", Arg::from(commune.as_str())),
            ("text", Arg::from(mail.text.trim())),
        ];
        let mut msg = Outgoing::new(OutKind::Notice, self.texts.get(lang, "town-hall-answer", &args)).in_lang(lang);
        msg.reply_to = Some(origin.native_id);
        let target = if origin.channel == ChannelKind::Email {
            origin.author
        } else {
            origin.chat
        };
        let to = Address {
            channel: origin.channel,
            target,
        };
        self.queue_one(to, msg, format!("town-hall-answer:{}", mail.native_id))
            .await?;
        Ok(())
    }

    /// Keeps an answer by email like every message, in no room (it is for the author alone).
    async fn keep_answer(&self, message: i64, mail: &Mail) -> anyhow::Result<()> {
        self.ingest(&Inbound {
            channel: ChannelKind::Email,
            chat: format!("reply:{message}"),
            native_id: mail.native_id.clone(),
            sender: mail.from.clone(),
            sender_name: mail.name.clone(),
            text: mail.text.clone(),
            sent_at: Utc::now(),
            lang_hint: mail.lang_hint.clone(),
            subject: Some(mail.subject.clone()),
            ..Default::default()
        })
        .await?;
        Ok(())
    }

    /// "inscription 35400": a confirmation link to this address (a forged From cannot subscribe
    /// anyone: only the address's owner can follow the link); otherwise how to subscribe.
    async fn answer_stranger(&self, mail: &Mail) -> anyhow::Result<()> {
        let asked = format!("{} {}", mail.subject, mail.text);
        let lang = mail
            .lang_hint
            .as_deref()
            .and_then(Lang::parse)
            .or_else(|| super::subscriptions::language_of_request(&asked))
            .unwrap_or_default();
        let to = Address {
            channel: ChannelKind::Email,
            target: mail.from.clone(),
        };
        let today = Utc::now().date_naive();
        // Every answer threads with the mail it answers (In-Reply-To, References).
        let answer = |text: String| {
            let mut msg = Outgoing::new(OutKind::Notice, text)
                .in_lang(lang)
                .replying(Some(mail.native_id.clone()));
            msg.subject = re_subject(&mail.subject);
            msg
        };
        match super::subscriptions::read_email_request(self, &asked) {
            Some(Ok((area, rhythm))) => {
                let mut tx = self.pool.begin().await?;
                let mut d =
                    super::subscriptions::confirmation(self, &mut tx, &mail.from, &area, rhythm, None, lang).await?;
                d.msg.reply_to = Some(mail.native_id.clone());
                self.commit_queue(tx, &[d]).await?;
            }
            Some(Err(slugs)) => {
                let text = self
                    .texts
                    .get(lang, "email-which-area", &[("areas", Arg::from(slugs.join(", ")))]);
                self.queue_one(to, answer(text), format!("email-which:{}:{today}", mail.from))
                    .await?;
            }
            None => {
                let text = self.texts.get(lang, "email-not-subscribed", &[]);
                self.queue_one(to, answer(text), format!("email-unknown:{}:{today}", mail.from))
                    .await?;
            }
        }
        Ok(())
    }

    /// Passes an email answer to the author of message `message`, in their own chat, as a
    /// reply (by email when they wrote by email).
    async fn pass_answer(&self, message: i64, mail: &Mail) -> anyhow::Result<()> {
        let origin = messages::origin(&self.pool, message).await?;
        self.keep_answer(message, mail).await?;
        let Some(origin) = origin else {
            return Ok(());
        };
        let lang = messages::author_lang(&self.pool, message).await?;
        let mut msg = self
            .relay_text(ChannelKind::Email, &mail.name, &mail.text, lang)
            .in_lang(lang);
        // As a reply to the author's message: in their chat, or in the thread of their mail.
        msg.reply_to = Some(origin.native_id);
        msg.from_name = Some(mail.name.clone());
        let to = if origin.channel == ChannelKind::Email {
            origin.author
        } else {
            origin.chat
        };
        let key = format!("email-answer:{}", mail.native_id);
        let to = Address {
            channel: origin.channel,
            target: to,
        };
        self.queue_one(to, msg, key).await?;
        Ok(())
    }
}
