//! Mail held because its sender could not be authenticated (issue 14, Build 4). A mail from a
//! subscriber's address that the bot's mail server did not authenticate is relayed nowhere:
//! it is kept in `held_mails`, and the address's owner gets (at most once a day) an email with
//! a signed link "was this you?". The page behind the link (http.rs) shows the mail; only a
//! POST posts it, as if it had just arrived. Unconfirmed mail is deleted after a week.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::Core;
use super::links::HELD_VALID_SECS;
use super::mail::{Mail, Received};
use super::model::{Address, ChannelKind, OutKind, Outgoing};
use crate::i18n::{Arg, Lang, link_words};
use crate::store::{held_mails, subscriptions};

/// What following a "was this you?" link did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Released {
    /// The mail went where it would have gone (a post in the area, an answer to its author).
    Posted { area: String, lang: Lang },
    /// It was posted before (a second click).
    AlreadyPosted { lang: Lang },
    /// Its address no longer follows an area: nothing is posted.
    NotSubscribed,
    /// Expired or unknown.
    Gone,
}

impl Core {
    /// Holds `mail` (from `lang`'s subscriber `mail.from` in `area`) for `reason`, and asks
    /// the address's owner, at most once a day, whether it was them.
    pub(super) async fn hold_mail(
        &self,
        mail: &Mail,
        area: &str,
        lang: Lang,
        reason: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Received> {
        let json = serde_json::to_value(mail)?;
        let Some(id) = held_mails::hold(&self.pool, &mail.from, &mail.native_id, &json, reason, now).await? else {
            return Ok(Received::Held);
        };
        warn!(from = %mail.from, native_id = %mail.native_id, %reason, held = id,
            "mail under a subscriber's address not authenticated: held until its owner confirms");
        let every = self.mail_trust.check == super::model::SenderCheck::ConfirmEveryMail;
        let name = self.areas.get(area).map_or(area, |a| a.name.as_str());
        let link = self.links.held_url(id, now.timestamp());
        let args = [
            ("address", Arg::from(mail.from.as_str())),
            ("area", Arg::from(name)),
            ("subject", Arg::from(mail.subject.as_str())),
            ("link", Arg::from(link.as_str())),
            ("every", Arg::from(if every { "yes" } else { "no" })),
        ];
        let t = self.texts;
        let mut msg = Outgoing::new(OutKind::Notice, t.get(lang, "email-held-body", &args)).in_lang(lang);
        let html = t.get_html(
            lang,
            "email-held-body",
            &args,
            &["address", "area", "subject", "link"],
            &[],
        );
        msg.html = Some(link_words(&html, &link, &t.get(lang, "email-held-link", &[])));
        msg.subject = Some(t.get(lang, "email-held-subject", &[]));
        msg.reply_to = Some(mail.native_id.clone());
        let to = Address {
            channel: ChannelKind::Email,
            target: mail.from.clone(),
        };
        let asked = self
            .queue_one(to, msg, format!("mail-held:{}:{}", mail.from, now.date_naive()))
            .await?;
        if !asked {
            info!(from = %mail.from, held = id, "its owner was already asked today: not again");
        }
        Ok(Received::Held)
    }

    /// Posts held mail `id`: its owner followed the link and confirmed.
    pub async fn release_held(&self, id: i64, now: DateTime<Utc>) -> anyhow::Result<Released> {
        let Some(held) = held_mails::take(&self.pool, id, now).await? else {
            return Ok(match held_mails::get(&self.pool, id).await? {
                Some(h) => Released::AlreadyPosted {
                    lang: self.held_lang(&h.address).await?,
                },
                None => Released::Gone,
            });
        };
        let Some((area, lang)) = subscriptions::active_of(&self.pool, &held.address).await? else {
            held_mails::untake(&self.pool, id).await?;
            return Ok(Released::NotSubscribed);
        };
        let mail: Mail = serde_json::from_value(held.mail)?;
        info!(from = %mail.from, held = id, "held mail confirmed by its owner: posted");
        if let Err(e) = self.accept_mail(&mail, &area).await {
            held_mails::untake(&self.pool, id).await?;
            return Err(e);
        }
        Ok(Released::Posted { area, lang })
    }

    /// The language of a held mail's pages: its subscriber's, French otherwise.
    pub async fn held_lang(&self, address: &str) -> anyhow::Result<Lang> {
        Ok(subscriptions::active_of(&self.pool, address)
            .await?
            .map(|(_, l)| l)
            .unwrap_or_default())
    }

    /// Deletes held mail older than a week (never confirmed, or confirmed long ago).
    pub async fn expire_held_once(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        held_mails::expire(&self.pool, now - chrono::Duration::seconds(HELD_VALID_SECS)).await
    }
}
