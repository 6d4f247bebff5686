//! Municipal announcements (issue 18): a commune's editor publishes a title and a text (with
//! an optional date and place) to some of its areas. Publishing stores it and queues, in the
//! same transaction with dedupe keys, one message in each of those areas' rooms on every
//! channel ("📢 Mairie de …", in the room's language) and, by email, a copy to each subscriber
//! who reads every message as it comes; an urgent one goes at once to every subscriber of the
//! areas, whatever their rhythm, and the others wait for the areas' next digest
//! (`digest::build`, its "Annonces de la mairie" section).
//!
//! An announcement is relayed, never ingested: no message row, no post, no match. Answers to
//! it in a room are ordinary messages.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::Core;
use super::model::{AnnouncementSpec, ChannelKind, OutKind, Outgoing};
use crate::i18n::{Arg, Lang, format_dates};
use crate::store::deliveries::NewDelivery;
use crate::store::{announcements, chats, subscriptions};

/// Limits that keep a room message within Telegram's 4096 characters.
pub const MAX_TITLE: usize = 150;
pub const MAX_TEXT: usize = 3000;
pub const MAX_PLACE: usize = 200;

/// An announcement as an editor writes it.
pub type AnnouncementDraft = AnnouncementSpec;

/// Why an announcement cannot be published: said next to the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnouncementError {
    #[error("Le titre est vide. / The title is empty.")]
    NoTitle,
    #[error("Le titre dépasse 150 caractères ({0}). / The title is over 150 characters.")]
    TitleTooLong(usize),
    #[error("Le texte est vide. / The text is empty.")]
    NoText,
    #[error("Le texte dépasse 3000 caractères ({0}). / The text is over 3000 characters.")]
    TextTooLong(usize),
    #[error("Le lieu dépasse 200 caractères. / The place is over 200 characters.")]
    PlaceTooLong,
    #[error("Choisissez au moins un quartier de la commune. / Choose at least one area of the commune.")]
    NoArea,
    #[error("Le quartier « {0} » n'est pas de cette commune. / This area is not the commune's.")]
    ForeignArea(String),
}

impl AnnouncementError {
    /// The form field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            AnnouncementError::NoTitle | AnnouncementError::TitleTooLong(_) => "title",
            AnnouncementError::NoText | AnnouncementError::TextTooLong(_) => "text",
            AnnouncementError::PlaceTooLong => "place",
            AnnouncementError::NoArea | AnnouncementError::ForeignArea(_) => "areas",
        }
    }
}

impl AnnouncementDraft {
    /// The draft trimmed, or every reason it cannot be published (one per field at most).
    pub fn checked(&self, core: &Core) -> Result<AnnouncementDraft, Vec<AnnouncementError>> {
        let mut errors = Vec::new();
        let mut a = self.clone();
        a.title = self.title.trim().to_owned();
        a.body = self.body.trim().replace("\r\n", "\n");
        a.place = self
            .place
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        let title = a.title.chars().count();
        if title == 0 {
            errors.push(AnnouncementError::NoTitle);
        } else if title > MAX_TITLE {
            errors.push(AnnouncementError::TitleTooLong(title));
        }
        let text = a.body.chars().count();
        if text == 0 {
            errors.push(AnnouncementError::NoText);
        } else if text > MAX_TEXT {
            errors.push(AnnouncementError::TextTooLong(text));
        }
        if a.place.as_ref().is_some_and(|p| p.chars().count() > MAX_PLACE) {
            errors.push(AnnouncementError::PlaceTooLong);
        }
        if a.areas.is_empty() {
            errors.push(AnnouncementError::NoArea);
        } else if let Some(x) = a
            .areas
            .iter()
            .find(|s| core.areas.get(s).is_none_or(|area| area.commune != a.commune))
        {
            errors.push(AnnouncementError::ForeignArea(x.clone()));
        }
        if errors.is_empty() { Ok(a) } else { Err(errors) }
    }
}

/// "12 juin 2027" / "12 June 2027".
pub fn long_date(lang: Lang, d: NaiveDate) -> String {
    format!("{} {}", format_dates(lang, d, d), d.year())
}

impl Core {
    /// Publishes an announcement at `now`: stores it and queues its copies (see the module's
    /// documentation) in one transaction. Returns its id, or why it cannot be published. A
    /// form's one-time `submission` token publishes once: sent again, it returns the id of
    /// the announcement it already published and queues nothing.
    pub async fn publish_announcement(
        &self,
        draft: &AnnouncementDraft,
        submission: Option<&str>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Result<i64, Vec<AnnouncementError>>> {
        let a = match draft.checked(self) {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        let mut tx = self.pool.begin().await?;
        let Some(id) = announcements::insert(&mut tx, &a, submission, now).await? else {
            drop(tx);
            let token = submission.unwrap_or_default();
            let id = announcements::by_submission(&self.pool, token).await?;
            return Ok(Ok(id.ok_or_else(|| {
                anyhow::anyhow!("announcement of submission {token} not found")
            })?));
        };
        let link = self.announcement_url(&a.commune_slug, id);
        let mut queue = Vec::new();
        for area in &a.areas {
            let lang = self.areas.lang(area);
            for room in chats::rooms_of(&mut *tx, area).await? {
                let msg = Outgoing::new(OutKind::Notice, self.announcement_text(&a, lang, &link));
                let key = format!("announce:{id}:{}:{}", room.channel.as_str(), room.external_id);
                queue.push(NewDelivery::uncaused(room.channel, &room.external_id, msg, key));
            }
        }
        let mailed = if a.urgent {
            subscriptions::active_in_areas(&mut tx, &a.areas)
                .await?
                .into_iter()
                .map(|(s, _)| s)
                .collect()
        } else {
            let mut each = Vec::new();
            for area in &a.areas {
                each.extend(subscriptions::each_message_subscribers(&mut tx, area).await?);
            }
            each
        };
        // One mail per address, even when it follows several of the areas.
        let mut seen = std::collections::HashSet::new();
        for sub in mailed.into_iter().filter(|s| seen.insert(s.address.clone())) {
            let mail = self.announcement_mail(&a, sub.lang, &link);
            let key = format!("announce:{id}:email:{}", sub.address);
            queue.push(NewDelivery::uncaused(ChannelKind::Email, &sub.address, mail, key));
        }
        self.commit_queue(tx, &queue).await?;
        Ok(Ok(id))
    }

    /// The permanent address of announcement `id` on the commune's public archive.
    pub fn announcement_url(&self, commune_slug: &str, id: i64) -> String {
        format!("{}/communes/{commune_slug}/annonces/{id}", self.links.public_url)
    }

    /// The announcement as said in a room or a mail: "📢 Mairie de …: title", the text, the
    /// date and place, and its permanent link.
    pub fn announcement_text(&self, a: &AnnouncementSpec, lang: Lang, link: &str) -> String {
        let mut text = self.texts.get(
            lang,
            "announcement-heading",
            &[
                ("commune", a.commune.as_str().into()),
                ("title", a.title.as_str().into()),
            ],
        );
        text.push_str("\n\n");
        text.push_str(&a.body);
        text.push('\n');
        if let Some(d) = a.happens_on {
            text.push('\n');
            text.push_str(
                &self
                    .texts
                    .get(lang, "announcement-date", &[("date", long_date(lang, d).into())]),
            );
        }
        if let Some(p) = &a.place {
            text.push('\n');
            text.push_str(
                &self
                    .texts
                    .get(lang, "announcement-place", &[("place", p.as_str().into())]),
            );
        }
        text.push('\n');
        text.push_str(&self.texts.get(lang, "announcement-link", &[("link", Arg::from(link))]));
        text
    }

    fn announcement_mail(&self, a: &AnnouncementSpec, lang: Lang, link: &str) -> Outgoing {
        let mut text = String::new();
        if a.urgent {
            text.push_str(&self.texts.get(
                lang,
                "announcement-mail-urgent",
                &[("commune", a.commune.as_str().into())],
            ));
            text.push_str("\n\n");
        }
        text.push_str(&self.announcement_text(a, lang, link));
        let mut msg = Outgoing::new(OutKind::Notice, text).in_lang(lang);
        msg.subject = Some(self.texts.get(
            lang,
            "announcement-mail-subject",
            &[
                ("commune", a.commune.as_str().into()),
                ("title", a.title.as_str().into()),
            ],
        ));
        msg
    }
}
