//! A direct conversation with the bot: finding one's area from a shared position, a postcode
//! (several areas for one code: the bot asks which) or a deep link, then the links to the
//! area's rooms. Commands work here too, for the member's area.

use super::Core;
use super::command::Command;
use super::commands::{self, Asker};
use super::model::{Choice, OutKind, Outgoing};
use super::rooms;
use crate::areas::{Area, PostalCode};
use crate::i18n::{Arg, Lang};
use crate::store::{Tx, members};

/// A question with the "share my position" button.
fn ask(core: &Core, lang: Lang, id: &str, args: &[(&str, Arg)]) -> Outgoing {
    let mut o = Outgoing::new(OutKind::Answer, core.texts.get(lang, id, args));
    o.choices.push(location_button(core, lang));
    o
}

fn location_button(core: &Core, lang: Lang) -> Choice {
    Choice::Location {
        label: core.texts.get(lang, "share-location-button", &[]),
    }
}

/// The answer to what `who` said to the bot directly (`cmd` if it is a command).
pub async fn answer(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, cmd: Option<&Command>) -> anyhow::Result<Outgoing> {
    let (m, member, lang) = (who.m, who.member, who.lang);
    let member_area = members::area(tx, member).await?;
    if let Some(cmd) = cmd {
        return command(core, tx, who, cmd, member_area).await;
    }
    if let Some((lat, lon)) = m.location {
        return Ok(match core.areas.locate(lat, lon) {
            Some(area) => settle(core, tx, member, area, lang).await?,
            None => ask(core, lang, "location-outside", &[]),
        });
    }
    let text = m.text.trim();
    if PostalCode::parse_lenient(text).is_ok() {
        return postcode(core, tx, who, text).await;
    }
    if let Some(area) = find_area(core, text) {
        return settle(core, tx, member, area, lang).await;
    }
    Ok(match member_area {
        None => ask(core, lang, "ask-postcode", &[]),
        Some(area) => {
            let name = core.areas.get(&area).map(|a| a.name.clone()).unwrap_or(area);
            let text = core.texts.get(lang, "direct-hint", &[("area", Arg::from(name))]);
            Outgoing::new(OutKind::Answer, text)
        }
    })
}

/// A command in a direct chat: `/start [deep link]` and `/quartier [nom]` settle the member;
/// the others are answered for the member's area.
async fn command(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    cmd: &Command,
    member_area: Option<String>,
) -> anyhow::Result<Outgoing> {
    let lang = who.lang;
    Ok(match cmd {
        Command::Start { args: wanted } | Command::Area { wanted } => {
            let wanted = wanted.split_whitespace().next().unwrap_or("");
            match (wanted.is_empty(), &member_area) {
                (true, Some(area)) => Outgoing::new(OutKind::Answer, rooms::area_links(core, tx, area, lang).await?),
                (true, None) => ask(core, lang, "onboarding-welcome", &[]),
                (false, _) => match find_area(core, wanted) {
                    Some(area) => settle(core, tx, who.member, area, lang).await?,
                    None => ask(core, lang, "area-unknown", &[("slug", Arg::from(wanted))]),
                },
            }
        }
        _ if cmd.is_room_command() => Outgoing::new(OutKind::Answer, rooms::room_command(core, tx, who, cmd).await?),
        _ => {
            let here = Asker {
                area: member_area,
                ..who.clone()
            };
            commands::answer(core, tx, &here, cmd).await?
        }
    })
}

/// A postcode: its one area settles the member; several areas are offered as buttons.
async fn postcode(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, code: &str) -> anyhow::Result<Outgoing> {
    let lang = who.lang;
    let found = core.areas.by_postcode(code);
    Ok(match found.as_slice() {
        [] => ask(core, lang, "postcode-unknown", &[("code", Arg::from(code))]),
        [area] => settle(core, tx, who.member, area, lang).await?,
        several => {
            let names = several
                .iter()
                .map(|a| format!("{} ({})", a.name, a.slug.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            let args = [("code", Arg::from(code)), ("areas", Arg::from(names))];
            let mut o = Outgoing::new(OutKind::Answer, core.texts.get(lang, "postcode-several", &args));
            o.choices = several
                .iter()
                .map(|a| Choice::Reply { label: a.name.clone() })
                .collect();
            o.choices.push(location_button(core, lang));
            o
        }
    })
}

/// The area named by its slug or its name (case and accents aside).
fn find_area<'a>(core: &'a Core, said: &str) -> Option<&'a Area> {
    let key = fold(said);
    if key.is_empty() || key.len() > 100 {
        return None;
    }
    core.areas
        .all()
        .iter()
        .find(|a| fold(a.slug.as_str()) == key || fold(&a.name) == key)
}

fn fold(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' => 'e',
            'î' | 'ï' | 'Î' => 'i',
            'ô' | 'ö' | 'Ô' => 'o',
            'ù' | 'û' | 'ü' | 'Û' => 'u',
            'ç' | 'Ç' => 'c',
            '-' | '_' | '\'' | '’' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The member lives in `area`: remember it and give the links.
async fn settle(core: &Core, tx: &mut Tx<'_>, member: i64, area: &Area, lang: Lang) -> anyhow::Result<Outgoing> {
    members::set_area(tx, member, area.slug.as_str()).await?;
    Ok(Outgoing::new(
        OutKind::Answer,
        rooms::area_links(core, tx, area.slug.as_str(), lang).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn folds_names_and_slugs_alike() {
        assert_eq!(fold("Saint-Servan"), fold("saint servan"));
        assert_eq!(fold("  Paramé "), "parame");
        assert_eq!(fold("intra_muros"), fold("Intra-Muros"));
    }
}
