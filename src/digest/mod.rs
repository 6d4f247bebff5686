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
/// Areas whose digests a round reads together, in a few statements for all of them, before
/// making each in its own transaction (issue 19, 6: the reads were most of the round trips).
const AREAS_AT_ONCE: usize = 200;

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

/// The (area, slot) of digests of one period.
type Keys = Vec<(String, DateTime<Utc>)>;

/// A digest read before it is claimed: its period, who receives it and what it holds.
struct Prepared {
    area: String,
    period: Period,
    slot: DateTime<Utc>,
    since: DateTime<Utc>,
    /// Its email subscribers in each language they read, French first.
    subscribers: Vec<(Lang, i64)>,
    /// The area's rooms (whether they get this period's summary or not).
    rooms: Vec<crate::store::chats::RoomLink>,
    /// None when nothing happened in the period.
    digest: Option<Digest>,
}

/// A digest rendered before its transaction: its email in each language its subscribers
/// read, and the summary for each room.
struct Rendered {
    bodies: Vec<(Lang, render::Email)>,
    summaries: Vec<(crate::store::chats::RoomLink, Outgoing)>,
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
        let mut batches: Vec<(Period, Keys)> = Vec::new();
        for period in Period::ALL {
            let keys: Keys = due
                .iter()
                .filter(|(area, p, slot)| *p == period && !done.contains(&(area.clone(), p.as_str().to_owned(), *slot)))
                .map(|(area, _, slot)| (area.clone(), *slot))
                .collect();
            batches.extend(keys.chunks(AREAS_AT_ONCE).map(|c| (period, c.to_vec())));
        }
        // A batch of areas is read at once; then a few digests at a time are claimed, written
        // and committed, each waiting on PostgreSQL half of its time.
        let mut made: Vec<anyhow::Result<Made>> = Vec::new();
        for (period, keys) in batches {
            let prepared = match self.prepare(period, &keys).await {
                Ok(prepared) => prepared,
                Err(e) => {
                    made.push(Err(e));
                    continue;
                }
            };
            let batch: Vec<anyhow::Result<Made>> = futures::stream::iter(prepared)
                .map(|p| self.make_prepared(p, false))
                .buffer_unordered(DIGESTS_AT_ONCE)
                .collect()
                .await;
            made.extend(batch);
        }
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

    /// Where the period ending at `slot` starts: the area's previous digest of this period
    /// (`last`), else the previous occurrence of its schedule; never more than a few periods
    /// back.
    fn since(
        &self,
        area: &crate::areas::Area,
        period: Period,
        slot: DateTime<Utc>,
        last: Option<DateTime<Utc>>,
    ) -> DateTime<Utc> {
        let since = last.unwrap_or_else(|| {
            self.schedules
                .previous(area.slug.as_str(), area.timezone, period, slot)
                .unwrap_or(slot - period.length())
        });
        since.max(slot - period.length() * MAX_PERIODS_BACK)
    }

    /// Reads the digests of `period` for these (area, slot), each in its own area: a few
    /// statements for all of them, whatever their number. Nothing is claimed yet.
    async fn prepare(&self, period: Period, keys: &[(String, DateTime<Utc>)]) -> anyhow::Result<Vec<Prepared>> {
        let mut db = self.core.pool.acquire().await?;
        let last = digests::last_slots(&mut db, period, keys).await?;
        let mut windows = Vec::with_capacity(keys.len());
        for ((slug, slot), last) in keys.iter().zip(last) {
            let a = self.area(slug)?;
            windows.push(digests::Window {
                area: slug.clone(),
                area_name: a.name.clone(),
                since: self.since(a, period, *slot, last),
                until: *slot,
                today: slot.with_timezone(&a.timezone).date_naive(),
            });
        }
        let areas: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
        let mut subscribers = digests::subscribers(&mut db, &areas, period).await?;
        let mut rooms: std::collections::HashMap<String, Vec<_>> = std::collections::HashMap::new();
        for (area, room) in crate::store::chats::rooms_of_areas(&mut *db, &areas).await? {
            rooms.entry(area).or_default().push(room);
        }
        let inputs = digests::inputs(&mut db, period, &windows, HORIZON_DAYS, (MAX_PER_SECTION * 4) as i64).await?;
        drop(db);
        let mut out = Vec::with_capacity(keys.len());
        for ((w, input), (_, slot)) in windows.into_iter().zip(inputs).zip(keys) {
            out.push(Prepared {
                subscribers: subscribers.remove(&w.area).unwrap_or_default(),
                rooms: rooms.remove(&w.area).unwrap_or_default(),
                digest: self.content(input),
                area: w.area,
                period,
                slot: *slot,
                since: w.since,
            });
        }
        Ok(out)
    }

    /// The digest made of `input` (None when nothing happened), with its partner and links.
    fn content(&self, input: build::DigestInput) -> Option<Digest> {
        let until = input.until;
        let mut input = self.with_photo_links(self.with_partner(input), until);
        for a in &mut input.announcements {
            a.link = self.core.announcement_url(&a.commune_slug, a.id);
        }
        build::build(input, MAX_PER_SECTION)
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
        let mut prepared = self.prepare(period, &[(area.to_owned(), slot)]).await?;
        let p = prepared.pop().context("the digest read")?;
        self.make_prepared(p, manual).await
    }

    /// Makes a digest read by `prepare` once: renders it, then claims its row and queues it in
    /// one transaction (or records it as empty); Done when it was claimed before.
    async fn make_prepared(&self, p: Prepared, manual: bool) -> anyhow::Result<Made> {
        let a = self.area(&p.area)?;
        let rooms = if self.rooms_get(p.period) { p.rooms } else { Vec::new() };
        // Rendered before the transaction, which then only writes.
        let rendered = match &p.digest {
            Some(d) if !(p.subscribers.is_empty() && rooms.is_empty()) => {
                Some(self.render(d, a, &p.subscribers, rooms)?)
            }
            _ => None,
        };
        // A digest can be made again, so its commit does not wait for the disk: a crash may
        // lose the last ones committed, with their `digests` row, and the next round makes
        // them again. Nothing of them is sent before that: the outbox's claim commits
        // synchronously, which flushes all the log written before it, these commits included.
        let mut tx = self
            .core
            .pool
            .begin_with("BEGIN; SET LOCAL synchronous_commit = off")
            .await?;
        let Some(id) = digests::claim(&mut tx, &p.area, p.period, p.slot, p.since, manual).await? else {
            return Ok(Made::Done);
        };
        let (Some(rendered), Some(digest)) = (rendered, &p.digest) else {
            tx.commit().await?;
            return Ok(Made::Empty { id });
        };
        let summaries: Vec<NewDelivery> = rendered
            .summaries
            .into_iter()
            .map(|(room, msg)| NewDelivery {
                dedupe_key: format!("digest:{id}:room:{}:{}", room.channel, room.external_id),
                to: Address {
                    channel: room.channel,
                    target: room.external_id,
                },
                msg,
                cause: None,
            })
            .collect();
        let to_rooms = deliveries::enqueue_many(&mut tx, &summaries).await?;
        let posts = digest.post_count() as i64;
        let queued = digests::queue(&mut tx, id, &p.area, p.period, &rendered.bodies, posts, to_rooms).await?;
        tx.commit().await.context("committing the digest")?;
        Ok(Made::Queued { id, deliveries: queued })
    }

    /// The email of `digest` in each language of its `subscribers` and its summary for each
    /// of `rooms`, in the area's language.
    fn render(
        &self,
        digest: &Digest,
        a: &crate::areas::Area,
        subscribers: &[(Lang, i64)],
        rooms: Vec<crate::store::chats::RoomLink>,
    ) -> anyhow::Result<Rendered> {
        let mut bodies = Vec::with_capacity(subscribers.len());
        for (lang, _) in subscribers {
            bodies.push((
                *lang,
                self.renderer.email(digest, *lang, a.timezone, &|p| self.reply_for(p))?,
            ));
        }
        let summaries = rooms
            .into_iter()
            .map(|room| {
                let (text, html) = self.renderer.summary(digest, a.lang, room.channel);
                let mut msg = Outgoing::new(OutKind::Digest, text);
                msg.html = Some(html);
                (room, msg)
            })
            .collect();
        Ok(Rendered { bodies, summaries })
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
        let p = self
            .prepare(period, &[(area.to_owned(), now)])
            .await?
            .pop()
            .context("the digest read")?;
        let mut langs: Vec<Lang> = p.subscribers.iter().map(|(lang, _)| *lang).collect();
        if langs.is_empty() {
            langs.push(a.lang);
        }
        let mut emails = Vec::new();
        let mut summary = None;
        if let Some(d) = &p.digest {
            for lang in langs {
                emails.push((lang, self.renderer.email(d, lang, a.timezone, &|p| self.reply_for(p))?));
            }
            summary = Some(self.renderer.summary(d, a.lang, ChannelKind::Telegram).0);
        }
        Ok(Preview {
            since: p.since,
            until: now,
            emails,
            summary,
            subscribers: p.subscribers.iter().map(|(_, n)| n).sum(),
            rooms: p.rooms.len(),
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
