//! Email subscriptions with double opt-in. `/courriel ADRESSE [rythme]` (from any chat) only
//! sends a confirmation link; the subscription exists once its owner followed it. Links are
//! signed (see `tokens`): a confirmation carries what was asked and expires after a week; an
//! unsubscribe link names the subscription and does not expire.

use chrono::Utc;

use super::Core;
use super::commands::Asker;
use super::links::{Request, Rhythm};
use super::model::{Address, ChannelKind, OutKind, Outgoing};
use super::moderation::{answer_at, remove_command};
use crate::i18n::{Arg, Lang, link_words};
use crate::store::deliveries::{self, NewDelivery};
use crate::store::{Tx, chats};

/// A plausible email address, lower-cased: one @, a dotted domain, no spaces or brackets.
pub fn normalize_address(s: &str) -> Option<String> {
    let s = s.trim().trim_matches(['<', '>']).to_lowercase();
    let (local, domain) = s.split_once('@')?;
    let ok_char = |c: char| !c.is_whitespace() && !"<>()[]\\,;:\"@".contains(c);
    (!local.is_empty()
        && local.len() <= 64
        && s.len() <= 254
        && local.chars().all(ok_char)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.'))
    .then_some(s)
}

/// The address in a mailbox written "Name <local@domain>" or "local@domain", as written.
pub fn bare_address(mailbox: &str) -> Option<&str> {
    let addr = match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => &mailbox[a + 1..b],
        _ => mailbox,
    }
    .trim();
    let (local, domain) = addr.rsplit_once('@')?;
    (!local.is_empty() && !domain.is_empty() && !local.contains(char::is_whitespace)).then_some(addr)
}

/// The bot's plus-address carrying `token` ("local+token@domain"): mail to it reaches the
/// bot's mailbox, and the token says what it answers.
pub fn plus_address(address: &str, token: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    Some(format!("{local}+{token}@{domain}"))
}

fn rhythm_word(core: &Core, lang: Lang, r: Rhythm) -> String {
    core.texts.get(lang, &format!("rhythm-{}", r.as_str()), &[])
}

/// Answers `/courriel ADRESSE [rythme]` said by `who` for `area`; queues the confirmation,
/// or says when it went if the same request already sent one today (it is queued once a day).
pub async fn request(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    args: &str,
    area: Option<&str>,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    let mut words = args.split_whitespace();
    let (Some(address), rhythm) = (words.next().and_then(normalize_address), words.next()) else {
        return Ok(t.get(lang, "email-usage", &[]));
    };
    let rhythm = match rhythm.map(Rhythm::parse) {
        None => Rhythm::Weekly,
        Some(Some(r)) => r,
        Some(None) => return Ok(t.get(lang, "email-usage", &[])),
    };
    let Some(area) = area else {
        return Ok(t.get(lang, "ask-postcode", &[]));
    };
    // Said in a Telegram group or a Matrix room, the answer is read by everyone there: the bot
    // removes the command (which shows the address) where it may, answers in the member's
    // private chat when it has one, and otherwise answers without the address and points to a
    // private chat. (The console of `voisinage try` has one reader; by email, the answer goes
    // to the sender alone.)
    let public = !who.m.direct && matches!(who.m.channel, ChannelKind::Telegram | ChannelKind::Matrix);
    let private = if public {
        remove_command(who, queue);
        chats::direct_chat_of(&mut **tx, who.m.channel, &who.m.sender).await?
    } else {
        None
    };
    let answer = confirm_or_say_sent(
        core,
        tx,
        who,
        &address,
        area,
        rhythm,
        public && private.is_none(),
        queue,
    )
    .await?;
    let Some(target) = private else {
        return Ok(match core.admins.private_link(who.m.channel).filter(|_| public) {
            Some(link) => format!(
                "{answer}\n{}",
                t.get(lang, "private-chat-link", &[("link", Arg::from(link))])
            ),
            None => answer,
        });
    };
    let to = Address {
        channel: who.m.channel,
        target,
    };
    queue.push(answer_at(who, to, answer, "private-answer"));
    Ok(t.get(lang, "email-answered-privately", &[]))
}

/// Queues the confirmation of a `/courriel` request (once a day for the same request) and
/// says so; `public` answers name no address.
#[allow(clippy::too_many_arguments)]
async fn confirm_or_say_sent(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    address: &str,
    area: &str,
    rhythm: Rhythm,
    public: bool,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    if let Some(at) = deliveries::queued_at(tx, &confirmation_key(address, area, rhythm)).await? {
        let time = at.with_timezone(&core.areas.timezone(area)).format("%H:%M").to_string();
        let args = [("address", Arg::from(address)), ("time", Arg::from(time))];
        let id = if public {
            "email-confirm-already-public"
        } else {
            "email-confirm-already"
        };
        return Ok(t.get(lang, id, &args));
    }
    queue.push(confirmation(core, tx, address, area, rhythm, Some(who.member), lang).await?);
    let name = core
        .areas
        .get(area)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| area.to_owned());
    Ok(t.get(
        lang,
        if public {
            "email-confirm-sent-public"
        } else {
            "email-confirm-sent"
        },
        &[
            ("address", Arg::from(address)),
            ("area", Arg::from(name.as_str())),
            ("rhythm", Arg::from(rhythm_word(core, lang, rhythm))),
        ],
    ))
}

/// The dedupe key of the confirmation of a request: one a day for the same request.
fn confirmation_key(address: &str, area: &str, rhythm: Rhythm) -> String {
    format!(
        "email-confirm:{address}:{area}:{}:{}",
        rhythm.as_str(),
        Utc::now().date_naive()
    )
}

/// The email asking `address` to confirm that it wants `area`'s news at `rhythm`. Queued at
/// most once a day for the same request, so asking again does not flood the address. The
/// request is kept as a pending row (in `tx`) whose id the link signs: the link shows neither
/// the address nor the area.
pub async fn confirmation(
    core: &Core,
    tx: &mut Tx<'_>,
    address: &str,
    area: &str,
    rhythm: Rhythm,
    member: Option<i64>,
    lang: Lang,
) -> anyhow::Result<NewDelivery> {
    let t = core.texts;
    let name = core
        .areas
        .get(area)
        .map(|a| a.name.clone())
        .unwrap_or_else(|| area.to_owned());
    let req = Request {
        address: address.to_owned(),
        area: area.to_owned(),
        rhythm,
        member,
        lang,
        issued: Utc::now().timestamp(),
    };
    let pending = crate::store::subscriptions::add_pending(tx, &req).await?;
    let url = core.links.confirm_url_of(pending, req.issued);
    let args = [
        ("area", Arg::from(name.as_str())),
        ("rhythm", Arg::from(rhythm_word(core, lang, rhythm))),
        ("link", Arg::from(url.as_str())),
    ];
    let mut mail = Outgoing::new(OutKind::Answer, t.get(lang, "email-confirm-body", &args)).in_lang(lang);
    let html = t.get_html(lang, "email-confirm-body", &args, &["area", "rhythm", "link"], &[]);
    mail.html = Some(link_words(&html, &url, &t.get(lang, "email-confirm-link", &[])));
    mail.subject = Some(t.get(lang, "email-confirm-subject", &[("area", Arg::from(name.as_str()))]));
    Ok(NewDelivery {
        to: Address {
            channel: ChannelKind::Email,
            target: address.to_owned(),
        },
        msg: mail,
        dedupe_key: confirmation_key(address, area, rhythm),
        cause: None,
    })
}

/// What someone who is not subscribed asks by email: "inscription 35400", "inscription
/// saint-servan hebdo"… The area (or the areas to choose from) and the rhythm.
pub fn read_email_request(core: &Core, text: &str) -> Option<Result<(String, Rhythm), Vec<String>>> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.' || c == ':' || c == '!')
        .filter(|w| !w.is_empty())
        .collect();
    let asks = ["inscription", "inscrire", "abonnement", "subscribe"]
        .iter()
        .any(|k| words.contains(k));
    if !asks {
        return None;
    }
    let rhythm = words.iter().find_map(|w| Rhythm::parse(w)).unwrap_or(Rhythm::Weekly);
    if let Some(area) = words.iter().find_map(|w| core.areas.get(w)) {
        return Some(Ok((area.slug.as_str().to_owned(), rhythm)));
    }
    let found = words
        .iter()
        .map(|w| core.areas.by_postcode(w))
        .find(|a| !a.is_empty())?;
    match found.as_slice() {
        [one] => Some(Ok((one.slug.as_str().to_owned(), rhythm))),
        several => Some(Err(several.iter().map(|a| a.slug.as_str().to_owned()).collect())),
    }
}

/// The language of a stranger's request: English keywords ("subscribe", "weekly"…) mean
/// English; None when nothing says.
pub fn language_of_request(text: &str) -> Option<Lang> {
    let lower = text.to_lowercase();
    let english = ["subscribe", "subscription", "weekly", "daily", "hello", "please"];
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| english.contains(&w))
        .then_some(Lang::En)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_plus_address_comes_from_its_mailbox() {
        let bare = bare_address("Voisinage <voisinage@example.org>").unwrap();
        assert_eq!(bare, "voisinage@example.org");
        assert_eq!(bare_address("voisinage@example.org"), Some("voisinage@example.org"));
        assert!(bare_address("pas une adresse").is_none());
        assert!(bare_address("Voisinage <@example.org>").is_none());
        assert_eq!(
            plus_address(bare, "r12.0a1b").as_deref(),
            Some("voisinage+r12.0a1b@example.org")
        );
    }

    #[test]
    fn addresses_and_rhythms_are_read_leniently() {
        assert_eq!(
            normalize_address(" <Jeanne@Exemple.FR> ").as_deref(),
            Some("jeanne@exemple.fr")
        );
        assert_eq!(normalize_address("a b@c.fr"), None);
        assert_eq!(normalize_address("nobody"), None);
        assert_eq!(normalize_address("x@localhost"), None);
    }
}
