//! Rooms: `/relier QUARTIER` and `/delier` in a group (by an administrator the adapter has
//! checked), and the links to an area's rooms that onboarding gives.

use super::Core;
use super::command::Command;
use super::commands::Asker;
use super::model::ChannelKind;
use crate::i18n::{Arg, Lang};
use crate::store::{Tx, chats};

/// The areas, as "slug (Name)", for usage texts.
fn area_list(core: &Core) -> String {
    core.areas
        .all()
        .iter()
        .map(|a| format!("{} ({})", a.slug.as_str(), a.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Answers `/relier SLUG` or `/delier` said in `who`'s chat.
pub async fn room_command(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, cmd: &Command) -> anyhow::Result<String> {
    let (t, m, lang) = (core.texts, who.m, who.lang);
    if m.direct {
        return Ok(t.get(lang, "link-in-group-only", &[]));
    }
    if !m.sender_is_admin {
        return Ok(t.get(lang, "link-refused", &[]));
    }
    let example = core.areas.all().first().map(|a| a.slug.as_str()).unwrap_or("quartier");
    let slug = match cmd {
        Command::Link { slug } => slug.as_str(),
        _ => "",
    };
    if *cmd == Command::Unlink {
        return Ok(match chats::unlink_room(tx, m.channel, &m.chat).await? {
            Some(slug) => {
                let name = core.areas.get(&slug).map(|a| a.name.clone()).unwrap_or(slug);
                t.get(lang, "unlink-ok", &[("area", Arg::from(name))])
            }
            None => t.get(lang, "unlink-not-linked", &[]),
        });
    }
    if slug.is_empty() {
        return Ok(t.get(
            lang,
            "link-usage",
            &[("example", Arg::from(example)), ("areas", Arg::from(area_list(core)))],
        ));
    }
    let Some(area) = core.areas.get(slug) else {
        return Ok(t.get(
            lang,
            "link-unknown-area",
            &[("slug", Arg::from(slug)), ("areas", Arg::from(area_list(core)))],
        ));
    };
    chats::link_room_tx(tx, m.channel, &m.chat, area.slug.as_str()).await?;
    Ok(t.get(lang, "link-ok", &[("area", Arg::from(area.name.as_str()))]))
}

/// How to join `area`: its rooms' links, in the member's language.
pub async fn area_links(core: &Core, tx: &mut Tx<'_>, area: &str, lang: Lang) -> anyhow::Result<String> {
    let rooms = chats::rooms_of(&mut **tx, area).await?;
    let link = |kind: ChannelKind| {
        rooms
            .iter()
            .find(|r| r.channel == kind)
            .and_then(|r| match kind {
                // A Matrix room can always be reached through matrix.to.
                ChannelKind::Matrix => Some(
                    r.invite_link
                        .clone()
                        .unwrap_or_else(|| format!("https://matrix.to/#/{}", r.external_id)),
                ),
                _ => r.invite_link.clone(),
            })
            .unwrap_or_default()
    };
    let has = |s: &str| Arg::from(if s.is_empty() { "no" } else { "yes" });
    let telegram = link(ChannelKind::Telegram);
    let matrix = link(ChannelKind::Matrix);
    let name = core
        .areas
        .get(area)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| area.to_owned());
    Ok(core.texts.get(
        lang,
        "area-links",
        &[
            ("area", Arg::from(name)),
            ("has_telegram", has(&telegram)),
            ("telegram", Arg::from(telegram)),
            ("has_matrix", has(&matrix)),
            ("matrix", Arg::from(matrix)),
        ],
    ))
}
