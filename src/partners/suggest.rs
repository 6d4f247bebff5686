//! The suggestion round: a request that no neighbour's offer answered within the delay gets
//! one partner suggestion, as a reply where it was made. One per request, at most
//! `daily_cap` per member a day, whatever the number of daemons sharing the database.

use anyhow::Context;
use chrono::{DateTime, Utc};

use super::{Partner, Partners};
use crate::config::PartnersSettings;
use crate::core::Core;
use crate::core::model::{Address, ChannelKind, OutKind, Outgoing};
use crate::i18n::{Arg, Lang};
use crate::store::deliveries::{self, NewDelivery};
use crate::store::partners as store;
use crate::store::posts::{self, AuthorPlace};

/// Requests looked at per query.
const BATCH: i64 = 200;

/// Suggests partners for the requests due at `now` (the caller's clock: tests drive it).
/// Returns how many suggestions were queued. A request whose member reached the daily cap is
/// left for a later round; one that no partner fits is recorded as such and never asked again.
#[tracing::instrument(skip_all)]
pub async fn suggest_once(
    core: &Core,
    partners: &Partners,
    cfg: &PartnersSettings,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    if !cfg.enabled || partners.all().is_empty() {
        return Ok(0);
    }
    let before = now - chrono::Duration::hours(i64::from(cfg.delay_hours));
    let mut after = 0;
    let mut queued = 0;
    loop {
        let due = store::due_requests(&core.pool, before, after, BATCH)
            .await
            .context("listing the requests due for a partner suggestion")?;
        let Some(&(last, _)) = due.last() else { break };
        after = last;
        for (request, member) in due {
            // One request's trouble does not hold back the others; the next round retries it.
            match suggest(core, partners, cfg, now, request, member).await {
                Ok(true) => queued += 1,
                Ok(false) => {}
                Err(e) => tracing::warn!(request, error = %format!("{e:#}"), "cannot suggest a partner"),
            }
        }
    }
    if queued > 0 {
        core.outbox_wake.notify_one();
        tracing::info!(queued, "partner suggestions queued");
    }
    Ok(queued)
}

/// One request, in one transaction; true when a suggestion was queued.
async fn suggest(
    core: &Core,
    partners: &Partners,
    cfg: &PartnersSettings,
    now: DateTime<Utc>,
    request: i64,
    member: i64,
) -> anyhow::Result<bool> {
    let mut tx = core.pool.begin().await?;
    if !store::lock_and_recheck(&mut tx, member, request).await? {
        return Ok(false);
    }
    let Some(place) = posts::author_places(&mut *tx, &[request]).await?.pop() else {
        return Ok(false);
    };
    let partner = partners.best_for(&place.area_slug, &place.category, &place.item);
    if partner.is_some() && store::suggested_in_day(&mut tx, member, now).await? >= i64::from(cfg.daily_cap) {
        // At the cap: nothing recorded, so a later round tries again.
        return Ok(false);
    }
    let recorded = store::record(&mut tx, request, member, partner.map(|p| p.id.as_str()), now).await?;
    let mut queued = false;
    if recorded && let Some(partner) = partner {
        let delivery = suggestion(core, &place, partner, place.lang)?;
        queued = deliveries::enqueue_many(&mut tx, &[delivery]).await? > 0;
    }
    tx.commit().await?;
    Ok(queued)
}

/// The suggestion for `place`'s author, in their language, as a reply to the request.
fn suggestion(core: &Core, place: &AuthorPlace, partner: &Partner, lang: Lang) -> anyhow::Result<NewDelivery> {
    let channel = place.channel;
    let link = partner.link(&core.links, &place.area_slug, &place.item);
    let args = [
        ("item", Arg::from(place.item.as_str())),
        ("partner", Arg::from(partner.name.as_str())),
        ("description", Arg::from(partner.description.as_str())),
        ("link", Arg::from(link)),
        ("paid", Arg::from(if partner.paid { "yes" } else { "no" })),
    ];
    let texts = core.texts;
    let mut msg = Outgoing::new(OutKind::Partner, texts.get(lang, "partner-suggestion", &args))
        .replying(Some(place.native_id.clone()))
        .in_lang(lang);
    msg.html = Some(texts.get_html(
        lang,
        "partner-suggestion",
        &args,
        &["item", "partner", "description", "link"],
        &["partner"],
    ));
    if channel == ChannelKind::Email {
        msg.subject = Some(texts.get(
            lang,
            "partner-suggestion-subject",
            &[("item", Arg::from(place.item.as_str()))],
        ));
    }
    Ok(NewDelivery {
        to: Address {
            channel,
            target: place.target.clone(),
        },
        msg,
        dedupe_key: format!("partner:{}", place.post_id),
        cause: Some(place.message_id),
    })
}
