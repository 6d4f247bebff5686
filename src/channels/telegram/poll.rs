//! Receiving updates. Long polling: one daemon per bot token polls (a PostgreSQL advisory lock
//! held on a dedicated connection; the others stand by). A round's messages are ingested
//! together (`Telegram::handle_updates`), and the offset of the next update is saved once the
//! round is committed, so a restart loses nothing; it may handle the last round again, which
//! stores and sends nothing twice. Webhook: an axum route checking Telegram's secret-token
//! header, one update at a time.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::ExposeSecret;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Telegram;
use super::updates::ALLOWED;
use crate::core::Core;
use crate::core::model::ChannelKind;
use crate::readers::{Reader, Round, run_reader};
use crate::store::chats;
use crate::store::locks::{Hold, ReaderLock};
use crate::telemetry::Metrics;

/// What one poll did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollStats {
    /// Updates handled.
    pub handled: usize,
    /// Another daemon polls this bot: this one stands by.
    pub standby: bool,
}

/// The long-polling loop of one bot.
pub struct Poller {
    tg: Arc<Telegram>,
    core: Arc<Core>,
    /// Held while this daemon is the one polling.
    lock: ReaderLock,
    offset: Option<i64>,
    /// Whether Telegram was told this daemon polls (no webhook).
    configured: bool,
}

impl Poller {
    pub fn new(tg: Arc<Telegram>, core: Arc<Core>) -> Poller {
        Poller {
            tg,
            core,
            lock: ReaderLock::new("telegram"),
            offset: None,
            configured: false,
        }
    }

    /// Takes (or checks) the poller's lock. False: another daemon holds it.
    async fn lock(&mut self) -> anyhow::Result<bool> {
        let me = self.tg.identity().await?;
        self.lock.set_key(format!("telegram:{}", me.id));
        match self.lock.hold(&self.core.pool).await? {
            Hold::Busy => Ok(false),
            Hold::Kept => Ok(true),
            Hold::Taken => {
                let key = self.lock.key().to_owned();
                self.offset = chats::load_offset(self.lock.conn()?, &key).await?;
                info!(poller = %self.lock.key(), offset = ?self.offset, "polling Telegram updates");
                Ok(true)
            }
        }
    }

    /// Lets the lock go, so another daemon can take over at once.
    pub async fn release(&mut self) {
        self.lock.release().await;
    }

    /// One getUpdates (waiting up to `timeout` seconds for updates) and the handling of what
    /// came. Tests drive the poller with this.
    pub async fn poll_once(&mut self, timeout: u64) -> anyhow::Result<PollStats> {
        if !self.lock().await? {
            return Ok(PollStats {
                standby: true,
                ..Default::default()
            });
        }
        let mut body = json!({"timeout": timeout, "limit": 100, "allowed_updates": ALLOWED});
        if let Some(offset) = self.offset {
            body["offset"] = offset.into();
        }
        let result = self
            .tg
            .raw_call("getUpdates", &body, Duration::from_secs(timeout + 15))
            .await?;
        let Some(updates) = result.as_array() else {
            anyhow::bail!("getUpdates: the result is not a list");
        };
        let mut stats = PollStats::default();
        let mut fresh = Vec::with_capacity(updates.len());
        let mut next = self.offset;
        for raw in updates {
            // One without update_id is kept aside in its turn (handle_updates).
            let id = raw.get("update_id").and_then(|v| v.as_i64());
            if id.is_some_and(|id| self.offset.is_some_and(|o| id < o)) {
                continue;
            }
            fresh.push(raw);
            if let Some(id) = id {
                next = Some(next.map_or(id + 1, |n| n.max(id + 1)));
                stats.handled += 1;
            }
        }
        // The round is committed before its offset is saved, and the offset before the next
        // getUpdates acknowledges the round to Telegram: a crash in between handles the round
        // again, which changes nothing twice.
        self.tg.handle_updates(&self.core, &fresh).await?;
        if let Some(next) = next.filter(|n| Some(*n) != self.offset) {
            let key = self.lock.key().to_owned();
            chats::save_offset(self.lock.conn()?, &key, next).await?;
            self.offset = Some(next);
        }
        Ok(stats)
    }

    /// Polls until `shutdown`, backing off while Telegram or the database fail.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        run_reader(self, shutdown).await;
        Ok(())
    }
}

impl Reader for Poller {
    const NAME: &'static str = "Telegram polling";
    const CHANNEL: ChannelKind = ChannelKind::Telegram;

    async fn round(&mut self) -> anyhow::Result<Round> {
        if !self.configured {
            // getUpdates fails while a webhook is set: remove it once.
            self.tg.configure_delivery().await?;
            self.configured = true;
        }
        let stats = self.poll_once(self.tg.settings.poll_timeout_secs).await?;
        Ok(if stats.standby { Round::Standby } else { Round::Done })
    }

    fn metrics(&self) -> &Metrics {
        &self.core.metrics
    }

    fn reader_lock(&mut self) -> &mut ReaderLock {
        &mut self.lock
    }
}

#[derive(Clone)]
struct Hook {
    tg: Arc<Telegram>,
    core: Arc<Core>,
}

/// The webhook route, POST /telegram/webhook.
pub fn webhook_router(tg: Arc<Telegram>, core: Arc<Core>) -> Router {
    Router::new()
        .route("/telegram/webhook", post(webhook))
        .with_state(Hook { tg, core })
}

/// Compares without stopping at the first difference, so timing tells nothing of the secret.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn webhook(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let expected =
        h.tg.settings
            .webhook_secret
            .as_ref()
            .map(|s| s.expose_secret().to_owned());
    let given = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    if !expected.is_some_and(|e| same_secret(e.as_bytes(), &given)) {
        warn!("Telegram webhook call without the right secret token: refused");
        return StatusCode::UNAUTHORIZED;
    }
    let raw: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let text = String::from_utf8_lossy(&body);
            let _ = chats::dead_letter(
                &h.core.pool,
                ChannelKind::Telegram,
                &text,
                &format!("webhook body is not JSON: {e}"),
            )
            .await;
            // Telegram would send the same bytes again: accept them (they are kept).
            return StatusCode::OK;
        }
    };
    match h.tg.handle_update(&h.core, &raw).await {
        Ok(()) => StatusCode::OK,
        Err(e) => {
            warn!(error = %format!("{e:#}"), "webhook update not handled; Telegram will send it again");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}
