//! `Core::ingest`: one inbound message, one transaction. The message is stored once; its
//! author is resolved; commands are answered, posts stored and matched; relays, notices and
//! answers are queued in the outbox — all or nothing.

use anyhow::Context;
use tracing::instrument;

use super::Core;
use super::model::{Acknowledge, Address, ChannelKind, Inbound, OutKind, Outgoing};
use super::{commands, onboarding, rooms, router, subscriptions};
use crate::i18n::{Arg, Lang};
use crate::parse::{Direction, ParseInput};
use crate::store::deliveries::NewDelivery;
use crate::store::{Tx, chats, deliveries, posts};

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
        queued: u32,
    },
}

/// What the first statement of ingest returns.
#[derive(Debug, sqlx::FromRow)]
struct Stored {
    id: i64,
    area_slug: Option<String>,
    member_id: Option<i64>,
    room_ids: Vec<i64>,
    room_channels: Vec<String>,
    room_targets: Vec<String>,
}

impl Core {
    /// Ingests one inbound message in one transaction. The common case takes four round trips
    /// to PostgreSQL (begin, store, queue, commit), plus two per post.
    pub async fn ingest(&self, m: &Inbound) -> anyhow::Result<Ingested> {
        let out = self.ingest_once(m).await?;
        if let Ingested::Stored { queued, .. } = &out
            && *queued > 0
        {
            self.outbox_wake.notify_one();
        }
        Ok(out)
    }

    #[instrument(skip_all, fields(channel = %m.channel, chat = %m.chat, native_id = %m.native_id))]
    async fn ingest_once(&self, m: &Inbound) -> anyhow::Result<Ingested> {
        let mut tx = self.pool.begin().await.context("starting the ingest transaction")?;
        // One statement: find the chat and the sender, store the message once, list the
        // area's other rooms.
        let row: Option<Stored> = sqlx::query_as(
            "WITH chat AS (SELECT id, area_slug FROM chats WHERE channel = $1 AND external_id = $2 AND kind <> 'direct'),
                  who AS (SELECT member_id FROM identities WHERE channel = $1 AND external_id = $4),
                  -- A chat that speaks again has the bot back (re-added, unblocked).
                  back AS (UPDATE chats SET gone_at = NULL, gone_reason = NULL
                           WHERE channel = $1 AND external_id = $2 AND gone_at IS NOT NULL),
                  ins AS (
                    INSERT INTO messages (channel, chat_external_id, native_id, chat_id, area_slug, member_id, body,
                                          sent_at, reply_to_native_id)
                    VALUES ($1, $2, $3, (SELECT id FROM chat), (SELECT area_slug FROM chat),
                            (SELECT member_id FROM who), $5, $6, $7)
                    ON CONFLICT (channel, chat_external_id, native_id) DO NOTHING
                    RETURNING id, chat_id, area_slug, member_id)
             SELECT ins.id, ins.chat_id, ins.area_slug, ins.member_id,
                    coalesce(array_agg(c.id ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '{}') AS room_ids,
                    coalesce(array_agg(c.channel ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '{}') AS room_channels,
                    coalesce(array_agg(c.external_id ORDER BY c.id) FILTER (WHERE c.id IS NOT NULL), '{}') AS room_targets
             FROM ins LEFT JOIN chats c
               ON c.area_slug = ins.area_slug AND c.kind = 'room' AND c.id <> ins.chat_id AND c.gone_at IS NULL
             GROUP BY ins.id, ins.chat_id, ins.area_slug, ins.member_id",
        )
        .bind(m.channel.as_str())
        .bind(&m.chat)
        .bind(&m.native_id)
        .bind(&m.sender)
        .bind(&m.text)
        .bind(m.sent_at)
        .bind(&m.reply_to)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(Ingested::Duplicate);
        };
        let message_id = row.id;
        self.metrics.message_in(m.channel);
        let area = row.area_slug.clone();
        let member_id = match row.member_id {
            Some(id) => id,
            None => {
                let id = resolve_member(&mut tx, m, area.as_deref()).await?;
                sqlx::query("UPDATE messages SET member_id = $2 WHERE id = $1")
                    .bind(message_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                id
            }
        };

        let mut out = Ingested::Stored {
            message_id,
            area: area.clone(),
            member_id,
            posts: vec![],
            matches: vec![],
            queued: 0,
        };
        // What the bot says about a message goes where it was said; for a message written to an
        // area's email list, that is its author's address.
        let here = Address {
            channel: m.channel,
            target: if m.channel == ChannelKind::Email {
                m.sender.clone()
            } else {
                m.chat.clone()
            },
        };
        let lang = Lang::Fr;
        let cmd = commands::Command::parse(&m.text);
        // Direct conversations, room commands and other commands get one answer each.
        let mut queue: Vec<NewDelivery> = Vec::new();
        if m.direct {
            let chat = chats::upsert_direct(&mut tx, m.channel, &m.chat).await?;
            sqlx::query("UPDATE messages SET chat_id = $2 WHERE id = $1")
                .bind(message_id)
                .bind(chat)
                .execute(&mut *tx)
                .await?;
        }
        let answer = if let Some(cmd) = cmd.as_ref().filter(|c| matches!(c.name.as_str(), "courriel" | "email"))
            && (m.direct || area.is_some())
        {
            let area = match &area {
                Some(a) => Some(a.clone()),
                None => chats::member_area(&mut tx, member_id).await?,
            };
            let text = subscriptions::request(self, cmd, area.as_deref(), member_id, lang, &mut queue);
            Some(Outgoing::new(OutKind::Answer, text))
        } else if m.direct {
            Some(onboarding::answer(self, &mut tx, m, member_id, cmd.as_ref(), lang).await?)
        } else if let Some(cmd) = cmd.as_ref().filter(|c| rooms::is_room_command(c)) {
            Some(Outgoing::new(
                OutKind::Answer,
                rooms::room_command(self, &mut tx, m, cmd, lang).await?,
            ))
        } else if let Some(cmd) = &cmd
            && area.is_some()
        {
            let text = commands::answer(self, cmd, area.as_deref(), member_id, lang, m).await?;
            Some(Outgoing::new(OutKind::Answer, text))
        } else {
            None
        };
        if let Some(mut msg) = answer {
            msg.reply_to = Some(m.native_id.clone());
            queue.insert(
                0,
                NewDelivery {
                    to: here,
                    msg,
                    dedupe_key: format!("answer:{message_id}"),
                    cause: Some(message_id),
                },
            );
            let q = deliveries::enqueue_many(&mut tx, &queue).await?;
            tx.commit().await?;
            if let Ingested::Stored { queued, .. } = &mut out {
                *queued += q as u32;
            }
            return Ok(out);
        }
        // A group that is no area's room (not linked yet): the message is kept, nothing more.
        let Some(area) = area else {
            tx.commit().await?;
            return Ok(out);
        };

        // Relays first: the copies of the message go out before anything the bot says about it.
        for ((room_id, channel), target) in row.room_ids.iter().zip(&row.room_channels).zip(&row.room_targets) {
            let Ok(channel) = channel.parse::<ChannelKind>() else {
                continue;
            };
            let to = Address {
                channel,
                target: target.clone(),
            };
            let reply_to = match &m.reply_to {
                Some(r) => router::reply_target(&mut tx, m.channel, &m.chat, r, &to).await?,
                None => None,
            };
            let mut msg = self.relay_text(m.channel, &m.sender_name, &m.text, lang);
            msg.reply_to = reply_to;
            queue.push(NewDelivery {
                to,
                msg,
                dedupe_key: format!("relay:{message_id}:{room_id}"),
                cause: Some(message_id),
            });
        }

        self.relay_to_subscribers(&mut tx, m, &area, message_id, lang, &mut queue)
            .await?;

        let a = self.areas.get(&area);
        let input = ParseInput {
            text: &m.text,
            sent_at: m.sent_at.fixed_offset(),
            tz: a.map(|a| a.timezone).unwrap_or(chrono_tz::Europe::Paris),
            zone: a.map(|a| a.holiday_zone).unwrap_or_default(),
        };
        let found = self.parser.parse(&input);
        let stored = posts::insert_and_match(&mut tx, &area, member_id, message_id, &found, &m.text, 3).await?;
        let mut post_ids = Vec::with_capacity(stored.len());
        let mut pairs = Vec::new();
        let mut pending_notices = Vec::new();
        for (ordinal, (p, (id, cands))) in found.iter().zip(stored).enumerate() {
            post_ids.push(id);
            self.metrics.post(p.direction, p.category);
            let when = p.when.map(|w| commands::format_dates(w.from, w.to)).unwrap_or_default();
            let notice = self.texts.get(
                lang,
                "post-recorded",
                &[
                    ("direction", Arg::from(p.direction.to_string())),
                    ("item", Arg::from(p.item.as_str())),
                    (
                        "category",
                        Arg::from(self.texts.get(lang, &format!("category-{}", p.category), &[])),
                    ),
                    ("has_when", Arg::from(if when.is_empty() { "no" } else { "yes" })),
                    ("when", Arg::from(when)),
                    ("number", Arg::from(id)),
                ],
            );
            let mut msg = Outgoing::new(OutKind::Notice, notice).replying(Some(m.native_id.clone()));
            // One reaction says it for the whole message.
            if self.ack.of(&area) == Acknowledge::Reaction {
                if ordinal > 0 {
                    continue;
                }
                msg.reaction = Some(self.ack.emoji.clone());
            }
            queue.push(NewDelivery {
                to: here.clone(),
                msg,
                dedupe_key: format!("notice:{message_id}:{ordinal}"),
                cause: Some(message_id),
            });
            for c in cands {
                let pair = match p.direction {
                    Direction::Request => (id, c.id, c.rank),
                    Direction::Offer => (c.id, id, c.rank),
                };
                pairs.push(pair);
                pending_notices.push((p, id, c));
            }
        }
        let match_ids = posts::insert_matches(&mut tx, &pairs).await?;
        let mut recorded = Vec::new();
        for (match_id, (p, id, c)) in match_ids.into_iter().zip(pending_notices) {
            let Some(match_id) = match_id else { continue };
            recorded.push(match_id);
            self.match_notices(&mut queue, m, message_id, &here, p.direction, &p.item, id, &c, match_id);
        }
        let match_ids = recorded;
        let queued = deliveries::enqueue_many(&mut tx, &queue).await?;
        tx.commit().await.context("committing the ingest transaction")?;
        if let Ingested::Stored {
            posts: ps,
            matches,
            queued: q,
            ..
        } = &mut out
        {
            *ps = post_ids;
            *matches = match_ids;
            *q += queued as u32;
        }
        Ok(out)
    }

    /// Copies of the message for the area's email subscribers who want every message.
    async fn relay_to_subscribers(
        &self,
        tx: &mut Tx<'_>,
        m: &Inbound,
        area: &str,
        message_id: i64,
        lang: Lang,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<()> {
        let subs: Vec<(i64, String)> = crate::store::subscriptions::each_message_subscribers(tx, area)
            .await?
            .into_iter()
            .map(|s| (s.id, s.address))
            .collect();
        let area_name = self
            .areas
            .get(area)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| area.to_owned());
        for (id, address) in subs {
            // Not back to the address that wrote it.
            if m.channel == ChannelKind::Email && m.sender.eq_ignore_ascii_case(&address) {
                continue;
            }
            let mut msg = self.relay_text(m.channel, &m.sender_name, &m.text, lang);
            msg.reply_token = Some(self.links.signer.sign_short(&format!("r{message_id}")));
            msg.subject = Some(self.texts.get(
                lang,
                "email-relay-subject",
                &[
                    ("name", Arg::from(m.sender_name.as_str())),
                    ("area", Arg::from(area_name.as_str())),
                ],
            ));
            queue.push(NewDelivery {
                to: Address {
                    channel: ChannelKind::Email,
                    target: address,
                },
                msg,
                dedupe_key: format!("relay:{message_id}:email:{id}"),
                cause: Some(message_id),
            });
        }
        Ok(())
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

    /// Tells both sides of a new match: the author of the new post here, the other where
    /// their post was made.
    #[allow(clippy::too_many_arguments)]
    fn match_notices(
        &self,
        queue: &mut Vec<NewDelivery>,
        m: &Inbound,
        message_id: i64,
        here: &Address,
        dir: Direction,
        item: &str,
        post_id: i64,
        other: &posts::Candidate,
        match_id: i64,
    ) {
        let lang = Lang::Fr;
        let channel_name = |kind: ChannelKind| self.texts.get(lang, kind.text_id(), &[]);
        let (to_author, to_other) = match dir {
            Direction::Request => ("match-for-requester", "match-for-offerer"),
            Direction::Offer => ("match-for-offerer", "match-for-requester"),
        };
        let here_text = self.texts.get(
            lang,
            to_author,
            &[
                ("item", Arg::from(other.item.as_str())),
                ("name", Arg::from(other.author.as_str())),
                ("channel", Arg::from(channel_name(other.channel))),
                ("number", Arg::from(other.id)),
            ],
        );
        // The cause is the recipient's own message: "/fini" in reply to the notice closes their
        // post. By email, answering the notice reaches the other person.
        let by_email = |mut msg: Outgoing, channel: ChannelKind, other_message: i64| {
            if channel == ChannelKind::Email {
                msg.subject = Some(self.texts.get(lang, "email-notice-subject", &[]));
                msg.reply_token = Some(self.links.signer.sign_short(&format!("r{other_message}")));
            }
            msg
        };
        queue.push(NewDelivery {
            to: here.clone(),
            msg: by_email(
                Outgoing::new(OutKind::Match, here_text).replying(Some(m.native_id.clone())),
                here.channel,
                other.message_id,
            ),
            dedupe_key: format!("match:{match_id}:author"),
            cause: Some(message_id),
        });
        // In a room both people share, the first notice names them both: one is enough.
        let channel = other.channel;
        if channel != here.channel || other.chat != here.target {
            let there_text = self.texts.get(
                lang,
                to_other,
                &[
                    ("item", Arg::from(item)),
                    ("name", Arg::from(m.sender_name.as_str())),
                    ("channel", Arg::from(channel_name(m.channel))),
                    ("number", Arg::from(post_id)),
                ],
            );
            queue.push(NewDelivery {
                to: Address {
                    channel,
                    target: other.chat.clone(),
                },
                msg: by_email(
                    Outgoing::new(OutKind::Match, there_text).replying(Some(other.native_id.clone())),
                    channel,
                    message_id,
                ),
                dedupe_key: format!("match:{match_id}:other"),
                cause: Some(other.message_id),
            });
        }
    }
}

/// The member behind the sender's account, created on first contact.
async fn resolve_member(tx: &mut Tx<'_>, m: &Inbound, area: Option<&str>) -> anyhow::Result<i64> {
    let known: Option<i64> =
        sqlx::query_scalar("SELECT member_id FROM identities WHERE channel = $1 AND external_id = $2")
            .bind(m.channel.as_str())
            .bind(&m.sender)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(id) = known {
        sqlx::query("UPDATE members SET area_slug = coalesce(area_slug, $2) WHERE id = $1")
            .bind(id)
            .bind(area)
            .execute(&mut **tx)
            .await?;
        return Ok(id);
    }
    let id: i64 = sqlx::query_scalar("INSERT INTO members (display_name, area_slug) VALUES ($1, $2) RETURNING id")
        .bind(&m.sender_name)
        .bind(area)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO identities (member_id, channel, external_id, display_name) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(m.channel.as_str())
        .bind(&m.sender)
        .bind(&m.sender_name)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}
