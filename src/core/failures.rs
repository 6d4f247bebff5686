//! The sender is told when a copy of their message fails for good (the chat is gone, the
//! address refused it, the attempts are spent): one short notice, where they hear and in their
//! language, once per message and cause (`failure_notices`, whichever daemon sees it first).
//! Only relayed copies of a member's message make a notice, so a notice never makes another.

use sqlx::PgPool;

use super::model::{Address, FailureCause, OutKind, Outgoing};
use crate::i18n::{Arg, Texts};
use crate::store::deliveries::{self, NewDelivery};
use crate::store::failures::{self, FailedCopy};

/// Characters of the message quoted in the notice.
const EXCERPT_CHARS: usize = 60;

/// Tells the authors of the relayed copies among `failed` (deliveries already marked failed)
/// that they failed for `cause`, once per message and cause. Returns how many notices were
/// queued; the caller rings the outbox when it wants them sent at once.
pub async fn tell_authors(pool: &PgPool, texts: &Texts, failed: &[i64], cause: FailureCause) -> anyhow::Result<u64> {
    if failed.is_empty() {
        return Ok(0);
    }
    let mut tx = pool.begin().await?;
    let copies = failures::claim(&mut tx, failed, cause).await?;
    let queue: Vec<NewDelivery> = copies.iter().map(|c| notice(texts, c, cause)).collect();
    let n = deliveries::enqueue_many(&mut tx, &queue).await?;
    tx.commit().await?;
    if n > 0 {
        tracing::info!(
            notices = n,
            cause = cause.as_str(),
            "authors told that a copy failed for good"
        );
    }
    Ok(n)
}

/// The notice to the author of `c`, as a reply to their message.
fn notice(texts: &Texts, c: &FailedCopy, cause: FailureCause) -> NewDelivery {
    let (to, name) = match (&c.failed_name, c.to_room) {
        (Some(name), true) => (format!("room-{}", c.failed_channel.as_str()), name.clone()),
        (Some(name), false) => ("person".to_owned(), name.clone()),
        (None, _) => ("someone".to_owned(), String::new()),
    };
    let args = [
        ("excerpt", Arg::from(excerpt(&c.body))),
        ("to", Arg::from(to)),
        ("name", Arg::from(name)),
        ("cause", Arg::from(cause.as_str())),
        ("room", Arg::from(if c.to_room { "yes" } else { "no" })),
    ];
    let mut msg = Outgoing::new(OutKind::Notice, texts.get(c.lang, "failure-notice", &args))
        .in_lang(c.lang)
        .replying(Some(c.author_native_id.clone()));
    msg.subject = Some(texts.get(c.lang, "failure-notice-subject", &[]));
    NewDelivery {
        to: Address {
            channel: c.author_channel,
            target: c.author_target.clone(),
        },
        msg,
        dedupe_key: format!("failure:{}:{}", c.message_id, cause.as_str()),
        cause: Some(c.message_id),
    }
}

/// The start of `body` on one line, cut at a word with "…" when longer than [`EXCERPT_CHARS`].
fn excerpt(body: &str) -> String {
    let flat = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= EXCERPT_CHARS {
        return flat;
    }
    let cut: String = flat.chars().take(EXCERPT_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > EXCERPT_CHARS / 2 => &cut[..i],
        _ => &cut[..],
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("Je prête\nma perceuse"), "Je prête ma perceuse");
        let long = "Bonjour à tous, je prête ma perceuse sans fil et mon escabeau ce week-end, écrivez-moi";
        let e = excerpt(long);
        assert!(e.ends_with('…') && e.chars().count() <= EXCERPT_CHARS + 1, "{e}");
        assert!(long.starts_with(e.trim_end_matches('…')));
    }
}
