//! The private line to the town hall (issue 18): `/mairie TEXTE` said in a private chat with
//! the bot (or by email) goes by email to the contact of the commune of the resident's area,
//! never to a room; the contact's answer, a reply to that email, comes back into the
//! resident's chat (core/mail.rs, `town_hall_answer`).
//!
//! The email carries a reply token of its own kind (`m<message id>`), sent to the contact
//! alone: the tokens of relayed copies (`r…`), which every subscriber receives, cannot make a
//! mail pass for the town hall's answer.

use super::Core;
use super::commands::Asker;
use super::model::{Address, ChannelKind, OutKind, Outgoing};
use super::moderation;
use crate::i18n::{Arg, Lang};
use crate::store::deliveries::NewDelivery;
use crate::store::{Tx, members};

/// The prefix of the signed token naming the resident's message in the contact's email.
pub(super) const TOKEN_PREFIX: char = 'm';

/// Answers `/mairie TEXT`, queueing the email to the commune's contact when there is one.
pub(super) async fn respond(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    text: &str,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    // Said in a group, everyone there reads it: the bot removes it where it may and points to
    // a private chat. Email has one reader (the list does not relay commands).
    if !who.m.direct && matches!(who.m.channel, ChannelKind::Telegram | ChannelKind::Matrix) {
        moderation::remove_command(who, queue);
        return Ok(t.get(lang, "town-hall-private-only", &[]));
    }
    let text = text.trim();
    if text.is_empty() {
        return Ok(t.get(lang, "town-hall-usage", &[]));
    }
    let slug = match &who.area {
        Some(a) => Some(a.clone()),
        None => members::area(tx, who.member).await?,
    };
    let Some(area) = slug.as_deref().and_then(|s| core.areas.get(s)) else {
        return Ok(t.get(lang, "town-hall-no-area", &[]));
    };
    let commune = [("commune", Arg::from(area.commune.as_str()))];
    let Some(contact) = core.town_halls.get(&area.commune) else {
        return Ok(t.get(lang, "town-hall-closed", &commune));
    };
    // Town halls read French.
    let staff_lang = Lang::Fr;
    let args = [
        ("name", Arg::from(who.m.sender_name.as_str())),
        ("channel", Arg::from(t.get(staff_lang, who.m.channel.text_id(), &[]))),
        ("area", Arg::from(area.name.as_str())),
        ("text", Arg::from(text)),
    ];
    let mut mail = Outgoing::new(OutKind::Notice, t.get(staff_lang, "town-hall-mail", &args)).in_lang(staff_lang);
    mail.subject = Some(t.get(staff_lang, "town-hall-mail-subject", &args));
    mail.reply_token = Some(
        core.links
            .signer
            .sign_short(&format!("{TOKEN_PREFIX}{}", who.message_id)),
    );
    queue.push(NewDelivery {
        to: Address {
            channel: ChannelKind::Email,
            target: contact.clone(),
        },
        msg: mail,
        dedupe_key: format!("town-hall:{}", who.message_id),
        cause: Some(who.message_id),
    });
    Ok(t.get(lang, "town-hall-sent", &commune))
}

impl Core {
    /// The commune whose contact `address` is, if any.
    pub fn town_hall_of(&self, address: &str) -> Option<&str> {
        self.town_halls
            .iter()
            .find(|(_, contact)| contact.eq_ignore_ascii_case(address))
            .map(|(commune, _)| commune.as_str())
    }
}
