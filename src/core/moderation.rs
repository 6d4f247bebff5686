//! Area moderators (issue 14). An area's moderators are the administrators of its linked rooms
//! (asked of each channel through `Channel::moderators`, cached in `Core::admins`) and the
//! identities the configuration names (`TrustPolicy::moderators`). In reply to any copy of a
//! message, wherever it was said: `/supprimer` removes it and every copy and closes its posts;
//! `/bannir` stops reading its author on every identity (and bans them from the rooms where
//! the bot may), `/debannir` undoes it; anyone may `/signaler` it: the moderators are told
//! privately, the reporter is thanked privately, and nothing is said in the room. Every action
//! goes to the moderation log, which `/moderation` (`/journal`) lists.

use chrono::{DateTime, Utc};

use super::Core;
use super::command::Command;
use super::commands::Asker;
use super::model::{Address, ChannelKind, Op, OutKind, Outgoing};
use crate::i18n::{Arg, Lang};
use crate::store::deliveries::NewDelivery;
use crate::store::moderation::{self as store, Action, Target};
use crate::store::{Tx, chats, members, messages, posts};

/// Lines of the log one `/moderation` lists.
const LOG_LIMIT: i64 = 15;

/// Whether `member` moderates `area`: one of their identities is named in the configuration,
/// or administers one of the area's rooms (asked of the channel, cached for a short while).
/// The check `may_correct` and every moderator command use.
pub async fn is_moderator(core: &Core, area: &str, member: i64) -> anyhow::Result<bool> {
    let ids = store::identities(&core.pool, member).await?;
    let mut conn = core.pool.acquire().await?;
    accounts_moderate(core, &mut conn, area, &ids).await
}

/// Whether one of `ids` moderates `area`.
async fn accounts_moderate(
    core: &Core,
    db: &mut sqlx::PgConnection,
    area: &str,
    ids: &[(ChannelKind, String)],
) -> anyhow::Result<bool> {
    if ids.iter().any(|(c, id)| core.trust.lists(area, *c, id)) {
        return Ok(true);
    }
    for room in chats::rooms_of(&mut *db, area).await? {
        if !ids.iter().any(|(c, _)| *c == room.channel) {
            continue;
        }
        let admins = core.admins.of(room.channel, &room.external_id).await;
        if ids.iter().any(|(c, id)| *c == room.channel && admins.contains(id)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether the asker moderates `area`, by the account they wrote from (known even on their
/// first message) or any other of their identities.
async fn asker_moderates(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, area: &str) -> anyhow::Result<bool> {
    let mut ids = store::identities(&mut **tx, who.member).await?;
    ids.push((who.m.channel, who.m.sender.clone()));
    accounts_moderate(core, tx, area, &ids).await
}

/// Where the bot can write to account `external_id` of `channel` privately: an email address,
/// a Telegram user's private chat (their user id), the direct Matrix chat they last used.
pub(super) async fn private_address(
    tx: &mut Tx<'_>,
    channel: ChannelKind,
    external_id: &str,
) -> anyhow::Result<Option<Address>> {
    let target = match channel {
        ChannelKind::Email | ChannelKind::Telegram => Some(external_id.to_owned()),
        ChannelKind::Matrix | ChannelKind::Console => chats::direct_chat_of(&mut **tx, channel, external_id).await?,
    };
    Ok(target.map(|target| Address { channel, target }))
}

/// Where the bot can answer the asker privately: here when this chat is private (a direct
/// chat, their own address, the console), else their private chat on this channel.
pub(super) async fn private_place(tx: &mut Tx<'_>, who: &Asker<'_>) -> anyhow::Result<Option<Address>> {
    let m = who.m;
    if m.direct || matches!(m.channel, ChannelKind::Email | ChannelKind::Console) {
        return Ok(Some(who.here.clone()));
    }
    private_address(tx, m.channel, &m.sender).await
}

/// The answer `text` to `who` at `to` (in reply to their message when `to` is where they said
/// it).
pub(super) fn answer_at(who: &Asker<'_>, to: Address, text: String, key: &str) -> NewDelivery {
    let here = to == who.here;
    let mut msg = Outgoing::new(OutKind::Answer, text).in_lang(who.lang);
    if here {
        msg.reply_to = Some(who.m.native_id.clone());
        msg.subject = who.m.re_subject();
    }
    NewDelivery {
        to,
        msg,
        dedupe_key: format!("{key}:{}", who.message_id),
        cause: Some(who.message_id),
    }
}

/// Deletes `native` (a message said in a room) where it was said, through the outbox.
pub(super) fn removal(channel: ChannelKind, chat: &str, native: &str, key: String, cause: i64) -> NewDelivery {
    let mut msg = Outgoing::new(OutKind::Notice, "");
    msg.op = Op::Remove {
        native: native.to_owned(),
    };
    NewDelivery {
        to: Address {
            channel,
            target: chat.to_owned(),
        },
        msg,
        dedupe_key: key,
        cause: Some(cause),
    }
}

/// Whether a message said in chat kind `kind` on `channel` can be deleted there by the bot.
/// Deletes the command `who` said in a room (a report, an address), where the channel can.
pub(super) fn remove_command(who: &Asker<'_>, queue: &mut Vec<NewDelivery>) {
    let m = who.m;
    if !m.direct && deletable(m.channel, Some("room")) {
        queue.push(removal(
            m.channel,
            &m.chat,
            &m.native_id,
            format!("remove:{}", who.message_id),
            who.message_id,
        ));
    }
}

pub(super) fn deletable(channel: ChannelKind, kind: Option<&str>) -> bool {
    channel != ChannelKind::Email && matches!(kind, Some("room" | "group"))
}

/// Answers a moderation command (`/supprimer`, `/bannir`, `/debannir`, `/signaler`,
/// `/moderation`), queuing what it sends.
pub async fn respond(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    cmd: &Command,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<()> {
    let (t, lang) = (core.texts, who.lang);
    match cmd {
        Command::Report => return report(core, tx, who, queue).await,
        Command::ModerationLog => {
            let text = journal(core, tx, who).await?;
            let to = private_place(tx, who).await?.unwrap_or_else(|| who.here.clone());
            queue.push(answer_at(who, to, text, "answer"));
            return Ok(());
        }
        _ => {}
    }
    let text = match replied(tx, who).await? {
        None => t.get(lang, "moderation-reply-needed", &[]),
        Some(target) => match target.area_slug.clone() {
            None => t.get(lang, "moderation-not-found", &[]),
            Some(area) if !asker_moderates(core, tx, who, &area).await? => t.get(lang, "moderation-refused", &[]),
            Some(area) => match cmd {
                Command::Remove => remove(core, tx, who, &target, &area, queue).await?,
                Command::Ban => ban(core, tx, who, &target, &area, queue).await?,
                _ => unban(core, tx, who, &target, &area, queue).await?,
            },
        },
    };
    queue.push(answer_at(who, who.here.clone(), text, "answer"));
    Ok(())
}

/// The message the command answers (a neighbour's message, or any copy or notice of it).
async fn replied(tx: &mut Tx<'_>, who: &Asker<'_>) -> anyhow::Result<Option<Target>> {
    let m = who.m;
    let Some(reply_to) = &m.reply_to else {
        return Ok(None);
    };
    let Some((_, _, _, id)) = messages::replied_original(tx, m.channel, &m.chat, reply_to).await? else {
        return Ok(None);
    };
    store::target(tx, id).await
}

/// `/supprimer`: the message is deleted where it was said, every copy follows, its posts close.
async fn remove(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    target: &Target,
    area: &str,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let lang = who.lang;
    if target.deleted {
        return Ok(core.texts.get(lang, "moderation-already-removed", &[]));
    }
    posts::close_of_message(tx, target.id, "moderated").await?;
    messages::mark_deleted(tx, target.channel, &target.chat, &target.native_id).await?;
    let (removals, copies) = core.copies_removal(tx, target.id).await?;
    queue.extend(removals);
    queue.extend(
        core.notices_removal(tx, target.id, target.channel, &target.chat)
            .await?,
    );
    let mut places: Vec<String> = copies.iter().map(|a| format!("{}:{}", a.channel, a.target)).collect();
    if deletable(target.channel, target.chat_kind.as_deref()) {
        let key = format!("remove:{}", target.id);
        queue.push(removal(
            target.channel,
            &target.chat,
            &target.native_id,
            key,
            who.message_id,
        ));
        places.insert(0, format!("{}:{}", target.channel, target.chat));
    }
    let action = Action {
        area,
        action: "delete",
        actor: who.member,
        subject: target.member_id,
        message: Some(target.id),
        copies: places,
    };
    store::log(tx, &action).await?;
    Ok(core.texts.get(
        lang,
        "moderation-removed",
        &[
            ("name", Arg::from(target.author.as_str())),
            ("copies", Arg::from(action.copies.len())),
        ],
    ))
}

/// The ban operations for `member` in `area`'s rooms where the channel can ban.
async fn ban_ops(
    tx: &mut Tx<'_>,
    member: i64,
    area: &str,
    unban: bool,
    who: &Asker<'_>,
) -> anyhow::Result<(Vec<NewDelivery>, Vec<String>)> {
    let ids = store::identities(&mut **tx, member).await?;
    let (mut ops, mut places) = (Vec::new(), Vec::new());
    for room in chats::rooms_of(&mut **tx, area).await? {
        if !matches!(room.channel, ChannelKind::Telegram | ChannelKind::Matrix) {
            continue;
        }
        for (_, user) in ids.iter().filter(|(c, _)| *c == room.channel) {
            let mut msg = Outgoing::new(OutKind::Notice, "");
            msg.op = match unban {
                false => Op::Ban { user: user.clone() },
                true => Op::Unban { user: user.clone() },
            };
            let kind = if unban { "unban" } else { "ban" };
            places.push(format!("{}:{}", room.channel, room.external_id));
            ops.push(NewDelivery {
                to: Address {
                    channel: room.channel,
                    target: room.external_id.clone(),
                },
                msg,
                dedupe_key: format!("{kind}:{}:{}:{}", who.message_id, room.channel, room.external_id),
                cause: Some(who.message_id),
            });
        }
    }
    Ok((ops, places))
}

/// `/bannir`: the author is no longer read in the area, and is banned from its rooms.
async fn ban(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    target: &Target,
    area: &str,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    let name = [("name", Arg::from(target.author.as_str()))];
    let Some(subject) = target.member_id else {
        return Ok(t.get(lang, "moderation-not-found", &[]));
    };
    if subject == who.member || is_moderator(core, area, subject).await? {
        return Ok(t.get(lang, "moderation-ban-moderator", &name));
    }
    if !store::ban(tx, subject, area, who.member).await? {
        return Ok(t.get(lang, "moderation-already-banned", &name));
    }
    let (ops, copies) = ban_ops(tx, subject, area, false, who).await?;
    queue.extend(ops);
    let action = Action {
        area,
        action: "ban",
        actor: who.member,
        subject: Some(subject),
        message: Some(target.id),
        copies,
    };
    store::log(tx, &action).await?;
    Ok(t.get(lang, "moderation-banned", &name))
}

/// `/debannir`: the ban is lifted, in the rooms too.
async fn unban(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    target: &Target,
    area: &str,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    let name = [("name", Arg::from(target.author.as_str()))];
    let Some(subject) = target.member_id else {
        return Ok(t.get(lang, "moderation-not-found", &[]));
    };
    if !store::unban(tx, subject, area).await? {
        return Ok(t.get(lang, "moderation-not-banned", &name));
    }
    let (ops, copies) = ban_ops(tx, subject, area, true, who).await?;
    queue.extend(ops);
    let action = Action {
        area,
        action: "unban",
        actor: who.member,
        subject: Some(subject),
        message: Some(target.id),
        copies,
    };
    store::log(tx, &action).await?;
    Ok(t.get(lang, "moderation-unbanned", &name))
}

/// The private addresses of `area`'s moderators: those named in the configuration, and the
/// administrators of its rooms (each once).
async fn moderator_addresses(core: &Core, tx: &mut Tx<'_>, area: &str) -> anyhow::Result<Vec<Address>> {
    let mut accounts: Vec<(ChannelKind, String)> = Vec::new();
    for listed in core.trust.moderators.get(area).into_iter().flatten() {
        let l = listed.trim();
        let channel = match l {
            _ if l.starts_with('@') && l.contains(':') => ChannelKind::Matrix,
            _ if l.contains('@') => ChannelKind::Email,
            _ => ChannelKind::Telegram,
        };
        let id = l.strip_prefix("telegram:").unwrap_or(l);
        accounts.push((channel, id.to_owned()));
    }
    for room in chats::rooms_of(&mut **tx, area).await? {
        for id in core.admins.of(room.channel, &room.external_id).await.iter() {
            accounts.push((room.channel, id.clone()));
        }
    }
    let mut places = Vec::new();
    for (channel, id) in accounts {
        if let Some(a) = private_address(tx, channel, &id).await?
            && !places.contains(&a)
        {
            places.push(a);
        }
    }
    Ok(places)
}

/// `/signaler`: the moderators are told privately (a reply "/supprimer" to that notice acts on
/// the message), the reporter is thanked privately, and the command leaves the room.
async fn report(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, queue: &mut Vec<NewDelivery>) -> anyhow::Result<()> {
    let (t, m) = (core.texts, who.m);
    remove_command(who, queue);
    let target = replied(tx, who).await?;
    let text = match target.as_ref().map(|t| (t, t.area_slug.clone())) {
        None => t.get(who.lang, "report-reply-needed", &[]),
        Some((_, None)) => t.get(who.lang, "moderation-not-found", &[]),
        Some((target, Some(area))) => {
            let lang = core.areas.lang(&area);
            let notice = report_notice(core, lang, &area, target, &m.sender_name, m.channel);
            for (i, to) in moderator_addresses(core, tx, &area).await?.into_iter().enumerate() {
                let mut msg = Outgoing::new(OutKind::Notice, notice.clone()).in_lang(lang);
                if to.channel == ChannelKind::Email {
                    msg.subject = Some(t.get(lang, "report-subject", &[]));
                }
                queue.push(NewDelivery {
                    to,
                    msg,
                    dedupe_key: format!("report:{}:{i}", who.message_id),
                    // A reply to the notice points at the reported message.
                    cause: Some(target.id),
                });
            }
            let action = Action {
                area: &area,
                action: "report",
                actor: who.member,
                subject: target.member_id,
                message: Some(target.id),
                copies: Vec::new(),
            };
            store::log(tx, &action).await?;
            t.get(who.lang, "report-thanks", &[])
        }
    };
    if let Some(to) = private_place(tx, who).await? {
        queue.push(answer_at(who, to, text, "answer"));
    }
    Ok(())
}

fn report_notice(core: &Core, lang: Lang, area: &str, target: &Target, by: &str, channel: ChannelKind) -> String {
    let area_name = core.areas.get(area).map_or(area, |a| a.name.as_str());
    core.texts.get(
        lang,
        "report-notice",
        &[
            ("area", Arg::from(area_name)),
            ("name", Arg::from(target.author.as_str())),
            ("text", Arg::from(target.body.as_str())),
            ("reporter", Arg::from(by)),
            ("channel", Arg::from(core.texts.get(lang, channel.text_id(), &[]))),
        ],
    )
}

/// `/moderation`: the area's latest actions, for its moderators.
async fn journal(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>) -> anyhow::Result<String> {
    let (t, lang) = (core.texts, who.lang);
    let area = match &who.area {
        Some(a) => Some(a.clone()),
        None => members::area(tx, who.member).await?,
    };
    let Some(area) = area else {
        return Ok(t.get(lang, "ask-postcode", &[]));
    };
    if !asker_moderates(core, tx, who, &area).await? {
        return Ok(t.get(lang, "moderation-refused", &[]));
    }
    let rows = store::recent(&mut **tx, &area, LOG_LIMIT).await?;
    if rows.is_empty() {
        return Ok(t.get(lang, "moderation-log-empty", &[]));
    }
    let tz = core.areas.timezone(&area);
    let mut lines = vec![t.get(lang, "moderation-log-header", &[("count", Arg::from(rows.len()))])];
    for r in rows {
        lines.push(t.get(
            lang,
            "moderation-log-line",
            &[
                ("when", Arg::from(when(r.created_at, tz))),
                ("action", Arg::from(r.action.as_str())),
                ("actor", Arg::from(r.actor.as_str())),
                ("subject", Arg::from(r.subject.as_str())),
                ("copies", Arg::from(r.copies.len())),
                ("message", Arg::from(r.message_id.unwrap_or_default())),
            ],
        ));
    }
    Ok(lines.join("\n"))
}

fn when(at: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    at.with_timezone(&tz).format("%d/%m %H:%M").to_string()
}
