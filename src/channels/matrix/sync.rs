//! The sync loop: one daemon per bot account syncs (a PostgreSQL advisory lock), handles each
//! batch (invites, then each joined room's timeline in order), then saves the batch's token in
//! PostgreSQL. A crash between handling and saving replays that batch, which changes nothing
//! twice (messages, edits and deletions are keyed by event id). The very first sync of an
//! account skips old history.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::{TimelineEvent, TimelineEventKind};
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::membership::join_room_by_id;
use matrix_sdk::ruma::presence::PresenceState;
use matrix_sdk::ruma::{OwnedRoomId, uint};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Matrix;
use crate::core::Core;
use crate::core::model::Address;
use crate::core::model::ChannelKind;
use crate::i18n::{Arg, Lang};
use crate::readers::{Reader, Round, run_reader};
use crate::store::chats;
use crate::store::locks::{Hold, ReaderLock};
use crate::store::undecrypted::{self, Undecrypted};
use crate::telemetry::Metrics;

/// What one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncStats {
    /// Timeline events handled.
    pub events: usize,
    /// Invitations accepted.
    pub joined: usize,
    /// Another daemon syncs this account: this one stands by.
    pub standby: bool,
}

/// The sync loop of the bot's account.
pub struct Syncer {
    mx: Arc<Matrix>,
    core: Arc<Core>,
    /// Held while this daemon is the one syncing.
    lock: ReaderLock,
    token: Option<String>,
    rooms_ready: bool,
    undecrypted_patience: Duration,
}

/// How long an undecryptable event waits for its key before its sender is asked to re-send.
const UNDECRYPTED_PATIENCE: Duration = Duration::from_secs(15 * 60);

impl Syncer {
    pub fn new(mx: Arc<Matrix>, core: Arc<Core>) -> Syncer {
        let lock = ReaderLock::new(format!("matrix:{}", mx.user_id()));
        Syncer {
            mx,
            core,
            lock,
            token: None,
            rooms_ready: false,
            undecrypted_patience: UNDECRYPTED_PATIENCE,
        }
    }

    async fn lock(&mut self) -> anyhow::Result<bool> {
        let held = match self.lock.hold(&self.core.pool).await {
            Ok(Hold::Busy) => false,
            Ok(Hold::Kept) => true,
            Ok(Hold::Taken) => {
                let key = self.lock.key().to_owned();
                self.token = chats::load_token(self.lock.conn()?, &key).await?;
                self.rooms_ready = false;
                true
            }
            Err(e) => {
                self.mx.syncing.store(false, Ordering::Relaxed);
                return Err(e);
            }
        };
        self.mx.syncing.store(held, Ordering::Relaxed);
        Ok(held)
    }

    /// Lets the lock go, so another daemon can take over at once.
    pub async fn release(&mut self) {
        self.mx.syncing.store(false, Ordering::Relaxed);
        self.lock.release().await;
    }

    /// One sync (waiting up to `timeout` for news) and the handling of what came. The first
    /// call also sets up the areas' rooms. Tests drive the syncer with this.
    pub async fn sync_once(&mut self, timeout: Duration) -> anyhow::Result<SyncStats> {
        if !self.lock().await? {
            return Ok(SyncStats {
                standby: true,
                ..Default::default()
            });
        }
        let client = self.mx.connect().await?.clone();
        let full_state = !self.rooms_ready;
        if !self.rooms_ready {
            self.mx.ensure_area_rooms(&self.core).await?;
            self.rooms_ready = true;
        }
        let mut settings = SyncSettings::new()
            .timeout(timeout)
            .set_presence(PresenceState::Offline);
        let first = self.token.is_none();
        match &self.token {
            // After taking the lock, the whole state of the rooms: the SDK's store (where the
            // encryption of a room and its members are read from) may be older than the token
            // another daemon left.
            Some(t) => settings = settings.token(t.clone()).full_state(full_state),
            None => {
                // A new account: start from now, not from the rooms' history.
                let mut f = FilterDefinition::default();
                f.room.timeline.limit = Some(uint!(0));
                settings = settings.filter(f.into());
            }
        }
        let resp = client.sync_once(settings).await?;
        let mut stats = SyncStats::default();
        for (room, invite) in &resp.rooms.invited {
            let events: Vec<Value> = invite
                .invite_state
                .events
                .iter()
                .filter_map(|raw| serde_json::from_str(raw.json().get()).ok())
                .collect();
            if self.accept_invite(room, &events).await? {
                stats.joined += 1;
            }
        }
        if !first {
            for (room, update) in &resp.rooms.joined {
                for ev in &update.timeline.events {
                    if self.handle(room.as_str(), ev).await? {
                        stats.events += 1;
                    }
                }
            }
        }
        // Room keys may have come with this batch (to-device events): events kept aside are
        // tried again before the token moves on.
        self.retry_undecrypted(&client).await?;
        let key = self.lock.key().to_owned();
        chats::save_token(self.lock.conn()?, &key, &resp.next_batch).await?;
        self.token = Some(resp.next_batch);
        Ok(stats)
    }

    /// Handles one timeline event: returns false for one kept aside (undecryptable yet) or
    /// unreadable (kept in dead letters).
    async fn handle(&self, room: &str, ev: &TimelineEvent) -> anyhow::Result<bool> {
        let json = ev.raw().json().get();
        let raw: Value = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => {
                chats::dead_letter(
                    &self.core.pool,
                    ChannelKind::Matrix,
                    json,
                    &format!("unreadable event: {e}"),
                )
                .await?;
                return Ok(false);
            }
        };
        if let TimelineEventKind::UnableToDecrypt { utd_info, .. } = &ev.kind {
            let (Some(id), Some(sender)) = (raw["event_id"].as_str(), raw["sender"].as_str()) else {
                return Ok(false);
            };
            info!(room, event = id, reason = ?utd_info.reason, "encrypted event kept until its key comes");
            undecrypted::keep(&self.core.pool, id, room, sender, json).await?;
            return Ok(false);
        }
        self.mx.handle_event(&self.core, room, &raw).await?;
        Ok(true)
    }

    /// Tries the events kept aside again: handled when decrypted now; after `patience`, their
    /// sender is asked once to send them again.
    async fn retry_undecrypted(&self, client: &matrix_sdk::Client) -> anyhow::Result<()> {
        for kept in undecrypted::waiting(&self.core.pool, 100).await? {
            let Some(room) = OwnedRoomId::try_from(kept.room.as_str())
                .ok()
                .and_then(|r| client.get_room(&r))
            else {
                continue;
            };
            match Matrix::decrypt(&room, &kept.raw).await {
                Some(clear) => {
                    info!(room = %kept.room, event = %kept.event_id, "encrypted event decrypted at last");
                    self.mx.handle_event(&self.core, &kept.room, &clear).await?;
                    undecrypted::done(&self.core.pool, &kept.event_id).await?;
                }
                None => self.maybe_ask_again(&kept).await?,
            }
        }
        Ok(())
    }

    /// After `patience`, the sender of an event still undecryptable is asked (once) to send it
    /// again, in the room where it was said.
    async fn maybe_ask_again(&self, kept: &Undecrypted) -> anyhow::Result<()> {
        let waited = (chrono::Utc::now() - kept.seen_at).to_std().unwrap_or_default();
        if kept.notified_at.is_some() || waited < self.undecrypted_patience {
            return Ok(());
        }
        let name = self.mx.display_name(&kept.room, &kept.sender).await;
        let text = self
            .core
            .texts
            .get(Lang::default(), "matrix-undecryptable", &[("name", Arg::from(name))]);
        let to = Address {
            channel: ChannelKind::Matrix,
            target: kept.room.clone(),
        };
        self.core
            .notify(to, text, format!("matrix-undecryptable:{}", kept.event_id))
            .await?;
        undecrypted::mark_notified(&self.core.pool, &kept.event_id).await?;
        Ok(())
    }

    /// How long an undecryptable event waits for its key before its sender is asked to send
    /// it again (tests shorten it).
    pub fn set_undecrypted_patience(&mut self, patience: Duration) {
        self.undecrypted_patience = patience;
    }

    /// Joins a room the bot was invited to; a direct invitation makes it a direct chat.
    async fn accept_invite(&self, room: &OwnedRoomId, state: &[Value]) -> anyhow::Result<bool> {
        let me = self.mx.user_id();
        let invite = state
            .iter()
            .find(|e| e["type"] == "m.room.member" && e["state_key"] == me && e["content"]["membership"] == "invite");
        let direct = invite.is_some_and(|e| e["content"]["is_direct"] == true);
        let client = self.mx.connect().await?;
        if let Err(e) = client.send(join_room_by_id::v3::Request::new(room.clone())).await {
            warn!(%room, error = %e, "cannot accept the invitation");
            return Ok(false);
        }
        if direct {
            chats::ensure_direct(&self.core.pool, ChannelKind::Matrix, room.as_str()).await?;
        }
        info!(%room, direct, "joined a room the bot was invited to");
        Ok(true)
    }

    /// Syncs until `shutdown`, reconnecting with backoff while the homeserver is away.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        run_reader(self, shutdown).await;
        Ok(())
    }
}

impl Reader for Syncer {
    const NAME: &'static str = "Matrix sync";
    const CHANNEL: ChannelKind = ChannelKind::Matrix;

    async fn round(&mut self) -> anyhow::Result<Round> {
        let timeout = Duration::from_secs(self.mx.settings.sync_timeout_secs);
        let stats = self.sync_once(timeout).await?;
        Ok(if stats.standby { Round::Standby } else { Round::Done })
    }

    fn metrics(&self) -> &Metrics {
        &self.core.metrics
    }

    fn reader_lock(&mut self) -> &mut ReaderLock {
        &mut self.lock
    }
}
