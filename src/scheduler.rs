//! The daemon's clock: on each tick, the digests that are due, the posts that expire, the
//! loan reminders, the partner suggestions whose delay has passed, and the texts past their retention. Each step is idempotent and safe with several
//! daemons (unique digests, row locks, dedupe keys), so every daemon runs a scheduler and a
//! missed tick is caught up by the next one. Tests call the steps with a time of their own.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::config::{PartnersSettings, Settings};
use crate::core::Core;
use crate::digest::Digester;
use crate::partners::Partners;

/// The scheduler task.
pub struct Scheduler {
    core: Arc<Core>,
    digester: Arc<Digester>,
    digests: bool,
    partners: Arc<Partners>,
    partner_settings: PartnersSettings,
    tick: Duration,
}

impl Scheduler {
    pub fn new(core: Arc<Core>, digester: Arc<Digester>, partners: Arc<Partners>, settings: &Settings) -> Scheduler {
        Scheduler {
            core,
            digester,
            digests: settings.digest.enabled,
            partners,
            partner_settings: settings.partners.clone(),
            tick: Duration::from_secs(settings.digest.tick_secs),
        }
    }

    /// One tick at `now`: each step's failure is logged and does not stop the others.
    pub async fn tick_at(&self, now: chrono::DateTime<Utc>) {
        if self.digests {
            match self.digester.run_once(now).await {
                Ok(r) if r.queued + r.empty > 0 => debug!(?r, "digest round"),
                Ok(_) => {}
                Err(e) => warn!(error = %format!("{e:#}"), "digest round failed"),
            }
        }
        match self.core.expire_once(now).await {
            Ok(x) if x.closed + x.reminded > 0 => info!(closed = x.closed, reminded = x.reminded, "posts expired"),
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "expiry round failed"),
        }
        match self.core.loans_once(now).await {
            Ok(r) if r.reminded + r.overdue > 0 => {
                info!(reminded = r.reminded, overdue = r.overdue, "loan reminders")
            }
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "loan round failed"),
        }
        match self.core.expire_questions_once(now).await {
            Ok(n) if n > 0 => info!(expired = n, "unanswered questions expired"),
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "question expiry failed"),
        }
        match self.core.retention_once(now).await {
            Ok(n) if n > 0 => info!(messages = n, "old messages lost their text (retention)"),
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "retention round failed"),
        }
        match self.core.purge_media_once(now, 500).await {
            Ok(n) if n > 0 => info!(files = n, "files no message carries any more deleted"),
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "media purge failed"),
        }
        match self.core.expire_held_once(now).await {
            Ok(n) if n > 0 => info!(deleted = n, "held mails expired"),
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "held mail expiry failed"),
        }
        match self.core.polls_close_once(now).await {
            Ok(n) if n > 0 => info!(closed = n, "municipal polls closed, results queued"),
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "poll closing failed"),
        }
        match crate::municipal::auth::purge_ended(&self.core.pool, now).await {
            Ok(n) if n > 0 => debug!(deleted = n, "ended staff sign-in links and sessions deleted"),
            Ok(_) => {}
            Err(e) => warn!(error = %format!("{e:#}"), "sign-in purge failed"),
        }
        if self.partner_settings.enabled {
            match crate::partners::suggest_once(&self.core, &self.partners, &self.partner_settings, now).await {
                Ok(n) if n > 0 => info!(suggested = n, "partner suggestions"),
                Ok(_) => {}
                Err(e) => warn!(error = %format!("{e:#}"), "partner round failed"),
            }
        }
    }

    /// Ticks until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        if self.digests
            && let Some(next) = self.digester.next_due(Utc::now())
        {
            info!(%next, "next digest");
        }
        loop {
            self.tick_at(Utc::now()).await;
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = tokio::time::sleep(self.tick) => {}
            }
        }
    }
}
