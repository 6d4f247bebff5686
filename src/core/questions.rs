//! Asking when unsure, and corrections (issue 13, items 5 and 6).
//!
//! A post read with a confidence below `QuestionPolicy::sure_threshold` is stored `pending`:
//! it is not announced, matched, nor in digests. Its author is asked, privately where the
//! channel allows (their direct chat with the bot, else a reply in the room; by email, their
//! address), with buttons on Telegram. "Yes" makes the pending posts open posts (announced and
//! matched as if just made), "no" withdraws them, and an unanswered question expires
//! (`Core::expire_questions_once`). At any time the author may correct a reading (`/corriger
//! demande échelle`, "pas une annonce"): the old posts are withdrawn, the people they were
//! matched with are told, the bot's acknowledgements are edited, and the new posts are
//! announced and matched. Every answer is stored as a labelled example (store/corrections.rs).

use chrono::{DateTime, Utc};

use super::Core;
use super::command::Command;
use super::commands::Asker;
use super::model::{Address, ChannelKind, Choice, Inbound, Op, OutKind, Outgoing};
use crate::i18n::{Arg, Lang};
use crate::parse::{Category, DateRange, Direction, Kind, Mode, ParseInput, Post, Price};
use crate::store::corrections::{self, Example};
use crate::store::deliveries::{self, NewDelivery, RelayCopy};
use crate::store::messages::{self, Authored};
use crate::store::posts::{self, NewPosts, OfMessage, PostStatus, Withdrawn};
use crate::store::questions::{self, Answer};
use crate::store::{Tx, members};

/// `parser.sure_threshold` when the settings do not say.
pub const DEFAULT_SURE_THRESHOLD: f32 = crate::parse::SURE_CONFIDENCE;
/// `questions.expire_hours` when the settings do not say.
pub const DEFAULT_QUESTION_HOURS: u32 = 48;

/// When a reading is unsure enough to ask its author, and how long the question stands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuestionPolicy {
    pub sure_threshold: f32,
    pub expire_after: chrono::Duration,
}

impl Default for QuestionPolicy {
    fn default() -> Self {
        QuestionPolicy {
            sure_threshold: DEFAULT_SURE_THRESHOLD,
            expire_after: chrono::Duration::hours(DEFAULT_QUESTION_HOURS.into()),
        }
    }
}

impl QuestionPolicy {
    /// Whether `p` is announced at once (else its author is asked first).
    pub fn is_sure(&self, p: &Post) -> bool {
        p.confidence >= self.sure_threshold
    }
}

/// Whether `member` may give answer `cmd` about the reading of message `a`: its author
/// always; a moderator of its area may correct or withdraw it ("/corriger", "/non"), but only
/// the author confirms what they meant.
pub async fn may_correct(core: &Core, a: &Authored, member: i64, cmd: &Command) -> anyhow::Result<bool> {
    if a.member_id == Some(member) {
        return Ok(true);
    }
    match (&a.area_slug, cmd) {
        (_, Command::Yes) | (None, _) => Ok(false),
        (Some(area), _) => super::moderation::is_moderator(core, area, member).await,
    }
}

/// One post a correction names ("demande échelle", "offre prêt perceuse").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    pub direction: Direction,
    pub mode: Option<Mode>,
    pub item: String,
}

/// Reads the words of a correction: an empty list for "not a post" ("pas une annonce"), the
/// posts it names otherwise (several separated by ",", ";", "+" or "et"). None: unreadable.
pub fn read_correction(what: &str) -> Option<Vec<Named>> {
    let folded = crate::parse::token::fold(what);
    let bare: String = folded
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '\'' { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    const NONE: &[&str] = &[
        "pas une annonce",
        "pas d'annonce",
        "ce n'est pas une annonce",
        "aucune annonce",
        "rien",
        "not a post",
        "no post",
        "nothing",
        "none",
    ];
    if NONE.contains(&bare.as_str()) {
        return Some(Vec::new());
    }
    let lower = what.to_lowercase();
    let parts: Vec<&str> = lower
        .split([',', ';', '+'])
        .flat_map(|p| p.split(" et "))
        .flat_map(|p| p.split(" and "))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let named: Option<Vec<Named>> = parts.iter().map(|p| read_one(p)).collect();
    named.filter(|n| !n.is_empty())
}

/// "offre prêt perceuse" → an offer of "perceuse", on loan.
fn read_one(part: &str) -> Option<Named> {
    let mut words = part.split_whitespace().peekable();
    let first = crate::parse::token::fold(words.next()?);
    let direction = match first.as_str() {
        "offre" | "offer" | "propose" | "proposition" => Direction::Offer,
        "demande" | "request" | "cherche" | "recherche" | "besoin" => Direction::Request,
        _ => return None,
    };
    let mode = words.peek().and_then(|w| match crate::parse::token::fold(w).as_str() {
        "pret" | "loan" | "lend" => Some(Mode::Loan),
        "don" | "gift" | "gratuit" | "free" => Some(Mode::Gift),
        "echange" | "troc" | "swap" => Some(Mode::Swap),
        "vente" | "sale" => Some(Mode::Sale),
        _ => None,
    });
    if mode.is_some() {
        words.next();
    }
    const SKIP: &[&str] = &["de", "d'", "du", "des", "un", "une", "of", "a", "an", "for", "pour"];
    let rest: Vec<&str> = words.skip_while(|w| SKIP.contains(w)).collect();
    let item = rest.join(" ");
    let item = item
        .strip_prefix("d'")
        .or_else(|| item.strip_prefix("l'"))
        .unwrap_or(&item);
    let item = item.trim_matches(|c: char| !c.is_alphanumeric()).to_owned();
    (!item.is_empty()).then_some(Named { direction, mode, item })
}

/// The post read back from a stored row (its evidence is not kept).
fn post_of(r: &OfMessage) -> Post {
    let mode = match r.mode.as_deref() {
        Some("loan") => Some(Mode::Loan),
        Some("gift") => Some(Mode::Gift),
        Some("swap") => Some(Mode::Swap),
        Some("sale") => Some(Mode::Sale),
        _ => None,
    };
    Post {
        direction: r.direction,
        kind: if r.kind == "service" { Kind::Service } else { Kind::Item },
        mode,
        item: r.item.clone(),
        category: Category::parse(&r.category).unwrap_or(Category::Autre),
        when: r.when_from.zip(r.when_to).map(|(from, to)| DateRange { from, to }),
        price: r.price_cents.map(|c| Price { cents: c.max(0) as u64 }),
        confidence: r.confidence,
        copies: r.copies.max(1) as u32,
        span: 0..0,
        evidence: Vec::new(),
        confidence_why: Vec::new(),
    }
}

/// A post in the corpus format (SCHEMA.md's `expect` entries).
pub fn expected(p: &Post) -> serde_json::Value {
    let mut v = serde_json::json!({
        "direction": p.direction,
        "kind": p.kind,
        "mode": p.mode,
        "item": [p.item],
        "category": [p.category],
    });
    if let Some(w) = p.when {
        v["when"] = serde_json::json!({ "from": w.from.to_string(), "to": w.to.to_string() });
    }
    v
}

/// The message a stored one was, as ingest saw it, to announce its posts later.
fn inbound_of(a: &Authored) -> Inbound {
    Inbound {
        channel: a.channel,
        chat: a.chat.clone(),
        native_id: a.native_id.clone(),
        sender: a.sender.clone(),
        sender_name: a.name.clone(),
        text: a.body.clone(),
        sent_at: a.sent_at,
        direct: a.direct,
        ..Default::default()
    }
}

/// Its author, as the one the bot answers about it.
fn asker_of<'a>(a: &Authored, m: &'a Inbound) -> Asker<'a> {
    Asker {
        m,
        message_id: a.id,
        member: a.member_id.unwrap_or_default(),
        area: a.area_slug.clone(),
        lang: a.lang,
        here: Address {
            channel: a.channel,
            target: if a.channel == ChannelKind::Email {
                a.sender.clone()
            } else {
                a.chat.clone()
            },
        },
    }
}

/// How a member answers on `channel`: "/oui" ("!oui" on Matrix), or the bare word by email.
fn answer_forms(core: &Core, lang: Lang, channel: ChannelKind) -> [(&'static str, Arg); 3] {
    let words = match lang {
        Lang::En => ["yes", "no", "correct"],
        _ => ["oui", "non", "corriger"],
    };
    let form = |w: &str| match channel {
        ChannelKind::Email => w.to_owned(),
        c => format!("{}{w}", c.command_prefix()),
    };
    let _ = core;
    [
        ("yes", Arg::from(form(words[0]))),
        ("no", Arg::from(form(words[1]))),
        ("correct", Arg::from(form(words[2]))),
    ]
}

/// What a correction or an answer did, for the one who sent it.
pub struct Answered {
    pub text: String,
    /// The question (or the reading) changed: buttons can go.
    pub done: bool,
}

impl Core {
    /// "une offre de perceuse et une demande d'échelle".
    fn readings(&self, lang: Lang, posts: &[Post]) -> String {
        let and = if lang == Lang::En { " and " } else { " et " };
        posts
            .iter()
            .map(|p| {
                self.texts.get(
                    lang,
                    "reading",
                    &[
                        ("direction", Arg::from(p.direction.as_str())),
                        ("item", Arg::from(p.item.as_str())),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join(and)
    }

    /// Asks the author of `who`'s message whether the unsure posts `unsure` are what they
    /// meant: in their direct chat with the bot if they have one on this channel, else as a
    /// reply where they wrote. Called by ingest in the message's transaction.
    pub(super) async fn ask_author(
        &self,
        tx: &mut Tx<'_>,
        who: &Asker<'_>,
        unsure: &[Post],
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<()> {
        let (m, lang) = (who.m, who.lang);
        let now = Utc::now();
        let private_on = (!m.direct && m.channel != ChannelKind::Email).then_some(m.channel);
        let expires = now + self.questions.expire_after;
        let Some(private) = questions::ask(tx, who.message_id, who.member, now, expires, private_on).await? else {
            return Ok(());
        };
        let readings = self.readings(lang, unsure);
        let forms = answer_forms(self, lang, m.channel);
        let mut args = vec![
            ("name", Arg::from(m.sender_name.as_str())),
            ("readings", Arg::from(readings)),
        ];
        args.extend(forms);
        let mut msg = Outgoing::new(OutKind::Notice, self.texts.get(lang, "question-unsure", &args)).in_lang(lang);
        let to = match private {
            Some(target) => Address {
                channel: m.channel,
                target,
            },
            None => {
                msg = msg.replying(Some(m.native_id.clone()));
                who.here.clone()
            }
        };
        msg.subject = m.re_subject();
        msg.choices = self.question_buttons(lang, who.message_id, unsure);
        queue.push(NewDelivery {
            to,
            msg,
            dedupe_key: format!("question:{}", who.message_id),
            cause: Some(who.message_id),
        });
        Ok(())
    }

    /// "Oui, c'est une offre de X" / "Non" / "Corriger", each carrying a signed answer.
    fn question_buttons(&self, lang: Lang, message: i64, unsure: &[Post]) -> Vec<Choice> {
        let t = self.texts;
        let data = |a: char| self.links.signer.sign_short(&format!("q{a}{message}"));
        let reading = self.readings(lang, unsure);
        vec![
            Choice::Callback {
                label: t.get(lang, "question-button-yes", &[("reading", Arg::from(reading))]),
                data: data('y'),
            },
            Choice::Callback {
                label: t.get(lang, "question-button-no", &[]),
                data: data('n'),
            },
            Choice::Callback {
                label: t.get(lang, "question-button-correct", &[]),
                data: data('c'),
            },
        ]
    }

    /// Stage 2 of ingest for `/oui`, `/non`, `/corriger …` (and their bare forms in reply):
    /// the message meant is the one replied to (the post itself, the bot's question or
    /// acknowledgement), else the member's latest question, else (to correct) their latest
    /// message with posts.
    pub(super) async fn on_reading_command(
        &self,
        tx: &mut Tx<'_>,
        who: &Asker<'_>,
        cmd: &Command,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<String> {
        let m = who.m;
        let mut target = None;
        if let Some(r) = &m.reply_to {
            target = messages::replied_original(tx, m.channel, &m.chat, r)
                .await?
                .map(|x| x.3);
        }
        if target.is_none() {
            target = questions::latest_open(tx, who.member).await?;
        }
        if target.is_none() && matches!(cmd, Command::Correct { .. }) {
            target = messages::latest_with_posts(tx, who.member).await?;
        }
        let Some(message) = target else {
            let forms = answer_forms(self, who.lang, m.channel);
            let id = match cmd {
                Command::Correct { .. } => "correct-nothing",
                _ => "answer-nothing-asked",
            };
            return Ok(self.texts.get(who.lang, id, &forms));
        };
        let answered = self
            .answer_reading(tx, message, who.member, cmd, m.channel, queue)
            .await?;
        Ok(answered.text)
    }

    /// A bare answer said in reply to the bot's question or acknowledgement of the sender's
    /// own message ("oui", "non", "pas une annonce", "corriger …"), read as the command it
    /// stands for; None for anything else (then the message is an ordinary one).
    pub(super) async fn bare_answer(&self, tx: &mut Tx<'_>, who: &Asker<'_>) -> anyhow::Result<Option<Command>> {
        let m = who.m;
        let Some(r) = &m.reply_to else { return Ok(None) };
        let said = m.text.trim().trim_end_matches(['.', '!', ' ']).to_lowercase();
        let cmd = match said.as_str() {
            "oui" | "yes" => Command::Yes,
            "non" | "no" => Command::No,
            s => match s.split_once(char::is_whitespace) {
                Some(("corriger" | "correct", what)) => Command::Correct {
                    what: what.trim().to_owned(),
                },
                _ if read_correction(s).is_some_and(|n| n.is_empty()) => Command::Correct { what: s.to_owned() },
                _ => return Ok(None),
            },
        };
        let Some((_, _, _, message)) = messages::replied_original(tx, m.channel, &m.chat, r).await? else {
            return Ok(None);
        };
        let ours = messages::authored(tx, message)
            .await?
            .is_some_and(|a| a.member_id == Some(who.member));
        let about = questions::asked(tx, message).await? || !posts::standing_of_message(tx, message).await?.is_empty();
        Ok((ours && about).then_some(cmd))
    }

    /// The answer of `member` (said on `channel`) about the reading of message `message`.
    async fn answer_reading(
        &self,
        tx: &mut Tx<'_>,
        message: i64,
        member: i64,
        cmd: &Command,
        channel: ChannelKind,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Answered> {
        let Some(a) = messages::authored(tx, message).await? else {
            let forms = answer_forms(self, Lang::Fr, channel);
            return Ok(self.refused("correct-nothing", Lang::Fr, &forms));
        };
        let forms = answer_forms(self, a.lang, channel);
        let standing = posts::standing_of_message(tx, message).await?;
        if !may_correct(self, &a, member, cmd).await? {
            return Ok(self.refused("answer-not-yours", a.lang, &forms));
        }
        match cmd {
            Command::Correct { what } => match read_correction(what) {
                Some(named) => self.correct(tx, &a, member, &standing, &named, queue).await,
                None => Ok(self.refused("correct-usage", a.lang, &forms)),
            },
            _ if questions::lock_open(tx, message).await?.is_none() => {
                Ok(self.refused("answer-nothing-asked", a.lang, &forms))
            }
            Command::Yes => self.confirm(tx, &a, member, &standing, queue).await,
            _ => self.reject(tx, &a, member, &standing, queue).await,
        }
    }

    fn refused(&self, id: &str, lang: Lang, forms: &[(&str, Arg)]) -> Answered {
        Answered {
            text: self.texts.get(lang, id, forms),
            done: false,
        }
    }

    /// The labelled example of message `a` holding `posts`.
    async fn record(
        &self,
        tx: &mut Tx<'_>,
        a: &Authored,
        member: i64,
        kind: corrections::Kind,
        posts: &[Post],
    ) -> anyhow::Result<i64> {
        let tz = a
            .area_slug
            .as_deref()
            .map_or(chrono_tz::Europe::Paris, |s| self.areas.timezone(s));
        let sent_at = a.sent_at.with_timezone(&tz).to_rfc3339();
        let example = Example {
            message: a.id,
            by_member: member,
            kind,
            text: &a.body,
            sent_at: &sent_at,
            expect: serde_json::Value::Array(posts.iter().map(expected).collect()),
        };
        corrections::record(tx, &example).await
    }

    /// "Yes": the pending posts become open posts, announced and matched now.
    async fn confirm(
        &self,
        tx: &mut Tx<'_>,
        a: &Authored,
        member: i64,
        standing: &[OfMessage],
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Answered> {
        let now = Utc::now();
        let pending: Vec<i64> = standing
            .iter()
            .filter(|p| p.status == PostStatus::Pending)
            .map(|p| p.id)
            .collect();
        posts::open_pending(tx, &pending, now).await?;
        questions::answer(tx, a.id, Answer::Yes, now).await?;
        let all: Vec<Post> = standing.iter().map(post_of).collect();
        self.record(tx, a, member, corrections::Kind::Confirmed, &all).await?;
        let m = inbound_of(a);
        let who = asker_of(a, &m);
        let area = a.area_slug.clone().unwrap_or_default();
        let mut announced = Vec::new();
        for p in standing.iter().filter(|p| p.status == PostStatus::Pending) {
            let other = match p.direction {
                Direction::Offer => Direction::Request,
                Direction::Request => Direction::Offer,
            };
            let cands = posts::candidates(
                tx,
                &area,
                other,
                a.member_id.unwrap_or_default(),
                &p.item,
                &p.category,
                3,
            )
            .await?;
            announced.push((post_of(p), p.id, p.ordinal as usize, cands));
        }
        self.announce(tx, &who, &area, announced, queue).await?;
        let done = self
            .texts
            .get(a.lang, "question-answered-yes", &[("name", Arg::from(a.name.as_str()))]);
        self.edit_notices(tx, a.id, &done, &format!("answered:{}", a.id), true, queue)
            .await?;
        Ok(Answered {
            text: self.texts.get(a.lang, "answer-yes", &[]),
            done: true,
        })
    }

    /// "No": the pending posts are withdrawn.
    async fn reject(
        &self,
        tx: &mut Tx<'_>,
        a: &Authored,
        member: i64,
        standing: &[OfMessage],
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Answered> {
        let now = Utc::now();
        let pending: Vec<i64> = standing
            .iter()
            .filter(|p| p.status == PostStatus::Pending)
            .map(|p| p.id)
            .collect();
        posts::withdraw(tx, &pending, Withdrawn::Rejected, now).await?;
        questions::answer(tx, a.id, Answer::No, now).await?;
        let kept: Vec<Post> = standing
            .iter()
            .filter(|p| p.status == PostStatus::Open)
            .map(post_of)
            .collect();
        self.record(tx, a, member, corrections::Kind::Rejected, &kept).await?;
        let done = self.texts.get(a.lang, "question-answered-no", &[]);
        self.edit_notices(tx, a.id, &done, &format!("answered:{}", a.id), true, queue)
            .await?;
        Ok(Answered {
            text: self.texts.get(a.lang, "answer-no", &[]),
            done: true,
        })
    }

    /// The posts `named` says, read with the lexicon (its name and category for the thing),
    /// as sure posts of message `a`.
    fn named_posts(&self, a: &Authored, named: &[Named]) -> Vec<Post> {
        let tz = a
            .area_slug
            .as_deref()
            .map_or(chrono_tz::Europe::Paris, |s| self.areas.timezone(s));
        named
            .iter()
            .map(|n| {
                let probe = format!("je cherche {}", n.item);
                let mut input = ParseInput::new(&probe, a.sent_at.with_timezone(&tz).fixed_offset());
                input.tz = tz;
                let known = self.parser.parse(&input).into_iter().next();
                Post {
                    direction: n.direction,
                    kind: known.as_ref().map_or(Kind::Item, |k| k.kind),
                    mode: n.mode,
                    item: known.as_ref().map_or_else(|| n.item.clone(), |k| k.item.clone()),
                    category: known.as_ref().map_or(Category::Autre, |k| k.category),
                    when: None,
                    price: None,
                    confidence: 1.0,
                    // "j'en ai deux" said of the one thing offered (issue 16's copies).
                    copies: match n.direction {
                        Direction::Offer if named.len() == 1 => crate::parse::quantity::copies(&a.body, &n.item, true),
                        Direction::Offer => crate::parse::quantity::copies(&a.body, &n.item, false),
                        Direction::Request => 1,
                    },
                    span: 0..a.body.len(),
                    evidence: Vec::new(),
                    confidence_why: Vec::new(),
                }
            })
            .collect()
    }
}

impl Core {
    /// A correction: the standing posts are withdrawn (the people they were matched with are
    /// told), the bot's words about them are edited, and the posts `named` are made, announced
    /// and matched.
    async fn correct(
        &self,
        tx: &mut Tx<'_>,
        a: &Authored,
        member: i64,
        standing: &[OfMessage],
        named: &[Named],
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<Answered> {
        let now = Utc::now();
        let new = self.named_posts(a, named);
        let kind = match new.is_empty() {
            true => corrections::Kind::Rejected,
            false => corrections::Kind::Corrected,
        };
        let correction = self.record(tx, a, member, kind, &new).await?;
        let ids: Vec<i64> = standing.iter().map(|p| p.id).collect();
        self.unmatch(tx, a, &ids, correction, queue).await?;
        let why = match new.is_empty() {
            true => Withdrawn::Rejected,
            false => Withdrawn::Corrected,
        };
        posts::withdraw(tx, &ids, why, now).await?;
        questions::answer(tx, a.id, Answer::Corrected, now).await?;
        let readings = self.readings(a.lang, &new);
        let (notice, answer) = match new.is_empty() {
            true => (
                self.texts.get(a.lang, "corrected-notice-none", &[]),
                self.texts.get(a.lang, "corrected-none", &[]),
            ),
            false => (
                self.texts.get(
                    a.lang,
                    "corrected-notice",
                    &[("readings", Arg::from(readings.as_str()))],
                ),
                self.texts
                    .get(a.lang, "corrected", &[("readings", Arg::from(readings.as_str()))]),
            ),
        };
        self.edit_notices(tx, a.id, &notice, &format!("corrected:{correction}"), false, queue)
            .await?;
        self.make_corrected(tx, a, &new, queue).await?;
        Ok(Answered {
            text: answer,
            done: true,
        })
    }

    /// Stores, announces and matches the posts of a correction.
    async fn make_corrected(
        &self,
        tx: &mut Tx<'_>,
        a: &Authored,
        new: &[Post],
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<()> {
        let (Some(area), Some(author)) = (a.area_slug.clone(), a.member_id) else {
            return Ok(());
        };
        if new.is_empty() {
            return Ok(());
        }
        let first = posts::next_ordinal(tx, a.id).await?;
        let spec = NewPosts {
            area: &area,
            member: author,
            message_id: a.id,
            text: &a.body,
            first_ordinal: first,
        };
        let statuses = vec![PostStatus::Open; new.len()];
        let stored = posts::insert_and_match(tx, spec, new, &statuses, 3).await?;
        let announced = new
            .iter()
            .zip(stored.posts)
            .enumerate()
            .map(|(i, (p, (id, cands)))| (p.clone(), id, first as usize + i, cands))
            .collect();
        let m = inbound_of(a);
        let who = asker_of(a, &m);
        self.announce(tx, &who, &area, announced, queue).await?;
        Ok(())
    }

    /// Tells the other side of each match of `ids` that it no longer holds, and forgets the
    /// matches (a request left without an offer is "unanswered" again in digests).
    async fn unmatch(
        &self,
        tx: &mut Tx<'_>,
        a: &Authored,
        ids: &[i64],
        correction: i64,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<()> {
        let others = posts::matched_others(tx, ids).await?;
        for o in &others {
            if Some(o.other_member) == a.member_id {
                continue;
            }
            let text = self.texts.get(
                o.lang,
                "match-void",
                &[
                    ("name", Arg::from(a.name.as_str())),
                    ("item", Arg::from(o.other_item.as_str())),
                ],
            );
            let mut msg = Outgoing::new(OutKind::Match, text)
                .replying(Some(o.native_id.clone()))
                .in_lang(o.lang);
            if o.channel == ChannelKind::Email {
                msg.subject = Some(self.texts.get(o.lang, "email-notice-subject", &[]));
            }
            queue.push(NewDelivery {
                to: Address {
                    channel: o.channel,
                    target: o.target.clone(),
                },
                msg,
                dedupe_key: format!("match-void:{}:{correction}", o.match_id),
                cause: Some(o.other_message),
            });
        }
        let matches: Vec<i64> = others.iter().map(|o| o.match_id).collect();
        posts::forget_matches(tx, &matches).await
    }

    /// Rewrites what the bot said about message `message`'s reading (its acknowledgements and
    /// question; only the question when `question_only`) to `text`, as edits.rs rewrites
    /// copies: in place when not sent yet, by an edit queued behind it otherwise. Emails and
    /// reactions cannot be edited and stay as they are.
    async fn edit_notices(
        &self,
        tx: &mut Tx<'_>,
        message: i64,
        text: &str,
        key: &str,
        question_only: bool,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<()> {
        let notices: Vec<RelayCopy> = match question_only {
            true => deliveries::question_of(tx, message).await?.into_iter().collect(),
            false => deliveries::reading_notices(tx, message).await?,
        };
        for c in notices {
            let Ok(old) = serde_json::from_value::<Outgoing>(c.payload) else {
                continue;
            };
            if c.channel == ChannelKind::Email || old.reaction.is_some() {
                continue;
            }
            let mut msg = Outgoing::new(old.kind, text);
            (msg.reply_to, msg.subject, msg.lang) = (old.reply_to, old.subject, old.lang);
            if c.pending && deliveries::rewrite_pending(tx, c.id, &msg).await? {
                continue;
            }
            msg.op = Op::Edit { of: c.id };
            queue.push(NewDelivery {
                to: Address {
                    channel: c.channel,
                    target: c.target,
                },
                msg,
                dedupe_key: format!("{key}:{}", c.id),
                cause: Some(message),
            });
        }
        Ok(())
    }

    /// Expires the questions unanswered at `now`: their pending posts are withdrawn and the
    /// question says so. Idempotent and safe with several daemons (row locks, SKIP LOCKED);
    /// the scheduler calls it on each tick, tests with their own clock. Returns how many.
    pub async fn expire_questions_once(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        let mut tx = self.pool.begin().await?;
        let expired = questions::expire(&mut tx, now, 500).await?;
        posts::withdraw_pending_of(&mut tx, &expired, Withdrawn::Unanswered, now).await?;
        let mut queue = Vec::new();
        for &message in &expired {
            let lang = messages::authored(&mut tx, message).await?.map_or(Lang::Fr, |a| a.lang);
            let text = self.texts.get(lang, "question-expired", &[]);
            self.edit_notices(&mut tx, message, &text, &format!("expired:{message}"), true, &mut queue)
                .await?;
        }
        self.commit_queue(tx, &queue).await?;
        Ok(expired.len() as u64)
    }

    /// A button of a question pressed on `channel` by account `sender`: `data` as the bot
    /// signed it. The adapter shows `text` to the person (and removes the buttons when done).
    pub async fn answer_button(&self, channel: ChannelKind, sender: &str, data: &str) -> anyhow::Result<Answered> {
        let mut tx = self.pool.begin().await?;
        let forms = answer_forms(self, Lang::Fr, channel);
        let Some(payload) = self.links.signer.verify_short(data) else {
            return Ok(self.refused("answer-nothing-asked", Lang::Fr, &forms));
        };
        if payload.starts_with('l') {
            return self.answer_loan_button(tx, channel, sender, &payload).await;
        }
        let mut chars = payload.chars();
        let (Some('q'), Some(action)) = (chars.next(), chars.next()) else {
            return Ok(self.refused("answer-nothing-asked", Lang::Fr, &forms));
        };
        let Ok(message) = chars.as_str().parse::<i64>() else {
            return Ok(self.refused("answer-nothing-asked", Lang::Fr, &forms));
        };
        let Some(member) = members::of_identity(&mut tx, channel, sender).await? else {
            return Ok(self.refused("answer-not-yours", Lang::Fr, &forms));
        };
        let cmd = match action {
            'y' => Command::Yes,
            'n' => Command::No,
            _ => {
                let lang = messages::authored(&mut tx, message).await?.map_or(Lang::Fr, |a| a.lang);
                let forms = answer_forms(self, lang, channel);
                return Ok(self.refused("correct-how", lang, &forms));
            }
        };
        self.answer_in_tx(tx, message, member, &cmd, channel).await
    }

    /// A loan proposal's button (core/loans.rs), pressed by account `sender`.
    async fn answer_loan_button(
        &self,
        mut tx: Tx<'_>,
        channel: ChannelKind,
        sender: &str,
        payload: &str,
    ) -> anyhow::Result<Answered> {
        let forms = answer_forms(self, Lang::Fr, channel);
        let Some(member) = members::of_identity(&mut tx, channel, sender).await? else {
            return Ok(self.refused("answer-not-yours", Lang::Fr, &forms));
        };
        let lang = members::lang(&mut tx, member).await?;
        let mut queue = Vec::new();
        let Some(text) = self.loan_button(&mut tx, payload, member, lang, &mut queue).await? else {
            return Ok(self.refused("answer-nothing-asked", lang, &forms));
        };
        // Its buttons go once it did something (told someone); a press by someone else, or
        // on a proposal settled already, leaves them.
        let done = !queue.is_empty();
        self.commit_queue(tx, &queue).await?;
        Ok(Answered { text, done })
    }

    /// A reaction by account `sender` on the bot's message `remote_id` in `chat`: 👍 answers
    /// yes and 👎 no when that message is a question. None: not a question, or another emoji.
    pub async fn answer_reaction(
        &self,
        channel: ChannelKind,
        chat: &str,
        remote_id: &str,
        sender: &str,
        emoji: &str,
    ) -> anyhow::Result<Option<Answered>> {
        let cmd = match emoji.trim_end_matches(['\u{fe0f}']) {
            "👍" | "✅" => Command::Yes,
            "👎" | "❌" => Command::No,
            _ => return Ok(None),
        };
        let mut tx = self.pool.begin().await?;
        let Some(message) = deliveries::question_at(&mut tx, channel, chat, remote_id).await? else {
            return Ok(None);
        };
        let Some(member) = members::of_identity(&mut tx, channel, sender).await? else {
            return Ok(None);
        };
        self.answer_in_tx(tx, message, member, &cmd, channel).await.map(Some)
    }

    /// Answers in its own transaction, and commits what it queued.
    async fn answer_in_tx(
        &self,
        mut tx: Tx<'_>,
        message: i64,
        member: i64,
        cmd: &Command,
        channel: ChannelKind,
    ) -> anyhow::Result<Answered> {
        let mut queue = Vec::new();
        let answered = self
            .answer_reading(&mut tx, message, member, cmd, channel, &mut queue)
            .await?;
        self.commit_queue(tx, &queue).await?;
        Ok(answered)
    }
}
