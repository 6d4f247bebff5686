//! Export and erasure (issue 14). `/mes-donnees` sends the member, privately, a JSON export of
//! everything held about them across their identities. `/oublier` asks for a confirmation;
//! `/oublier confirmer` within the time limit erases them: their texts are replaced, their
//! copies deleted or redacted through the outbox (with its retries), their posts closed and
//! stripped, their subscriptions and identities removed; the erasure is logged without
//! personal data. The retention step takes the text of messages older than the configured
//! number of days.

use chrono::{DateTime, Duration, Utc};
use tracing::info;

use super::Core;
use super::command::Command;
use super::commands::Asker;
use super::moderation::{answer_at, deletable, private_place, removal};
use crate::i18n::Arg;
use crate::store::deliveries::NewDelivery;
use crate::store::{Tx, privacy};

/// Messages whose text one retention transaction takes.
const RETENTION_BATCH: i64 = 500;

/// Answers `/mes-donnees` and `/oublier`, queuing what it sends.
pub async fn respond(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    cmd: &Command,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<()> {
    match cmd {
        Command::Forget { confirmed } => forget(core, tx, who, *confirmed, queue).await,
        _ => my_data(core, tx, who, queue).await,
    }
}

/// `/mes-donnees`: the export goes privately; said in a room, the room only hears where to
/// look (or how to get it when the bot has no private way to the member).
async fn my_data(core: &Core, tx: &mut Tx<'_>, who: &Asker<'_>, queue: &mut Vec<NewDelivery>) -> anyhow::Result<()> {
    let (t, lang) = (core.texts, who.lang);
    let Some(to) = private_place(tx, who).await? else {
        let text = t.get(
            lang,
            "my-data-no-private",
            &[("command", Arg::from(prefixed(who, "mes-donnees")))],
        );
        queue.push(answer_at(who, who.here.clone(), text, "answer"));
        return Ok(());
    };
    let export = privacy::export(&mut **tx, who.member).await?;
    let text = format!(
        "{}\n\n{}",
        t.get(lang, "my-data-intro", &[]),
        serde_json::to_string_pretty(&export)?
    );
    let mut d = answer_at(who, to.clone(), text, "my-data");
    d.msg.subject = Some(t.get(lang, "my-data-subject", &[]));
    queue.push(d);
    if to != who.here {
        let text = t.get(lang, "my-data-sent-privately", &[]);
        queue.push(answer_at(who, who.here.clone(), text, "answer"));
    }
    Ok(())
}

/// The command `name` as typed on the asker's channel ("/x", "!x").
fn prefixed(who: &Asker<'_>, name: &str) -> String {
    format!("{}{name}", who.m.channel.command_prefix())
}

/// `/oublier`: asks; `/oublier confirmer` within the time limit erases.
async fn forget(
    core: &Core,
    tx: &mut Tx<'_>,
    who: &Asker<'_>,
    confirmed: bool,
    queue: &mut Vec<NewDelivery>,
) -> anyhow::Result<()> {
    let (t, lang) = (core.texts, who.lang);
    let now = Utc::now();
    let window = Duration::minutes(core.trust.forget_confirm_minutes.into());
    let asked = privacy::erasure_asked(tx, who.member).await?;
    if !confirmed || asked.is_none_or(|at| now - at > window) {
        privacy::ask_erasure(tx, who.member, now).await?;
        let text = t.get(
            lang,
            "forget-ask",
            &[
                ("command", Arg::from(prefixed(who, "oublier confirmer"))),
                ("minutes", Arg::from(i64::from(core.trust.forget_confirm_minutes))),
            ],
        );
        queue.push(answer_at(who, who.here.clone(), text, "answer"));
        return Ok(());
    }
    let erased = core.erase_member(tx, who.member, now, queue).await?;
    info!(
        messages = erased.messages,
        posts = erased.posts,
        identities = erased.identities,
        "a member was erased at their request"
    );
    let mut d = answer_at(who, who.here.clone(), t.get(lang, "forget-done", &[]), "answer");
    // Their address must not stay in the outbox once the last word is said.
    d.msg.forget_after = true;
    queue.push(d);
    Ok(())
}

impl Core {
    /// Erases `member` in `tx`: every copy of their messages is deleted or redacted (queued in
    /// `queue`), and then their data (store::privacy::erase).
    pub async fn erase_member(
        &self,
        tx: &mut Tx<'_>,
        member: i64,
        now: DateTime<Utc>,
        queue: &mut Vec<NewDelivery>,
    ) -> anyhow::Result<privacy::Erased> {
        let mut copies = 0;
        for (id, channel, chat, native, kind) in privacy::messages_of(tx, member).await? {
            let (removals, places) = self.copies_removal(tx, id).await?;
            copies += places.len() as i64;
            queue.extend(removals);
            if deletable(channel, kind.as_deref()) {
                queue.push(removal(channel, &chat, &native, format!("erase:{id}"), id));
                copies += 1;
            }
        }
        privacy::erase(tx, member, copies, now).await
    }

    /// Retention: messages sent more than `retention_days` before `now` lose their text (in
    /// batches, each its own transaction; again later is a no-op). Returns how many.
    pub async fn retention_once(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        if self.trust.retention_days == 0 {
            return Ok(0);
        }
        let before = now - Duration::days(self.trust.retention_days.into());
        let mut total = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let n = privacy::expire_texts(&mut tx, before, now, RETENTION_BATCH).await?;
            tx.commit().await?;
            total += n;
            if n < RETENTION_BATCH as u64 {
                return Ok(total);
            }
        }
    }
}
