//! Answers to the channel-neutral commands: /aide, /annonces [catégorie], /chercher MOT,
//! /mes-annonces, /fini N, /garder N, /langue fr|en. Their words come from bot-scripts/
//! (Fluent), in the member's language.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};

use super::Core;
use super::command::Command;
use super::links::MediaSize;
use super::model::{Address, ChannelKind, Inbound, OutKind, Outgoing};
use crate::i18n::{Arg, Lang, escape_html, format_dates};
use crate::parse::Category;
use crate::store::posts::{self, Close, Listed};
use crate::store::{Tx, members};

/// Posts listed by one answer: enough to be useful, short enough for a chat.
const LIST_LIMIT: i64 = 10;

/// Who asked, where, and in which language they are answered.
#[derive(Clone)]
pub struct Asker<'a> {
    /// What they said.
    pub m: &'a Inbound,
    /// Their stored message.
    pub message_id: i64,
    pub member: i64,
    /// The area the chat (or, in a direct chat, the member) belongs to.
    pub area: Option<String>,
    /// The member's language.
    pub lang: Lang,
    /// Where the bot answers them.
    pub here: Address,
}

/// One post of a listing, as a line.
fn line(core: &Core, lang: Lang, r: &Listed, lent: &HashMap<i64, NaiveDate>) -> String {
    let lent = lent.get(&r.id).map(|d| {
        let date = Arg::from(format_dates(lang, *d, *d));
        core.texts.get(lang, "posts-line-lent", &[("date", date)])
    });
    let when = match (r.when_from, r.when_to) {
        (Some(a), Some(b)) => format_dates(lang, a, b),
        _ => String::new(),
    };
    core.texts.get(
        lang,
        "posts-line",
        &[
            ("number", Arg::from(r.id)),
            ("direction", Arg::from(r.direction.as_str())),
            ("item", Arg::from(r.item.as_str())),
            (
                "category",
                Arg::from(core.texts.get(lang, &format!("category-{}", r.category), &[])),
            ),
            ("author", Arg::from(r.author.as_str())),
            ("has_when", Arg::from(if when.is_empty() { "no" } else { "yes" })),
            ("when", Arg::from(when)),
        ],
    ) + lent.as_deref().unwrap_or_default()
}

/// A header line and the posts under it (a lent thing says until when; a post with a photo
/// links to it, `/m/TOKEN`, and by email shows its thumbnail), or the "none" answer.
async fn listing(
    core: &Core,
    lang: Lang,
    channel: ChannelKind,
    rows: &[Listed],
    head: String,
    none: String,
) -> anyhow::Result<Outgoing> {
    if rows.is_empty() {
        return Ok(Outgoing::new(OutKind::Answer, none));
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let lent: HashMap<i64, NaiveDate> = crate::store::loans::lent_until(&core.pool, &ids)
        .await?
        .into_iter()
        .collect();
    let expires = (Utc::now() + Duration::days(core.media.limits.link_days.into())).timestamp();
    let (mut text, mut html) = (head.clone(), escape_html(&head));
    for r in rows {
        let l = line(core, lang, r, &lent);
        text = format!("{text}\n{l}");
        html = format!("{html}\n{}", escape_html(&l));
        if let Some(hash) = &r.photo {
            let full = core.links.media_url(hash, MediaSize::Full, expires);
            let thumb = core.links.media_url(hash, MediaSize::Thumb, expires);
            let photo = core
                .texts
                .get(lang, "posts-line-photo", &[("url", Arg::from(full.as_str()))]);
            text = format!("{text}\n{photo}");
            html = format!(
                "{html}\n<a href=\"{}\"><img src=\"{}\" alt=\"{}\" width=\"96\" style=\"width:96px;height:auto;border-radius:6px\"></a>",
                escape_html(&full),
                escape_html(&thumb),
                escape_html(&core.texts.get(lang, "digest-photo", &[])),
            );
        }
    }
    let mut msg = Outgoing::new(OutKind::Answer, text);
    // Email shows the thumbnails; the chats show the links (their clients preview them).
    if channel == ChannelKind::Email && rows.iter().any(|r| r.photo.is_some()) {
        msg.html = Some(html);
    }
    Ok(msg)
}

/// The answer to `cmd`, said by `who`. `tx` is the ingest transaction (a language change is
/// part of it).
pub async fn answer(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, cmd: &Command) -> anyhow::Result<Outgoing> {
    let (t, lang, channel) = (core.texts, who.lang, who.here.channel);
    let area = who.area.as_deref();
    match (cmd, area) {
        (Command::Posts { category }, Some(area)) => list_posts(core, lang, channel, area, category).await,
        (Command::Search { query }, Some(area)) => search(core, lang, channel, area, query).await,
        (Command::MyPosts, _) => {
            let rows = posts::of_member(&core.pool, who.member, LIST_LIMIT).await?;
            let head = t.get(lang, "my-posts-header", &[("count", Arg::from(rows.len()))]);
            listing(core, lang, channel, &rows, head, t.get(lang, "my-posts-none", &[])).await
        }
        _ => Ok(Outgoing::new(OutKind::Answer, words(core, tx, who, cmd).await?)),
    }
}

/// The answer to a command other than a listing.
async fn words(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, cmd: &Command) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    Ok(match cmd {
        Command::Help | Command::Start { .. } | Command::Area { .. } => t.get(lang, "help", &[]),
        Command::Posts { .. } | Command::Search { .. } | Command::MyPosts => t.get(lang, "ask-postcode", &[]),
        Command::Done { number } => close(core, who, number).await?,
        Command::Keep { number } => keep(core, who, number).await?,
        Command::Language { code } => language(core, tx, who, code).await?,
        // Said where they do not apply (the adapters route them elsewhere when they do).
        Command::Email { .. }
        | Command::TownHall { .. }
        | Command::Link { .. }
        | Command::Unlink
        | Command::Unknown { .. }
        | Command::Yes
        | Command::No
        | Command::Correct { .. }
        | Command::Remove
        | Command::Ban
        | Command::Unban
        | Command::Report
        | Command::ModerationLog
        | Command::MyData
        | Command::Forget { .. }
        | Command::Lend { .. }
        | Command::Borrow { .. }
        | Command::Accept { .. }
        | Command::Decline { .. }
        | Command::CancelLoan { .. }
        | Command::Returned { .. }
        | Command::Extend { .. }
        | Command::Thanks { .. }
        | Command::Loans
        | Command::LoanUntil { .. } => t.get(
            lang,
            "unknown-command",
            &[("command", Arg::from(cmd.shown(who.m.channel)))],
        ),
    })
}

/// `/annonces [catégorie]`.
async fn list_posts(
    core: &Core,
    lang: Lang,
    channel: ChannelKind,
    area: &str,
    asked: &str,
) -> anyhow::Result<Outgoing> {
    let t = core.texts;
    let category = if asked.is_empty() {
        None
    } else {
        let Some(c) = Category::parse(asked) else {
            let all: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
            let text = t.get(
                lang,
                "unknown-category",
                &[
                    ("category", Arg::from(asked)),
                    ("categories", Arg::from(all.join(", "))),
                ],
            );
            return Ok(Outgoing::new(OutKind::Answer, text));
        };
        Some(c)
    };
    let rows = posts::open_in_area(&core.pool, area, category.map(|c| c.as_str()), LIST_LIMIT).await?;
    let shown = category
        .map(|c| t.get(lang, &format!("category-{c}"), &[]))
        .unwrap_or_default();
    let has = if category.is_some() { "yes" } else { "no" };
    let head = t.get(
        lang,
        "posts-header",
        &[
            ("count", Arg::from(rows.len())),
            ("has_category", Arg::from(has)),
            ("category", Arg::from(shown.as_str())),
        ],
    );
    let none = t.get(
        lang,
        "posts-none",
        &[("has_category", Arg::from(has)), ("category", Arg::from(shown))],
    );
    listing(core, lang, channel, &rows, head, none).await
}

/// `/chercher MOTS`.
async fn search(core: &Core, lang: Lang, channel: ChannelKind, area: &str, query: &str) -> anyhow::Result<Outgoing> {
    let t = core.texts;
    if query.is_empty() {
        return Ok(Outgoing::new(OutKind::Answer, t.get(lang, "search-usage", &[])));
    }
    let rows = posts::search(&core.pool, area, query, LIST_LIMIT).await?;
    let head = t.get(
        lang,
        "search-header",
        &[("query", Arg::from(query)), ("count", Arg::from(rows.len()))],
    );
    let none = t.get(lang, "search-none", &[("query", Arg::from(query))]);
    listing(core, lang, channel, &rows, head, none).await
}

/// The posts a /fini or /garder is about: the number given, or the posts of the message it
/// answers (the post itself, the bot's copy or notice of it). None: neither was given.
async fn posts_meant(core: &Core, who: &Asker<'_>, number: &str) -> anyhow::Result<Option<Vec<i64>>> {
    if number.is_empty()
        && let Some(replied) = &who.m.reply_to
    {
        let ids = posts::of_replied_message(&core.pool, who.m.channel.as_str(), &who.m.chat, replied).await?;
        return Ok(Some(ids));
    }
    Ok(number.parse::<i64>().ok().map(|id| vec![id]))
}

/// The answer to a refused /fini or /garder of post `id`.
fn refusal(core: &Core, lang: Lang, why: Close, id: i64) -> String {
    let id_text = match why {
        Close::NotYours => "closed-not-yours",
        Close::AlreadyClosed => "closed-already",
        Close::NotFound | Close::Closed { .. } => "closed-not-found",
    };
    core.texts.get(lang, id_text, &[("number", Arg::from(id))])
}

/// `/fini [N]`.
async fn close(core: &Core, who: &Asker<'_>, number: &str) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    let by_reply = number.is_empty() && who.m.reply_to.is_some();
    let Some(ids) = posts_meant(core, who, number).await? else {
        return Ok(t.get(lang, "closed-usage", &[]));
    };
    if ids.is_empty() {
        return Ok(t.get(lang, "closed-reply-none", &[]));
    }
    let mut lines = Vec::new();
    for id in ids {
        lines.push(match posts::close(&core.pool, id, who.member).await? {
            Close::Closed { item } => t.get(
                lang,
                "closed-ok",
                &[("number", Arg::from(id)), ("item", Arg::from(item))],
            ),
            // A message's post that is gone meanwhile: nothing to say about it.
            Close::NotFound if by_reply => continue,
            why => refusal(core, lang, why, id),
        });
    }
    Ok(lines.join("\n"))
}

/// `/garder [N]`.
async fn keep(core: &Core, who: &Asker<'_>, number: &str) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    let Some(ids) = posts_meant(core, who, number).await? else {
        return Ok(t.get(lang, "keep-usage", &[]));
    };
    if ids.is_empty() {
        return Ok(t.get(lang, "closed-reply-none", &[]));
    }
    let tz = who
        .area
        .as_deref()
        .map_or(chrono_tz::Europe::Paris, |a| core.areas.timezone(a));
    let mut lines = Vec::new();
    for id in ids {
        lines.push(match posts::keep(&core.pool, id, who.member).await? {
            Ok((item, renewed)) => {
                let day = (renewed + core.post_life.after()).with_timezone(&tz).date_naive();
                t.get(
                    lang,
                    "kept-ok",
                    &[
                        ("number", Arg::from(id)),
                        ("item", Arg::from(item)),
                        ("date", Arg::from(format_dates(lang, day, day))),
                    ],
                )
            }
            Err(why) => refusal(core, lang, why, id),
        });
    }
    Ok(lines.join("\n"))
}

/// `/langue fr|en`: the member's language, for every answer, notice, reminder and email from
/// now on. The confirmation is said in the new language.
async fn language(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, code: &str) -> anyhow::Result<String> {
    let t = core.texts;
    if code.is_empty() {
        return Ok(t.get(who.lang, "language-usage", &[]));
    }
    let Some(lang) = Lang::parse(code) else {
        return Ok(t.get(who.lang, "language-unknown", &[("code", Arg::from(code))]));
    };
    members::set_lang(tx, who.member, lang).await?;
    Ok(t.get(lang, "language-set", &[]))
}
