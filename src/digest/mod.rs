//! Scheduled digests: for each area and period (day, week), at the times of its cron
//! expressions, an email to the subscribers of that rhythm and a short summary in the rooms.
//! A digest is a row of `digests`, unique per (area, period, slot) and written in the same
//! transaction as its deliveries: it happens once, whatever restarts or daemons there are.

pub mod build;
pub mod render;
pub mod schedule;

use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use tracing::{info, instrument};

use crate::config::{RoomDigests, Settings};
use crate::core::Core;
use crate::core::links::MediaSize;
use crate::core::model::{Address, ChannelKind, OutKind, Outgoing};
use crate::core::subscriptions;
use crate::i18n::Lang;
use crate::partners::Partners;
use crate::store::deliveries::{self, NewDelivery};
use crate::store::digests;
use build::{Digest, PostLine};
use render::Renderer;
pub use schedule::{Period, Schedules};

/// Posts listed per section of a digest (the rest: "and N more, see /annonces").
const MAX_PER_SECTION: usize = 15;
/// "Coming" means dated within this many days.
const HORIZON_DAYS: i64 = 7;
/// A digest covers at most this many periods back (after a long stop).
const MAX_PERIODS_BACK: i32 = 4;
/// Digests made at the same time by one round (each its own transaction and connection;
/// the pool keeps the rest for ingest and the outbox).
const DIGESTS_AT_ONCE: usize = 3;

/// What making one digest did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// Queued: its id and the deliveries (emails and room summaries).
    Queued { id: i64, deliveries: u64 },
    /// Nothing happened in the period (or nobody to send it to): recorded, nothing sent.
    Empty { id: i64 },
    /// Made before (by this daemon or another).
    Done,
}

/// What one round of the scheduler did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub queued: usize,
    pub empty: usize,
    pub deliveries: u64,
}

/// A digest shown without sending it (`voisinage digest --dry-run`).
#[derive(Debug, Clone)]
pub struct Preview {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The email in each language its subscribers read (in the area's language when it has
    /// none); empty when nothing happened.
    pub emails: Vec<(Lang, render::Email)>,
    /// The rooms' summary, in the area's language.
    pub summary: Option<String>,
    pub subscribers: i64,
    pub rooms: usize,
}

/// Makes the digests.
pub struct Digester {
    core: Arc<Core>,
    partners: Arc<Partners>,
    schedules: Schedules,
    renderer: Renderer,
    rooms: RoomDigests,
    /// The bot's address, for "Répondre" links; None without email.
    reply_address: Option<String>,
}

impl Digester {
    /// The digester of the settings; an area given its own times must exist.
    pub fn new(core: Arc<Core>, partners: Arc<Partners>, settings: &Settings) -> anyhow::Result<Digester> {
        let schedules = Schedules::from_settings(&settings.digest)?;
        for slug in schedules.area_slugs() {
            anyhow::ensure!(
                core.areas.get(slug).is_some(),
                "digest.areas.{slug}: no area `{slug}` in {}",
                settings.areas.file.display()
            );
        }
        let email = &settings.channels.email;
        let reply_address = email
            .enabled
            .then(|| subscriptions::bare_address(&email.from).map(str::to_owned))
            .flatten();
        Ok(Digester {
            renderer: Renderer::new(core.texts),
            core,
            partners,
            schedules,
            rooms: settings.digest.rooms,
            reply_address,
        })
    }

    fn area(&self, slug: &str) -> anyhow::Result<&crate::areas::Area> {
        self.core.areas.get(slug).with_context(|| format!("no area `{slug}`"))
    }

    /// Whether the rooms get a summary of the `period` digest.
    fn rooms_get(&self, period: Period) -> bool {
        matches!(
            (self.rooms, period),
            (RoomDigests::Both, _) | (RoomDigests::Week, Period::Week) | (RoomDigests::Day, Period::Day)
        )
    }

    /// Makes every digest due at `now` that was not made yet. The scheduler calls this on
    /// each tick with the clock's time; tests call it with the time they choose.
    #[instrument(skip_all, fields(%now))]
    pub async fn run_once(&self, now: DateTime<Utc>) -> anyhow::Result<Round> {
        let mut due = Vec::new();
        for area in self.core.areas.all() {
            for period in Period::ALL {
                if let Some(slot) = self.schedules.due(area.slug.as_str(), area.timezone, period, now) {
                    due.push((area.slug.as_str().to_owned(), period, slot));
                }
            }
        }
        if due.is_empty() {
            return Ok(Round::default());
        }
        let done: std::collections::HashSet<(String, String, DateTime<Utc>)> =
            digests::existing(&self.core.pool, &due).await?.into_iter().collect();
        let todo: Vec<_> = due
            .into_iter()
            .filter(|(area, period, slot)| !done.contains(&(area.clone(), period.as_str().to_owned(), *slot)))
            .collect();
        // A few areas at a time: each waits on PostgreSQL half of its time (issue 19, 6).
        let made: Vec<anyhow::Result<Made>> = futures::stream::iter(
            todo.into_iter()
                .map(|(area, period, slot)| async move { self.make(&area, period, slot, false).await }),
        )
        .buffer_unordered(DIGESTS_AT_ONCE)
        .collect()
        .await;
        let mut round = Round::default();
        for made in made {
            match made? {
                Made::Queued { deliveries, .. } => {
                    round.queued += 1;
                    round.deliveries += deliveries;
                }
                Made::Empty { .. } => round.empty += 1,
                Made::Done => {}
            }
        }
        if round.queued > 0 {
            info!(digests = round.queued, deliveries = round.deliveries, "digests queued");
            self.core.outbox_wake.notify_one();
        }
        Ok(round)
    }

    /// Where the period ending at `slot` starts: the area's previous digest of this period,
    /// else the previous occurrence of its schedule; never more than a few periods back.
    async fn since(
        &self,
        tx: &mut crate::store::Tx<'_>,
        area: &crate::areas::Area,
        period: Period,
        slot: DateTime<Utc>,
    ) -> anyhow::Result<DateTime<Utc>> {
        let slug = area.slug.as_str();
        let since = match digests::last_slot(tx, slug, period, slot).await? {
            Some(s) => s,
            None => self
                .schedules
                .previous(slug, area.timezone, period, slot)
                .unwrap_or(slot - period.length()),
        };
        Ok(since.max(slot - period.length() * MAX_PERIODS_BACK))
    }

    /// The digest content of `area` for the period ending at `until`.
    async fn content(
        &self,
        tx: &mut crate::store::Tx<'_>,
        area: &crate::areas::Area,
        period: Period,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> anyhow::Result<Option<Digest>> {
        let today = until.with_timezone(&area.timezone).date_naive();
        let input = digests::input(
            tx,
            area.slug.as_str(),
            &area.name,
            period,
            since,
            until,
            today,
            HORIZON_DAYS,
            (MAX_PER_SECTION * 4) as i64,
        )
        .await?;
        let mut input = self.with_photo_links(self.with_partner(input), until);
        for a in &mut input.announcements {
            a.link = self.core.announcement_url(&a.commune_slug, a.id);
        }
        Ok(build::build(input, MAX_PER_SECTION))
    }

    /// Links to the photos of the posts (thumbnail beside the post, photo behind it) and to
    /// their documents or videos, valid `media.link_days` after the digest: the email stays
    /// small, the files stay on the daemon.
    fn with_photo_links(&self, mut input: build::DigestInput, until: DateTime<Utc>) -> build::DigestInput {
        let expires = (until + chrono::Duration::days(self.core.media.limits.link_days.into())).timestamp();
        let links = &self.core.links;
        for p in input
            .new_posts
            .iter_mut()
            .chain(input.unanswered.iter_mut())
            .chain(input.coming.iter_mut())
        {
            if let Some(hash) = &p.photo {
                p.photo_links = Some((
                    links.media_url(hash, MediaSize::Thumb, expires),
                    links.media_url(hash, MediaSize::Full, expires),
                ));
            }
            if let Some(hash) = &p.file {
                p.file_link = Some(links.media_url(hash, MediaSize::Full, expires));
            }
        }
        input
    }

    /// At most one partner, for the oldest request still waiting (or a new one).
    fn with_partner(&self, mut input: build::DigestInput) -> build::DigestInput {
        let waiting = input
            .unanswered
            .iter()
            .rev()
            .chain(input.new_posts.iter().filter(|p| p.direction == "request"));
        for p in waiting {
            if let Some(partner) = self.partners.best_for(&input.area, &p.category, &p.item) {
                input.partner = Some(build::PartnerLine {
                    name: partner.name.clone(),
                    description: partner.description.clone(),
                    link: partner.link(&self.core.links, &input.area, &p.item),
                    paid: partner.paid,
                    for_item: p.item.clone(),
                });
                break;
            }
        }
        input
    }

    /// The address that reaches a post's author by email: the bot's plus-address with the
    /// signed token of the post's message (as for relayed messages).
    fn reply_for(&self, p: &PostLine) -> Option<String> {
        let token = self.core.links.reply_token(p.message_id);
        subscriptions::plus_address(self.reply_address.as_deref()?, &token)
    }

    /// Makes the digest (area, period, slot) once: claims its row, builds, renders and queues
    /// it in one transaction. `manual`: asked for by hand (`voisinage digest`).
    #[instrument(skip(self), fields(%slot))]
    pub async fn make(&self, area: &str, period: Period, slot: DateTime<Utc>, manual: bool) -> anyhow::Result<Made> {
        let a = self.area(area)?;
        let mut tx = self.core.pool.begin().await?;
        // A digest can be made again, so its commit does not wait for the disk: a crash may
        // lose the last ones committed, with their `digests` row, and the next round makes
        // them again. Nothing of them is sent before that: the outbox's claim commits
        // synchronously, which flushes all the log written before it, these commits included.
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *tx)
            .await?;
        let since = self.since(&mut tx, a, period, slot).await?;
        let Some(id) = digests::claim(&mut tx, area, period, slot, since, manual).await? else {
            return Ok(Made::Done);
        };
        let rooms = if self.rooms_get(period) {
            crate::store::chats::rooms_of(&mut *tx, area).await?
        } else {
            Vec::new()
        };
        let subscribers = digests::subscribers(&mut tx, area, period).await?;
        let digest = if subscribers.is_empty() && rooms.is_empty() {
            None
        } else {
            self.content(&mut tx, a, period, since, slot).await?
        };
        let Some(digest) = digest else {
            tx.commit().await?;
            return Ok(Made::Empty { id });
        };
        // One email per language its subscribers read, stored once; each delivery points at it.
        for (lang, _) in &subscribers {
            let email = self
                .renderer
                .email(&digest, *lang, a.timezone, &|p| self.reply_for(p))?;
            digests::add_body(&mut tx, id, *lang, &email).await?;
        }
        let mut queued = digests::queue_subscribers(&mut tx, id, area, period).await?;
        let summaries = self.summaries(&digest, a.lang, id, rooms);
        queued += deliveries::enqueue_many(&mut tx, &summaries).await?;
        digests::set_queued(&mut tx, id, digest.post_count() as i64, queued).await?;
        tx.commit().await.context("committing the digest")?;
        Ok(Made::Queued { id, deliveries: queued })
    }

    /// The summary of digest `id` for each of the area's `rooms`, in the rooms' language.
    fn summaries(
        &self,
        digest: &Digest,
        lang: Lang,
        id: i64,
        rooms: Vec<crate::store::chats::RoomLink>,
    ) -> Vec<NewDelivery> {
        let mut summaries = Vec::new();
        for room in rooms {
            let channel = room.channel;
            let (text, html) = self.renderer.summary(digest, lang, channel);
            let mut msg = Outgoing::new(OutKind::Digest, text);
            msg.html = Some(html);
            summaries.push(NewDelivery {
                dedupe_key: format!("digest:{id}:room:{}:{}", room.channel, room.external_id),
                to: Address {
                    channel,
                    target: room.external_id,
                },
                msg,
                cause: None,
            });
        }
        summaries
    }

    /// Sends the digest of `area` for the period ending now, by hand.
    pub async fn send_now(&self, area: &str, period: Period, now: DateTime<Utc>) -> anyhow::Result<Made> {
        let made = self.make(area, period, now, true).await?;
        self.core.outbox_wake.notify_one();
        Ok(made)
    }

    /// The digest of `area` for the period ending at `now`, rendered, nothing stored or sent.
    pub async fn preview(&self, area: &str, period: Period, now: DateTime<Utc>) -> anyhow::Result<Preview> {
        let a = self.area(area)?;
        let mut tx = self.core.pool.begin().await?;
        let since = self.since(&mut tx, a, period, now).await?;
        let rooms = crate::store::chats::rooms_of(&mut *tx, area).await?.len();
        let subscribers = digests::subscribers(&mut tx, area, period).await?;
        let digest = self.content(&mut tx, a, period, since, now).await?;
        tx.rollback().await?;
        let mut langs: Vec<Lang> = subscribers.iter().map(|(lang, _)| *lang).collect();
        if langs.is_empty() {
            langs.push(a.lang);
        }
        let mut emails = Vec::new();
        let mut summary = None;
        if let Some(d) = &digest {
            for lang in langs {
                emails.push((lang, self.renderer.email(d, lang, a.timezone, &|p| self.reply_for(p))?));
            }
            summary = Some(self.renderer.summary(d, a.lang, ChannelKind::Telegram).0);
        }
        Ok(Preview {
            since,
            until: now,
            emails,
            summary,
            subscribers: subscribers.iter().map(|(_, n)| n).sum(),
            rooms,
        })
    }

    /// When the next digest of any area is due after `now` (for the logs).
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.core
            .areas
            .all()
            .iter()
            .flat_map(|a| {
                Period::ALL
                    .into_iter()
                    .filter_map(move |p| self.schedules.next_after(a.slug.as_str(), a.timezone, p, now))
            })
            .min()
    }
}
