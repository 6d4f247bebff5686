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

/// The answer to what `who` said to the bot directly (`cmd` if it is a command).
pub async fn answer(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, cmd: Option<&Command>) -> anyhow::Result<Outgoing> {
    let (t, m, member, lang) = (core.texts, who.m, who.member, who.lang);
    let member_area = members::area(tx, member).await?;
    let location_button = || Choice::Location {
        label: t.get(lang, "share-location-button", &[]),
    };
    let ask = |id: &str, args: &[(&str, Arg)]| {
        let mut o = Outgoing::new(OutKind::Answer, t.get(lang, id, args));
        o.choices.push(location_button());
        o
    };
    if let Some(cmd) = cmd {
        return Ok(match cmd {
            Command::Start { args: wanted } | Command::Area { wanted } => {
                let wanted = wanted.split_whitespace().next().unwrap_or("");
                if wanted.is_empty() {
                    match &member_area {
                        Some(area) => Outgoing::new(OutKind::Answer, rooms::area_links(core, tx, area, lang).await?),
                        None => ask("onboarding-welcome", &[]),
                    }
                } else {
                    match find_area(core, wanted) {
                        Some(area) => settle(core, tx, member, area, lang).await?,
                        None => ask("area-unknown", &[("slug", Arg::from(wanted))]),
                    }
                }
            }
            _ if cmd.is_room_command() => {
                Outgoing::new(OutKind::Answer, rooms::room_command(core, tx, who, cmd).await?)
            }
            _ => {
                let here = Asker {
                    area: member_area,
                    ..who.clone()
                };
                Outgoing::new(OutKind::Answer, commands::answer(core, tx, &here, cmd).await?)
            }
        });
    }
    if let Some((lat, lon)) = m.location {
        return Ok(match core.areas.locate(lat, lon) {
            Some(area) => settle(core, tx, member, area, lang).await?,
            None => ask("location-outside", &[]),
        });
    }
    let text = m.text.trim();
    if PostalCode::parse_lenient(text).is_ok() {
        let found = core.areas.by_postcode(text);
        return Ok(match found.as_slice() {
            [] => ask("postcode-unknown", &[("code", Arg::from(text))]),
            [area] => settle(core, tx, member, area, lang).await?,
            several => {
                let names = several
                    .iter()
                    .map(|a| format!("{} ({})", a.name, a.slug.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut o = Outgoing::new(
                    OutKind::Answer,
                    t.get(
                        lang,
                        "postcode-several",
                        &[("code", Arg::from(text)), ("areas", Arg::from(names))],
                    ),
                );
                o.choices = several
                    .iter()
                    .map(|a| Choice::Reply { label: a.name.clone() })
                    .collect();
                o.choices.push(location_button());
                o
            }
        });
    }
    if let Some(area) = find_area(core, text) {
        return settle(core, tx, member, area, lang).await;
    }
    Ok(match member_area {
        None => ask("ask-postcode", &[]),
        Some(area) => {
            let name = core.areas.get(&area).map(|a| a.name.clone()).unwrap_or(area);
            Outgoing::new(
                OutKind::Answer,
                t.get(lang, "direct-hint", &[("area", Arg::from(name))]),
            )
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
