//! The outbox worker: claims due deliveries (one per target, oldest first), sends them through
//! their channel, and records the outcome. Several workers and several daemons may share the
//! table: claims use FOR UPDATE SKIP LOCKED and a lease.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, instrument, warn};

use super::model::{ChannelKind, FailureCause, Op, Outgoing};
use super::{Channel, SendError};
use crate::i18n::{Lang, Texts};
use crate::store::deliveries::{self, Claimed};
use crate::store::digests::{self, Body};
use crate::telemetry::Metrics;

/// How the outbox retries and claims.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// Deliveries claimed per round.
    pub batch: i64,
    /// How long a claim holds before another worker may take the delivery over.
    pub lease: Duration,
    /// First retry delay after a transient failure; doubles each attempt (with jitter).
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Attempts before a transiently failing delivery is given up.
    pub max_attempts: i32,
    /// Pause between rounds when nothing was due.
    pub idle: Duration,
    /// Pause of a target whose channel is unavailable (its server down); not an attempt.
    pub unavailable_pause: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            batch: 64,
            lease: Duration::from_secs(60),
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(600),
            max_attempts: 12,
            idle: Duration::from_secs(10),
            unavailable_pause: Duration::from_secs(5),
        }
    }
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunStats {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub rate_limited: usize,
    pub failed: usize,
}

/// The PostgreSQL notification channel rung by inserts into `deliveries`.
pub const OUTBOX_CHANNEL: &str = "voisinage_outbox";

/// The outbox worker.
pub struct Outbox {
    pool: PgPool,
    channels: HashMap<ChannelKind, Arc<dyn Channel>>,
    cfg: OutboxConfig,
    metrics: Arc<Metrics>,
    wake: Arc<tokio::sync::Notify>,
    /// Digest bodies by digest and language: one digest goes to many subscribers in a row.
    digests: std::sync::Mutex<HashMap<(i64, Lang), Arc<Body>>>,
    /// The words of the notices telling an author that a copy failed.
    texts: &'static Texts,
    /// Channels whose sends are failing (an outage): since when and how many sends failed, so
    /// that an outage logs one line when it starts and one when it ends.
    outages: std::sync::Mutex<HashMap<ChannelKind, (Instant, u32)>>,
}

/// The delay before retry number `attempts` (1-based): exponential, capped, with jitter so
/// that many failing deliveries do not come back all at once.
pub fn backoff(cfg: &OutboxConfig, attempts: i32) -> Duration {
    let exp = cfg
        .backoff_base
        .saturating_mul(1u32 << attempts.clamp(1, 20).saturating_sub(1));
    let capped = exp.min(cfg.backoff_max);
    let factor: f64 = rand::rng().random_range(0.5..1.0);
    capped.mul_f64(factor)
}

impl Outbox {
    pub fn new(pool: PgPool, channels: Vec<Arc<dyn Channel>>, cfg: OutboxConfig, metrics: Arc<Metrics>) -> Self {
        let channels = channels.into_iter().map(|c| (c.kind(), c)).collect();
        Outbox {
            pool,
            channels,
            cfg,
            metrics,
            wake: Arc::new(tokio::sync::Notify::new()),
            digests: Default::default(),
            texts: Texts::embedded(),
            outages: Default::default(),
        }
    }

    /// The notices of failed copies use these words (the daemon's own texts).
    pub fn with_texts(mut self, texts: &'static Texts) -> Self {
        self.texts = texts;
        self
    }

    /// Idle workers also wake when `wake` is rung (the core rings it when it queues).
    pub fn wake_on(mut self, wake: Arc<tokio::sync::Notify>) -> Self {
        self.wake = wake;
        self
    }

    /// One round: claim what is due and send it. Tests drive the outbox with this.
    #[instrument(skip_all)]
    pub async fn run_once(&self) -> anyhow::Result<RunStats> {
        let names = self.ready_channels().await;
        let claimed_at = Instant::now();
        let claimed = deliveries::claim(&self.pool, &names, self.cfg.batch, self.cfg.lease).await?;
        let mut stats = RunStats {
            claimed: claimed.len(),
            ..Default::default()
        };
        // One delivery per target per round: they can all go in parallel.
        let results = futures::future::join_all(claimed.into_iter().map(|d| self.deliver(d, claimed_at))).await;
        for r in results {
            match r? {
                Outcome::Sent => stats.sent += 1,
                Outcome::Retried => stats.retried += 1,
                Outcome::RateLimited => stats.rate_limited += 1,
                Outcome::Failed => stats.failed += 1,
            }
        }
        Ok(stats)
    }

    /// The channels that can send at once (see `Channel::ready_to_send`): only they are claimed for.
    async fn ready_channels(&self) -> Vec<String> {
        let ready = futures::future::join_all(
            self.channels
                .iter()
                .map(|(kind, channel)| async move { channel.ready_to_send().await.then(|| kind.as_str().to_owned()) }),
        )
        .await;
        ready.into_iter().flatten().collect()
    }

    /// Whether the claim of `d` still holds before its send: once half its lease is gone (a
    /// slow `already_sent`, a slow start), it is renewed, or given up if it ran out, as another
    /// worker may then have claimed the delivery and sent it.
    async fn still_claimed(&self, d: &Claimed, claimed_at: Instant) -> anyhow::Result<bool> {
        if claimed_at.elapsed() < self.cfg.lease / 2 {
            return Ok(true);
        }
        let held = deliveries::renew(&self.pool, d.id, d.attempts, self.cfg.lease).await?;
        if !held {
            warn!(delivery = d.id, target = %d.target, "the claim ran out before the send: left to its new claim");
        }
        Ok(held)
    }

    async fn deliver(&self, d: Claimed, claimed_at: Instant) -> anyhow::Result<Outcome> {
        let Some(channel) = self.channels.get(&d.channel) else {
            deliveries::mark_failed(&self.pool, d.id, &format!("no channel `{}` in this daemon", d.channel)).await?;
            return Ok(Outcome::Failed);
        };
        let mut msg: Outgoing = match serde_json::from_value(d.payload.clone()) {
            Ok(m) => m,
            Err(e) => {
                deliveries::mark_failed(&self.pool, d.id, &format!("unreadable payload: {e}")).await?;
                return Ok(Outcome::Failed);
            }
        };
        if let Some(digest) = msg.digest {
            let Some(body) = self.digest_body(digest, msg.lang.unwrap_or_default()).await? else {
                deliveries::mark_failed(&self.pool, d.id, &format!("digest {digest} has no body")).await?;
                return Ok(Outcome::Failed);
            };
            msg.subject = Some(body.subject.clone());
            msg.text = body.text.clone();
            msg.html = Some(body.html.clone());
        }
        let start = Instant::now();
        let result = match &msg.op {
            Op::Send if d.attempts > 1 => match channel.already_sent(d.id, &d.target).await {
                Ok(Some(remote_id)) => {
                    info!(delivery = d.id, target = %d.target, "already sent by an earlier claim: not sent again");
                    Ok(remote_id)
                }
                Ok(None) if !self.still_claimed(&d, claimed_at).await? => return Ok(Outcome::Retried),
                Ok(None) => channel.send(d.id, &d.target, &msg).await,
                Err(e) => Err(e),
            },
            Op::Send if !self.still_claimed(&d, claimed_at).await? => return Ok(Outcome::Retried),
            Op::Send => channel.send(d.id, &d.target, &msg).await,
            // Moderation and erasure: nothing is kept of whom it was about (the remote id).
            Op::Remove { native } => channel.delete(&d.target, native).await.map(|()| String::new()),
            Op::Ban { user } => channel.ban(&d.target, user).await.map(|()| String::new()),
            Op::Unban { user } => channel.unban(&d.target, user).await.map(|()| String::new()),
            &Op::Edit { of } | &Op::Delete { of } => {
                // The copy is an earlier delivery to the same target: it has been sent (or has
                // failed) before this one became the head of the queue.
                let Some(remote_id) = deliveries::remote_id(&self.pool, of).await? else {
                    deliveries::mark_failed(&self.pool, d.id, "the copy to change was never sent").await?;
                    return Ok(Outcome::Failed);
                };
                if let Op::Edit { .. } = msg.op {
                    let r = channel.edit(&d.target, &remote_id, &msg).await;
                    if let Ok(new_id) = &r
                        && *new_id != remote_id
                    {
                        deliveries::set_remote_id(&self.pool, of, new_id).await?;
                    }
                    r
                } else {
                    channel.delete(&d.target, &remote_id).await.map(|()| remote_id)
                }
            }
        };
        self.metrics.send_latency(start.elapsed());
        let outcome = self.settle(&d, result).await?;
        if msg.forget_after && matches!(outcome, Outcome::Sent | Outcome::Failed) {
            deliveries::forget(&self.pool, d.id).await?;
        }
        Ok(outcome)
    }

    /// Records what a send did: sent, paused (rate limit, outage), retried later, or failed.
    async fn settle(&self, d: &Claimed, result: Result<String, SendError>) -> anyhow::Result<Outcome> {
        Ok(match result {
            Ok(remote_id) => {
                deliveries::mark_sent(&self.pool, d.id, &remote_id).await?;
                self.metrics.sent(true);
                self.outage_over(d.channel);
                Outcome::Sent
            }
            Err(SendError::RateLimited { retry_after }) => {
                debug!(delivery = d.id, target = %d.target, ?retry_after, "rate limited: pausing this target");
                deliveries::retry_later(&self.pool, d.id, retry_after, "rate limited", true).await?;
                Outcome::RateLimited
            }
            Err(SendError::Unavailable(e)) => {
                debug!(delivery = d.id, target = %d.target, error = %e, "channel unavailable: waiting");
                self.outage_goes_on(d.channel, &e);
                deliveries::retry_later(&self.pool, d.id, self.cfg.unavailable_pause, &e, true).await?;
                Outcome::Retried
            }
            Err(SendError::Transient(e)) if d.attempts < self.cfg.max_attempts => {
                let delay = backoff(&self.cfg, d.attempts);
                debug!(delivery = d.id, target = %d.target, attempts = d.attempts, ?delay, error = %e, "send failed; will retry");
                self.outage_goes_on(d.channel, &e);
                deliveries::retry_later(&self.pool, d.id, delay, &e, false).await?;
                Outcome::Retried
            }
            Err(SendError::Gone(reason)) => {
                warn!(delivery = d.id, target = %d.target, %reason, "chat gone: nothing more is sent there");
                let failed = deliveries::mark_target_gone(&self.pool, d.id, d.channel, &d.target, &reason).await?;
                self.metrics.sent(false);
                self.tell_authors(&failed, FailureCause::Gone).await;
                Outcome::Failed
            }
            Err(e) => {
                warn!(delivery = d.id, target = %d.target, error = %e, "send failed for good");
                deliveries::mark_failed(&self.pool, d.id, &e.to_string()).await?;
                self.metrics.sent(false);
                let cause = match e {
                    SendError::Transient(_) => FailureCause::Exhausted,
                    _ => FailureCause::Refused,
                };
                self.tell_authors(&[d.id], cause).await;
                Outcome::Failed
            }
        })
    }

    /// A send on `channel` failed and will be retried: the first failure of an outage is
    /// logged (WARN), the others only at debug level.
    fn outage_goes_on(&self, channel: ChannelKind, error: &str) {
        let mut outages = self.outages.lock().expect("outages");
        match outages.get_mut(&channel) {
            Some((_, failed)) => *failed += 1,
            None => {
                warn!(%channel, %error, "sends failing; retrying (one line when they work again)");
                outages.insert(channel, (Instant::now(), 1));
            }
        }
    }

    /// A send on `channel` went: an outage in progress ends, with one line.
    fn outage_over(&self, channel: ChannelKind) {
        if let Some((since, failed)) = self.outages.lock().expect("outages").remove(&channel) {
            info!(%channel, failed_sends = failed, lasted = ?since.elapsed(), "sends working again");
        }
    }

    /// Tells the authors of failed copies (their notices are sent by a next round). A failure
    /// here is logged, not returned: the delivery's own outcome is already recorded.
    async fn tell_authors(&self, failed: &[i64], cause: FailureCause) {
        match super::failures::tell_authors(&self.pool, self.texts, failed, cause).await {
            Ok(n) if n > 0 => self.wake.notify_one(),
            Ok(_) => {}
            Err(e) => warn!(error = %e, cause = cause.as_str(), "could not tell the authors of failed copies"),
        }
    }

    /// The body of digest `id` in `lang` (None when it has none), from a small cache.
    async fn digest_body(&self, id: i64, lang: Lang) -> anyhow::Result<Option<Arc<Body>>> {
        if let Some(b) = self.digests.lock().expect("digest cache").get(&(id, lang)) {
            return Ok(Some(b.clone()));
        }
        let Some(body) = digests::body(&self.pool, id, lang).await?.map(Arc::new) else {
            return Ok(None);
        };
        let mut cache = self.digests.lock().expect("digest cache");
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert((id, lang), body.clone());
        Ok(Some(body))
    }

    /// Runs rounds until `shutdown`; rounds follow each other at once while there is work.
    /// Idle, a worker sleeps until the next retry is due, or at most `idle` (a safety poll),
    /// and wakes at once when something is queued: by this daemon (the core rings `wake`) or
    /// by another one (PostgreSQL's NOTIFY on `deliveries`, see `listen`).
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> anyhow::Result<()> {
        loop {
            let busy = match self.run_once().await {
                Ok(s) => s.claimed > 0,
                Err(e) => {
                    warn!(error = %e, "outbox round failed");
                    false
                }
            };
            if !busy {
                let wait = self.idle_wait().await;
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(wait) => {}
                    _ = self.wake.notified() => {}
                }
            } else if shutdown.is_cancelled() {
                return Ok(());
            }
        }
    }

    /// How long an idle worker may sleep: until the next queued delivery is due, between a
    /// tenth of a second (a head another worker holds for a moment) and `idle`.
    async fn idle_wait(&self) -> Duration {
        let names: Vec<String> = self.channels.keys().map(|k| k.as_str().to_owned()).collect();
        let floor = Duration::from_millis(100).min(self.cfg.idle);
        match deliveries::next_due(&self.pool, &names).await {
            Ok(Some(at)) => (at - chrono::Utc::now())
                .to_std()
                .unwrap_or(floor)
                .clamp(floor, self.cfg.idle),
            Ok(None) => self.cfg.idle,
            Err(e) => {
                warn!(error = %e, "cannot read when the next delivery is due");
                self.cfg.idle
            }
        }
    }

    /// Rings `wake` whenever another daemon (or this one) queues a delivery: PostgreSQL
    /// notifies `voisinage_outbox` on every insert into `deliveries` (migration 0015). A lost
    /// connection is re-established by the listener; what was queued meanwhile is found by
    /// the workers' safety poll.
    pub async fn listen(
        pool: PgPool,
        wake: Arc<tokio::sync::Notify>,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
        listener.listen(OUTBOX_CHANNEL).await?;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                n = listener.recv() => match n {
                    Ok(_) => {
                        // Every idle worker, and a permit for one between two rounds.
                        wake.notify_waiters();
                        wake.notify_one();
                    }
                    Err(e) => {
                        warn!(error = %e, "outbox notifications interrupted; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                },
            }
        }
    }
}

enum Outcome {
    Sent,
    Retried,
    RateLimited,
    Failed,
}
