//! `Core::ingest`: one inbound message, one transaction, in stages that each fit on a screen:
//!
//! 1. **store**: the message is stored once and its author resolved (`author`);
//! 2. **commands**: a command, or anything said in a direct chat, gets one answer (`respond`);
//! 3. **relays**: copies for the area's other rooms and its every-message subscribers;
//! 4. **posts**: the parser's posts are stored and matched;
//! 5. **notices**: "offer recorded" and both sides of each new match.
//!
//! Everything a stage wants sent goes into one queue, written with the message — all or
//! nothing — so a redelivered update changes nothing and nothing is sent twice.

use anyhow::Context;
use tracing::instrument;

use super::Core;
use super::command::Command;
use super::commands::{self, Asker};
use super::model::{Acknowledge, Address, ChannelKind, Inbound, OutKind, Outgoing, Profile};
use super::{loans, moderation, onboarding, privacy, rooms, router, subscriptions, town_hall};
use crate::i18n::{Arg, Lang, format_dates};
use crate::parse::{Direction, ParseInput, Post};
use crate::store::deliveries::{self, NewDelivery};
use crate::store::messages::{self, Stored};
use crate::store::posts::PostStatus;
use crate::store::subscriptions::Subscriber;
use crate::store::{Tx, chats, members, posts};

/// What ingesting a message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ingested {
    /// Already stored: a redelivery; nothing changed.
    Duplicate,
    /// Stored. `area` is None when the chat is no area's room (nothing else happens then).
    Stored {
        message_id: i64,
        area: Option<String>,
        member_id: i64,
        posts: Vec<i64>,
        matches: Vec<i64>,
        /// Posts read unsure: their author was asked first (core/questions.rs).
        pending: Vec<i64>,
        /// Deliveries queued (in a block, asked for: one whose dedupe key was already used
        /// counts too).
        queued: u32,
    },
}

/// The posts and matches stage 4 made.
#[derive(Default)]
pub(super) struct Made {
    posts: Vec<i64>,
    matches: Vec<i64>,
    pending: Vec<i64>,
}

/// A stored open post to announce: the post, its id, its ordinal and its match candidates.
pub(super) type Announced = (Post, i64, usize, Vec<posts::Candidate>);

impl Core {
    /// Ingests one inbound message in one transaction. The common case takes four round trips
    /// to PostgreSQL (begin, store, queue, commit), plus two per post.
    #[instrument(skip_all, fields(channel = %m.channel, chat = %m.chat, native_id = %m.native_id))]
    pub async fn ingest(&self, m: &Inbound) -> anyhow::Result<Ingested> {
        let mut tx = crate::store::begin_ingest(&self.pool).await?;
        let mut queue = Vec::new();
        let done = self.ingest_in(&mut tx, m, &mut queue).await?;
        if done == Ingested::Duplicate {
            tx.rollback().await?;
            return Ok(done);
        }
        let n = self.commit_queue(tx, &queue).await?;
        self.metrics.message_in(m.channel);
        let mut done = done;
        if let Ingested::Stored { queued, .. } = &mut done {
            *queued = n as u32;
        }
        Ok(done)
    }

    /// Ingests a block of messages received together (a poll round's updates, in order) in one
    /// transaction: the same work as `ingest` for each, with one begin and one commit for the
    /// block, so a busy group costs about three round trips a message instead of five, and one
    /// wait for the disk a round. All or nothing for the block; when it fails (one message the store refuses, or
    /// the database gone), each message is ingested again on its own, so a bad message fails
    /// alone and the others keep their order. The commit waits for the disk before the caller
    /// acknowledges the block to its channel.
    #[instrument(skip_all, fields(messages = ms.len()))]
    pub async fn ingest_batch(&self, ms: &[Inbound]) -> anyhow::Result<Vec<Ingested>> {
        if ms.len() > 1 {
            match self.try_batch(ms).await {
                Ok(out) => {
                    for (m, done) in ms.iter().zip(&out) {
                        if *done != Ingested::Duplicate {
                            self.metrics.message_in(m.channel);
                        }
                    }
                    return Ok(out);
                }
                Err(e) => tracing::warn!(
                    error = %format!("{e:#}"),
                    "a block of messages failed together: each is ingested on its own"
                ),
            }
        }
        let mut out = Vec::with_capacity(ms.len());
        for m in ms {
            out.push(self.ingest(m).await?);
        }
        Ok(out)
    }

    /// A run of plain words (no photo, reply, command or direct chat: [`reads_queued`]) is
    /// stored in one statement before its messages are read in order; nothing the later ones
    /// store changes how an earlier one is read (a ban, a link or a subscription takes a
    /// command, which ends the run). The deliveries of the round are written together, in the
    /// messages' order, in one statement before the commit, and before any message that may
    /// read what earlier ones queued (an album's later photo joins the first one's pending
    /// mail), so each message sees exactly what it would after the others' commits.
    async fn try_batch(&self, ms: &[Inbound]) -> anyhow::Result<Vec<Ingested>> {
        let mut tx = crate::store::begin_ingest(&self.pool).await?;
        let mut out = Vec::with_capacity(ms.len());
        let (mut queue, mut queued) = (Vec::new(), 0);
        let mut rest = ms;
        while let Some(first) = rest.first() {
            // A message that may read what earlier ones queued goes alone, once the queue is
            // written; a run of plain words goes together.
            let len = match reads_queued(first) {
                true => {
                    if !queue.is_empty() {
                        queued += deliveries::enqueue_many(&mut tx, &std::mem::take(&mut queue)).await?;
                    }
                    1
                }
                false => rest.iter().position(reads_queued).unwrap_or(rest.len()),
            };
            let (run, after) = rest.split_at(len);
            out.extend(self.ingest_run(&mut tx, run, &mut queue).await?);
            rest = after;
        }
        queued += deliveries::enqueue_many(&mut tx, &queue).await?;
        self.commit_and_wake(tx, queued)
            .await
            .context("committing a round of messages")?;
        Ok(out)
    }

    /// Stages 1–5 of a run of messages inside the caller's transaction: stored in one
    /// statement, then read in order; what they want sent is added to `queue`.
    async fn ingest_run(
        &self,
        tx: &mut Tx<'_>,
        run: &[Inbound],
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Vec<Ingested>> {
        let run: Vec<_> = run.iter().map(Inbound::storable).collect();
        let refs: Vec<&Inbound> = run.iter().map(|m| &**m).collect();
        let stored = messages::store_many(tx, &refs)
            .await
            .with_context(|| format!("storing {} message(s) of a round", refs.len()))?;
        let mut out = Vec::with_capacity(refs.len());
        for (m, stored) in refs.into_iter().zip(stored) {
            let done = match stored {
                Some(stored) => self.ingest_stored(tx, m, stored, queue).await,
                None => Ok(Ingested::Duplicate),
            };
            out.push(done.with_context(|| format!("message {} of chat {}", m.native_id, m.chat))?);
        }
        Ok(out)
    }

    /// Stages 1–5 of one message inside the caller's transaction; what it wants sent is added
    /// to `queue`. Nothing is written for a redelivery.
    async fn ingest_in(&self, tx: &mut Tx<'_>, m: &Inbound, queue: &mut Vec<NewDelivery>) -> anyhow::Result<Ingested> {
        let m = &*m.storable();
        match messages::store_inbound(tx, m).await? {
            Some(stored) => self.ingest_stored(tx, m, stored, queue).await,
            None => Ok(Ingested::Duplicate),
        }
    }

    /// Stages 2–5 of a message just stored (`m` as stored: [`Inbound::storable`]).
    async fn ingest_stored(
        &self,
        tx: &mut Tx<'_>,
        m: &Inbound,
        stored: Stored,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Ingested> {
        let start = queue.len();
        let who = self.author(tx, m, &stored).await?;
        let in_room = stored.area.is_some() && !stored.banned;
        let joined = self.link_media(tx, m, stored.id, who.member, in_room).await?;
        let mut mine = Vec::new();
        let mut made = Made::default();
        let trust = Command::parse(&m.text, m.channel).filter(Command::is_trust_command);
        if stored.banned {
            // Banned from this area: kept, not read.
            tracing::debug!("message from a banned member: not read");
        } else if let Some(cmd) = trust {
            self.trust_command(tx, &who, &cmd, &mut mine).await?;
        } else if let Some(answer) = self.respond(tx, &who, &mut mine).await? {
            mine.insert(0, answer);
        } else if let Some(area) = &stored.area {
            self.relays(tx, &who, area, &stored, joined.as_ref(), &mut mine).await?;
            // A lone photo that joined its author's words adds nothing to read (a later part of
            // an album may have its own caption).
            if joined.is_none() || m.text.trim() != "📷" {
                made = self.posts(tx, &who, area, &mut mine).await?;
            }
        }
        // A group that is no area's room (not linked yet): the message is kept, nothing more.
        queue.append(&mut mine);
        Ok(Ingested::Stored {
            message_id: stored.id,
            area: stored.area,
            member_id: who.member,
            posts: made.posts,
            matches: made.matches,
            pending: made.pending,
            queued: (queue.len() - start) as u32,
        })
    }

    /// Stage 1: the author (a member, created on first contact in the channel's language hint),
    /// the direct chat, and where the bot answers.
    async fn author<'a>(&self, tx: &mut Tx<'_>, m: &'a Inbound, stored: &Stored) -> anyhow::Result<Asker<'a>> {
        let (member, lang, new) = match stored.member {
            Some((id, lang)) => (id, lang, None),
            None => {
                let hint = m.lang_hint.as_deref().and_then(Lang::parse).unwrap_or_default();
                let area = stored.area.as_deref();
                let found = members::resolve(tx, m.channel, &m.sender, &m.sender_name, hint, area).await?;
                (found.id, found.lang, Some(found.id))
            }
        };
        let direct = match m.direct {
            true => Some(chats::upsert_direct(tx, m.channel, &m.chat).await?),
            false => None,
        };
        if new.is_some() || direct.is_some() {
            messages::set_member_and_chat(tx, stored.id, new, direct).await?;
        }
        Ok(Asker {
            m,
            message_id: stored.id,
            member,
            area: stored.area.clone(),
            lang,
            here: answer_place(m),
        })
    }

    /// Stage 2: the one answer to a command, or to anything said in a direct chat; None for a
    /// neighbour's ordinary message.
    async fn respond(
        &self,
        tx: &mut Tx<'_>,
        who: &Asker<'_>,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Option<NewDelivery>> {
        let m = who.m;
        let cmd = match Command::parse(&m.text, m.channel) {
            None if m.reply_to.is_some() => match self.bare_answer(tx, who).await? {
                Some(answer) => Some(answer),
                None => loans::bare_until(self, tx, who).await?,
            },
            cmd => cmd,
        };
        let text = match &cmd {
            Some(c) if c.is_reading_answer() => {
                Outgoing::new(OutKind::Answer, self.on_reading_command(tx, who, c, queue).await?)
            }
            Some(Command::Email { args }) if m.direct || who.area.is_some() => {
                let area = match &who.area {
                    Some(a) => Some(a.clone()),
                    None => members::area(tx, who.member).await?,
                };
                Outgoing::new(
                    OutKind::Answer,
                    subscriptions::request(self, tx, who, args, area.as_deref(), queue).await?,
                )
            }
            Some(Command::TownHall { text }) => {
                Outgoing::new(OutKind::Answer, town_hall::respond(self, tx, who, text, queue).await?)
            }
            Some(c) if c.is_loan_command() => {
                let area = match &who.area {
                    Some(a) => Some(a.clone()),
                    None => members::area(tx, who.member).await?,
                };
                Outgoing::new(
                    OutKind::Answer,
                    loans::respond(self, tx, who, area.as_deref(), c, queue).await?,
                )
            }
            _ if m.direct => onboarding::answer(self, tx, who, cmd.as_ref()).await?,
            Some(cmd) if cmd.is_room_command() => {
                Outgoing::new(OutKind::Answer, rooms::room_command(self, tx, who, cmd).await?)
            }
            Some(cmd) if who.area.is_some() => commands::answer(self, tx, who, cmd).await?,
            _ => return Ok(None),
        };
        let mut msg = text.replying(Some(m.native_id.clone())).in_lang(who.lang);
        msg.subject = m.re_subject().or(msg.subject);
        Ok(Some(NewDelivery {
            to: who.here.clone(),
            msg,
            dedupe_key: format!("answer:{}", who.message_id),
            cause: Some(who.message_id),
        }))
    }

    /// Stage 2, moderation and privacy: `/supprimer`, `/bannir`, `/signaler`, `/mes-donnees`,
    /// `/oublier`… (core/moderation.rs, core/privacy.rs), which choose where they answer.
    async fn trust_command(
        &self,
        tx: &mut Tx<'_>,
        who: &Asker<'_>,
        cmd: &Command,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<()> {
        match cmd {
            Command::MyData | Command::Forget { .. } => privacy::respond(self, tx, who, cmd, queue).await,
            _ => moderation::respond(self, tx, who, cmd, queue).await,
        }
    }

    /// Stage 3: the copies of the message, which go out before anything the bot says about it.
    /// A photo that `joined` an earlier message (its id and native id: an album's first, or its
    /// author's words) rides along with that message's Telegram and email copies still waiting
    /// (one album, one mail), and otherwise answers its copies.
    async fn relays(
        &self,
        tx: &mut Tx<'_>,
        who: &Asker<'_>,
        area: &str,
        stored: &Stored,
        joined: Option<&(i64, String)>,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<()> {
        let m = who.m;
        let lang = self.areas.lang(area);
        if let Some(why) = m.media_refused {
            queue.push(self.refusal_notice(m, who.message_id, who.lang, why));
        }
        let merged = match (joined, m.media.as_ref().filter(|f| f.is_image())) {
            (Some((id, _)), Some(f)) if m.text.trim() == "📷" => {
                deliveries::add_media_to_pending_relays(tx, *id, f, &["telegram", "email"]).await?
            }
            _ => Vec::new(),
        };
        for (room_id, channel, target) in &stored.rooms {
            if merged.contains(&(channel.as_str().to_owned(), target.clone())) {
                continue;
            }
            let to = Address {
                channel: *channel,
                target: target.clone(),
            };
            let reply_to = match m.reply_to.as_deref().or(joined.map(|j| j.1.as_str())) {
                Some(r) => router::reply_target(tx, m.channel, &m.chat, r, &to).await?,
                None => None,
            };
            let mut msg = self.relay_copy(m, lang).replying(reply_to);
            let extra = match channel {
                ChannelKind::Matrix => {
                    msg.more_media.clear();
                    let profile = msg.profile.clone();
                    self.matrix_extra_photos(m, (who.message_id, *room_id), &to, lang, profile)
                }
                _ => Vec::new(),
            };
            queue.push(NewDelivery {
                to,
                msg,
                dedupe_key: format!("relay:{}:{room_id}", who.message_id),
                cause: Some(who.message_id),
            });
            queue.extend(extra);
        }
        self.relay_to_subscribers(who, area, &stored.each_subscribers, &merged, queue);
        Ok(())
    }

    /// Copies of the message for the area's email subscribers who want every message, each in
    /// the subscriber's language (not to those whose copy of the message it joined carries it).
    fn relay_to_subscribers(
        &self,
        who: &Asker<'_>,
        area: &str,
        subscribers: &[Subscriber],
        merged: &[(String, String)],
        queue: &mut Vec<NewDelivery>,
    ) {
        let m = who.m;
        let area_name = self.areas.get(area).map_or(area, |a| a.name.as_str());
        for s in subscribers {
            // Not back to the address that wrote it.
            if m.channel == ChannelKind::Email && m.sender.eq_ignore_ascii_case(&s.address) {
                continue;
            }
            if merged.iter().any(|(c, t)| c == "email" && *t == s.address) {
                continue;
            }
            let mut msg = self.relay_copy(m, s.lang).in_lang(s.lang);
            msg.reply_token = Some(self.links.reply_token(who.message_id));
            msg.from_name = Some(m.sender_name.clone());
            msg.subject = Some(self.texts.get(
                s.lang,
                "email-relay-subject",
                &[
                    ("name", Arg::from(m.sender_name.as_str())),
                    ("area", Arg::from(area_name)),
                ],
            ));
            queue.push(NewDelivery {
                to: Address {
                    channel: ChannelKind::Email,
                    target: s.address.clone(),
                },
                msg,
                dedupe_key: format!("relay:{}:email:{}", who.message_id, s.id),
                cause: Some(who.message_id),
            });
        }
    }

    /// The posts of the head of a message (`parse_max_chars`), parsed on the blocking pool
    /// with a parse slot held: a huge message costs a blocking thread, not a runtime worker.
    async fn parse_posts(&self, m: &Inbound, area: &str) -> anyhow::Result<Vec<Post>> {
        let a = self.areas.get(area);
        let (tz, zone) = (
            a.map(|a| a.timezone).unwrap_or(chrono_tz::Europe::Paris),
            a.map(|a| a.holiday_zone).unwrap_or_default(),
        );
        let head = crate::parse::head(&m.text, self.parse_max_chars);
        if head.len() < m.text.len() {
            tracing::debug!(
                chars = self.parse_max_chars,
                "only the head of a long message is parsed"
            );
        }
        let text = head.to_owned();
        let sent_at = m.sent_at.fixed_offset();
        let parser = self.parser;
        let _slot = self.parse_slots.acquire().await.context("parse slots closed")?;
        let posts = tokio::task::spawn_blocking(move || {
            parser.parse(&ParseInput {
                text: &text,
                sent_at,
                tz,
                zone,
            })
        })
        .await
        .context("the parser panicked")?;
        Ok(posts)
    }

    /// Stages 4 and 5: the parser's posts, stored and matched, then the notices.
    async fn posts(
        &self,
        tx: &mut Tx<'_>,
        who: &Asker<'_>,
        area: &str,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Made> {
        let m = who.m;
        let found = self.parse_posts(m, area).await?;
        let statuses: Vec<PostStatus> = found
            .iter()
            .map(|p| match self.questions.is_sure(p) {
                true => PostStatus::Open,
                false => PostStatus::Pending,
            })
            .collect();
        let new = posts::NewPosts {
            area,
            member: who.member,
            message_id: who.message_id,
            text: &m.text,
            first_ordinal: 0,
        };
        let stored = posts::insert_and_match(tx, new, &found, &statuses, 3).await?;
        let (mut sure, mut unsure, mut pending) = (Vec::new(), Vec::new(), Vec::new());
        for (ordinal, ((p, status), (id, cands))) in found.into_iter().zip(statuses).zip(stored.posts).enumerate() {
            match status {
                PostStatus::Pending => {
                    unsure.push(p);
                    pending.push(id);
                }
                _ => sure.push((p, id, ordinal, cands)),
            }
        }
        // Requests nothing available fits may wait for a lent thing (core/loans.rs), if the
        // area has any.
        let unmatched: Vec<String> = sure
            .iter()
            .filter(|_| stored.lent_here)
            .filter(|(p, _, _, cands)| p.direction == Direction::Request && cands.is_empty())
            .map(|(p, ..)| p.item.clone())
            .collect();
        let mut made = self.announce(tx, who, area, sure, queue).await?;
        for item in &unmatched {
            loans::wait_for_lent(self, tx, who, area, item, queue).await?;
        }
        if !unsure.is_empty() {
            self.ask_author(tx, who, &unsure, queue).await?;
        }
        made.pending = pending;
        Ok(made)
    }

    /// The notices of stored open posts ("offer recorded") and their new matches, recorded
    /// and told to both sides. Used by ingest, and when a question is answered or a reading
    /// corrected (core/questions.rs).
    pub(super) async fn announce(
        &self,
        tx: &mut Tx<'_>,
        who: &Asker<'_>,
        area: &str,
        stored: Vec<Announced>,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Made> {
        let mut made = Made::default();
        let mut pairs = Vec::new();
        let mut pending = Vec::new();
        for (p, id, ordinal, cands) in &stored {
            let (id, ordinal) = (*id, *ordinal);
            made.posts.push(id);
            self.metrics.post(p.direction, p.category);
            if let Some(notice) = self.post_notice(who, area, p, id, ordinal) {
                queue.push(notice);
            }
            for c in cands.iter().cloned() {
                pairs.push(match p.direction {
                    Direction::Request => (id, c.id, c.rank),
                    Direction::Offer => (c.id, id, c.rank),
                });
                pending.push((p, id, c));
            }
        }
        let match_ids = posts::insert_matches(tx, &pairs).await?;
        for (match_id, (p, id, c)) in match_ids.into_iter().zip(pending) {
            let Some(match_id) = match_id else { continue };
            made.matches.push(match_id);
            let new = NewPost {
                direction: p.direction,
                item: &p.item,
                id,
            };
            self.match_notices(queue, who, new, &c, match_id);
        }
        Ok(made)
    }

    /// "Offer n°12 recorded", in reply where the post was made (one reaction for the whole
    /// message in areas that acknowledge with a reaction).
    fn post_notice(&self, who: &Asker<'_>, area: &str, p: &Post, id: i64, ordinal: usize) -> Option<NewDelivery> {
        let (t, lang) = (self.texts, who.lang);
        let when = p.when.map(|w| format_dates(lang, w.from, w.to)).unwrap_or_default();
        let category = t.get(lang, &format!("category-{}", p.category), &[]);
        let notice = t.get(
            lang,
            "post-recorded",
            &[
                ("direction", Arg::from(p.direction.to_string())),
                ("item", Arg::from(p.item.as_str())),
                ("category", Arg::from(category)),
                ("has_when", Arg::from(if when.is_empty() { "no" } else { "yes" })),
                ("when", Arg::from(when)),
                ("number", Arg::from(id)),
            ],
        );
        let mut msg = Outgoing::new(OutKind::Notice, notice)
            .replying(Some(who.m.native_id.clone()))
            .in_lang(lang);
        msg.subject = who.m.re_subject();
        if self.ack.of(area) == Acknowledge::Reaction {
            if ordinal > 0 {
                return None;
            }
            msg.reaction = Some(self.ack.emoji.clone());
        }
        Some(NewDelivery {
            to: who.here.clone(),
            msg,
            dedupe_key: format!("notice:{}:{ordinal}", who.message_id),
            cause: Some(who.message_id),
        })
    }

    /// The copy of `m` for a reader of `lang`: its words with their sender line, its photo,
    /// or what the copies say instead of a refused one.
    fn relay_copy(&self, m: &Inbound, lang: Lang) -> Outgoing {
        let mut msg = match m.media_refused {
            Some(why) => {
                let text = self.refused_copy_text(lang, why, m.refused_file, &m.text);
                self.relay_text(m.channel, &m.sender_name, &text, lang)
            }
            None => self.relay_text(m.channel, &m.sender_name, &m.text, lang),
        };
        msg.media = m.media.clone();
        msg.more_media = m.more_media.clone();
        msg.profile = Some(Profile {
            id: format!(
                "{:016x}",
                crate::hash::fnv1a64(format!("{}|{}", m.channel.as_str(), m.sender).as_bytes())
            ),
            name: format!("{} ({})", m.sender_name, self.texts.get(lang, m.channel.text_id(), &[])),
        });
        msg
    }

    /// The copies of a message's other photos for a Matrix room (one image per event), after
    /// its own copy there, each its own delivery so that a deletion reaches it.
    fn matrix_extra_photos(
        &self,
        m: &Inbound,
        (message_id, room_id): (i64, i64),
        to: &Address,
        lang: Lang,
        profile: Option<Profile>,
    ) -> Vec<NewDelivery> {
        m.more_media
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut msg = self.relay_text(m.channel, &m.sender_name, "📷", lang);
                msg.media = Some(f.clone());
                msg.profile = profile.clone();
                NewDelivery {
                    to: to.clone(),
                    msg,
                    dedupe_key: format!("relay:{message_id}:{room_id}:{}", i + 1),
                    cause: Some(message_id),
                }
            })
            .collect()
    }

    /// A neighbour's words as relayed to another room: "Jeanne (Telegram) : …", plain and
    /// as HTML with the name in bold and everything escaped.
    pub fn relay_text(&self, channel: ChannelKind, name: &str, text: &str, lang: Lang) -> Outgoing {
        let args = [
            ("name", Arg::from(name)),
            ("channel", Arg::from(self.texts.get(lang, channel.text_id(), &[]))),
            ("text", Arg::from(text)),
        ];
        let mut msg = Outgoing::new(OutKind::Relay, self.texts.get(lang, "relay-line", &args));
        msg.html = Some(
            self.texts
                .get_html(lang, "relay-line", &args, &["name", "channel", "text"], &["name"]),
        );
        msg
    }

    /// Tells both sides of a new match, each in their language: the author of the new post
    /// here, the other where their post was made.
    fn match_notices(
        &self,
        queue: &mut Vec<NewDelivery>,
        who: &Asker<'_>,
        new: NewPost<'_>,
        other: &posts::Candidate,
        match_id: i64,
    ) {
        let m = who.m;
        let other_channel = other.channel;
        let (to_author, to_other) = match new.direction {
            Direction::Request => ("match-for-requester", "match-for-offerer"),
            Direction::Offer => ("match-for-offerer", "match-for-requester"),
        };
        // The offer's number, for "/emprunte N" and "/prete N @Nom" (core/loans.rs).
        let offer = match new.direction {
            Direction::Offer => new.id,
            Direction::Request => other.id,
        };
        let told = |lang: Lang, id: &str, item: &str, name: &str, channel: ChannelKind, number: i64| {
            let args = [
                ("item", Arg::from(item)),
                ("name", Arg::from(name)),
                ("channel", Arg::from(self.texts.get(lang, channel.text_id(), &[]))),
                ("number", Arg::from(number)),
                ("offer", Arg::from(offer)),
            ];
            Outgoing::new(OutKind::Match, self.texts.get(lang, id, &args))
        };
        let shared = other_channel == who.here.channel && other.chat == who.here.target;
        let loan = |to_requester: bool| match_loan(who, new.direction, other, offer, (to_requester, shared));
        // The cause is the recipient's own message: "/fini" in reply to the notice closes their
        // post. By email, answering the notice reaches the other person.
        let mut here = told(who.lang, to_author, &other.item, &other.author, other_channel, other.id);
        let author_requests = new.direction == Direction::Request;
        self.match_loan_offer(&mut here, who.here.channel, who.lang, loan(author_requests));
        queue.push(NewDelivery {
            to: who.here.clone(),
            msg: self.by_email(
                here.replying(Some(m.native_id.clone())),
                &who.here,
                other.message_id,
                who.lang,
            ),
            dedupe_key: format!("match:{match_id}:author"),
            cause: Some(who.message_id),
        });
        // In a room both people share, the first notice names them both: one is enough.
        if shared {
            return;
        }
        let to = Address {
            channel: other_channel,
            target: other.chat.clone(),
        };
        let their_lang = other.lang;
        let mut there = told(their_lang, to_other, new.item, &m.sender_name, m.channel, new.id);
        self.match_loan_offer(&mut there, other_channel, their_lang, loan(!author_requests));
        queue.push(NewDelivery {
            msg: self.by_email(
                there.replying(Some(other.native_id.clone())),
                &to,
                who.message_id,
                their_lang,
            ),
            to,
            dedupe_key: format!("match:{match_id}:other"),
            cause: Some(other.message_id),
        });
    }

    /// A notice sent by email gets a subject and a reply token naming `answered_message`, so
    /// answering it reaches that message's author.
    fn by_email(&self, msg: Outgoing, to: &Address, answered_message: i64, lang: Lang) -> Outgoing {
        let mut msg = msg.in_lang(lang);
        if to.channel == ChannelKind::Email {
            msg.subject = Some(self.texts.get(lang, "email-notice-subject", &[]));
            msg.reply_token = Some(self.links.reply_token(answered_message));
        }
        msg
    }
}

/// The loan a match notice offers to start (core/loans.rs): offer `offer` borrowed by the
/// requester, the notice read by the requester or the offer's author (`to.0`) or both (`to.1`,
/// a room they share).
fn match_loan<'a>(
    who: &'a Asker<'_>,
    new: Direction,
    other: &'a posts::Candidate,
    offer: i64,
    to: (bool, bool),
) -> loans::MatchLoan<'a> {
    let (borrower, name) = match new {
        Direction::Request => (who.member, who.m.sender_name.as_str()),
        Direction::Offer => (other.member_id, other.author.as_str()),
    };
    let (to_requester, shared) = to;
    loans::MatchLoan {
        offer,
        borrower,
        name,
        to_borrower: to_requester || shared,
        to_lender: !to_requester || shared,
    }
}

/// The new post a match notice is about.
#[derive(Clone, Copy)]
struct NewPost<'a> {
    direction: Direction,
    item: &'a str,
    id: i64,
}

/// Whether ingesting `m` may read deliveries that earlier messages queued and that are not
/// sent yet: a photo joins its album's or its author's pending copies, a reply looks for the
/// copy it answers, a command may look for what it queued before (a confirmation asked for
/// twice), and a direct chat is where commands and answers to the bot are said. A
/// neighbour's plain words in a group read none of them.
fn reads_queued(m: &Inbound) -> bool {
    m.direct
        || m.reply_to.is_some()
        || m.media.is_some()
        || m.media_refused.is_some()
        || m.album.is_some()
        || !m.more_media.is_empty()
        || Command::parse(&m.text, m.channel).is_some()
}

/// What the bot says about a message goes where it was said; for a message written to an
/// area's email list, that is its author's address.
fn answer_place(m: &Inbound) -> Address {
    Address {
        channel: m.channel,
        target: if m.channel == ChannelKind::Email {
            m.sender.clone()
        } else {
            m.chat.clone()
        },
    }
}
