//! The channel-neutral commands: /aide, /annonces [catégorie], /chercher MOT, /mes-annonces,
//! /fini N. Their words come from bot-scripts/ (Fluent).

use chrono::{Datelike, NaiveDate};

use super::Core;
use super::model::Inbound;
use crate::i18n::{Arg, Lang};
use crate::parse::Category;
use crate::store::posts::{self, Close, Listed};

/// Posts listed by one answer: enough to be useful, short enough for a chat.
const LIST_LIMIT: i64 = 10;

/// A command typed by a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The name without the slash nor the "@BotName" suffix, lower case.
    pub name: String,
    pub args: String,
}

impl Command {
    /// Reads a command at the start of a message (`/annonces@VoisinageBot bricolage`).
    pub fn parse(text: &str) -> Option<Command> {
        let t = text.trim_start();
        let rest = t.strip_prefix('/')?;
        let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let name = head.split('@').next().unwrap_or("").to_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return None;
        }
        Some(Command {
            name,
            args: args.trim().to_owned(),
        })
    }
}

/// French dates for people: "13 juin", "du 3 au 10 août", "du 19 décembre au 3 janvier".
pub fn format_dates(from: NaiveDate, to: NaiveDate) -> String {
    const MONTHS: [&str; 12] = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ];
    let day = |d: NaiveDate| {
        if d.day() == 1 {
            "1er".to_owned()
        } else {
            d.day().to_string()
        }
    };
    let month = |d: NaiveDate| MONTHS[d.month0() as usize];
    if from == to {
        format!("{} {}", day(from), month(from))
    } else if from.month() == to.month() && from.year() == to.year() {
        format!("du {} au {} {}", day(from), day(to), month(to))
    } else {
        format!("du {} {} au {} {}", day(from), month(from), day(to), month(to))
    }
}

fn lines(core: &Core, lang: Lang, rows: &[Listed]) -> String {
    rows.iter()
        .map(|r| {
            let when = match (r.when_from, r.when_to) {
                (Some(a), Some(b)) => format_dates(a, b),
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
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The answer to `cmd` (said in `m`) from `member`, for `area` (None: no area known).
pub async fn answer(
    core: &Core,
    cmd: &Command,
    area: Option<&str>,
    member: i64,
    lang: Lang,
    m: &Inbound,
) -> anyhow::Result<String> {
    let t = core.texts;
    let need_area = || t.get(lang, "ask-postcode", &[]);
    Ok(match cmd.name.as_str() {
        "aide" | "help" | "start" => t.get(lang, "help", &[]),
        "annonces" | "posts" => {
            let Some(area) = area else { return Ok(need_area()) };
            let category = if cmd.args.is_empty() {
                None
            } else {
                match Category::parse(&cmd.args) {
                    Some(c) => Some(c),
                    None => {
                        let all: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
                        return Ok(t.get(
                            lang,
                            "unknown-category",
                            &[
                                ("category", Arg::from(cmd.args.as_str())),
                                ("categories", Arg::from(all.join(", "))),
                            ],
                        ));
                    }
                }
            };
            let rows = posts::open_in_area(&core.pool, area, category.map(|c| c.as_str()), LIST_LIMIT).await?;
            let shown = category
                .map(|c| t.get(lang, &format!("category-{c}"), &[]))
                .unwrap_or_default();
            let has = if category.is_some() { "yes" } else { "no" };
            if rows.is_empty() {
                t.get(
                    lang,
                    "posts-none",
                    &[("has_category", Arg::from(has)), ("category", Arg::from(shown))],
                )
            } else {
                let head = t.get(
                    lang,
                    "posts-header",
                    &[
                        ("count", Arg::from(rows.len())),
                        ("has_category", Arg::from(has)),
                        ("category", Arg::from(shown)),
                    ],
                );
                format!("{head}\n{}", lines(core, lang, &rows))
            }
        }
        "chercher" | "search" => {
            let Some(area) = area else { return Ok(need_area()) };
            if cmd.args.is_empty() {
                return Ok(t.get(lang, "search-usage", &[]));
            }
            let rows = posts::search(&core.pool, area, &cmd.args, LIST_LIMIT).await?;
            if rows.is_empty() {
                t.get(lang, "search-none", &[("query", Arg::from(cmd.args.as_str()))])
            } else {
                let head = t.get(
                    lang,
                    "search-header",
                    &[
                        ("query", Arg::from(cmd.args.as_str())),
                        ("count", Arg::from(rows.len())),
                    ],
                );
                format!("{head}\n{}", lines(core, lang, &rows))
            }
        }
        "mes-annonces" | "mesannonces" | "my-posts" => {
            let rows = posts::of_member(&core.pool, member, LIST_LIMIT).await?;
            if rows.is_empty() {
                t.get(lang, "my-posts-none", &[])
            } else {
                let head = t.get(lang, "my-posts-header", &[("count", Arg::from(rows.len()))]);
                format!("{head}\n{}", lines(core, lang, &rows))
            }
        }
        "fini" | "done" => {
            let number = post_number(cmd);
            // "/fini" in reply to the post's message (or to the bot's copy or notice of it).
            if number.is_empty()
                && let Some(replied) = &m.reply_to
            {
                return close_replied(core, m, replied, member, lang).await;
            }
            let Ok(id) = number.parse::<i64>() else {
                return Ok(t.get(lang, "closed-usage", &[]));
            };
            match posts::close(&core.pool, id, member).await? {
                Close::Closed { item } => t.get(
                    lang,
                    "closed-ok",
                    &[("number", Arg::from(id)), ("item", Arg::from(item))],
                ),
                Close::NotFound => t.get(lang, "closed-not-found", &[("number", Arg::from(id))]),
                Close::NotYours => t.get(lang, "closed-not-yours", &[("number", Arg::from(id))]),
                Close::AlreadyClosed => t.get(lang, "closed-already", &[("number", Arg::from(id))]),
            }
        }
        "garder" | "keep" => {
            let number = post_number(cmd);
            let ids = if number.is_empty()
                && let Some(replied) = &m.reply_to
            {
                posts::of_replied_message(&core.pool, m.channel.as_str(), &m.chat, replied).await?
            } else if let Ok(id) = number.parse::<i64>() {
                vec![id]
            } else {
                return Ok(t.get(lang, "keep-usage", &[]));
            };
            if ids.is_empty() {
                return Ok(t.get(lang, "closed-reply-none", &[]));
            }
            let mut lines = Vec::new();
            for id in ids {
                lines.push(match posts::keep(&core.pool, id, member).await? {
                    Ok((item, renewed)) => {
                        let tz = area.map_or(chrono_tz::Europe::Paris, |a| core.areas.timezone(a));
                        let day = (renewed + core.post_life.after()).with_timezone(&tz).date_naive();
                        t.get(
                            lang,
                            "kept-ok",
                            &[
                                ("number", Arg::from(id)),
                                ("item", Arg::from(item)),
                                ("date", Arg::from(format_dates(day, day))),
                            ],
                        )
                    }
                    Err(Close::NotYours) => t.get(lang, "closed-not-yours", &[("number", Arg::from(id))]),
                    Err(Close::AlreadyClosed) => t.get(lang, "closed-already", &[("number", Arg::from(id))]),
                    Err(_) => t.get(lang, "closed-not-found", &[("number", Arg::from(id))]),
                });
            }
            lines.join("\n")
        }
        other => t.get(lang, "unknown-command", &[("command", Arg::from(format!("/{other}")))]),
    })
}

/// The post number given to /fini or /garder ("12", "n°12", "#12"); empty when none.
fn post_number(cmd: &Command) -> &str {
    cmd.args.trim_start_matches(['n', 'N', '°', '#', ' ']).trim()
}

/// Closes the member's posts made in the message `replied` refers to.
async fn close_replied(core: &Core, m: &Inbound, replied: &str, member: i64, lang: Lang) -> anyhow::Result<String> {
    let t = core.texts;
    let ids = posts::of_replied_message(&core.pool, m.channel.as_str(), &m.chat, replied).await?;
    if ids.is_empty() {
        return Ok(t.get(lang, "closed-reply-none", &[]));
    }
    let mut lines = Vec::new();
    for id in ids {
        lines.push(match posts::close(&core.pool, id, member).await? {
            Close::Closed { item } => t.get(
                lang,
                "closed-ok",
                &[("number", Arg::from(id)), ("item", Arg::from(item))],
            ),
            Close::NotFound => continue,
            Close::NotYours => t.get(lang, "closed-not-yours", &[("number", Arg::from(id))]),
            Close::AlreadyClosed => t.get(lang, "closed-already", &[("number", Arg::from(id))]),
        });
    }
    Ok(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_commands() {
        assert_eq!(
            Command::parse("/annonces@VoisinageBot bricolage"),
            Some(Command {
                name: "annonces".into(),
                args: "bricolage".into()
            })
        );
        assert_eq!(
            Command::parse("/fini 12"),
            Some(Command {
                name: "fini".into(),
                args: "12".into()
            })
        );
        assert_eq!(Command::parse("je prête /ma perceuse"), None);
        assert_eq!(Command::parse("/ "), None);
        assert_eq!(Command::parse("/../etc"), None);
    }

    #[test]
    fn formats_dates_in_french() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert_eq!(format_dates(d(6, 13), d(6, 13)), "13 juin");
        assert_eq!(format_dates(d(8, 3), d(8, 10)), "du 3 au 10 août");
        assert_eq!(format_dates(d(8, 1), d(9, 2)), "du 1er août au 2 septembre");
    }
}
