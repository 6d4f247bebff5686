//! The sync loop: one daemon per bot account syncs (a PostgreSQL advisory lock), handles each
//! batch (invites, then each joined room's timeline in order), then saves the batch's token in
//! PostgreSQL. A crash between handling and saving replays that batch, which changes nothing
//! twice (messages, edits and deletions are keyed by event id). The very first sync of an
//! account skips old history.

use std::sync::Arc;
use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::ruma::api::client::filter::FilterDefinition;
use matrix_sdk::ruma::api::client::membership::join_room_by_id;
use matrix_sdk::ruma::presence::PresenceState;
use matrix_sdk::ruma::{OwnedRoomId, uint};
use serde_json::Value;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::Matrix;
use crate::core::Core;
use crate::core::model::ChannelKind;
use crate::readers::{Reader, Round, run_reader};
use crate::store::chats;
use crate::store::locks::{Hold, ReaderLock};
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
}

impl Syncer {
    pub fn new(mx: Arc<Matrix>, core: Arc<Core>) -> Syncer {
        let lock = ReaderLock::new(format!("matrix:{}", mx.user_id()));
        Syncer {
            mx,
            core,
            lock,
            token: None,
            rooms_ready: false,
        }
    }

    async fn lock(&mut self) -> anyhow::Result<bool> {
        match self.lock.hold(&self.core.pool).await? {
            Hold::Busy => Ok(false),
            Hold::Kept => Ok(true),
            Hold::Taken => {
                let key = self.lock.key().to_owned();
                self.token = chats::load_token(self.lock.conn()?, &key).await?;
                self.rooms_ready = false;
                Ok(true)
            }
        }
    }

    /// Lets the lock go, so another daemon can take over at once.
    pub async fn release(&mut self) {
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
        if !self.rooms_ready {
            self.mx.ensure_area_rooms(&self.core).await?;
            self.rooms_ready = true;
        }
        let mut settings = SyncSettings::new()
            .timeout(timeout)
            .set_presence(PresenceState::Offline);
        let first = self.token.is_none();
        match &self.token {
            Some(t) => settings = settings.token(t.clone()),
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
                    let raw: Value = match serde_json::from_str(ev.raw().json().get()) {
                        Ok(v) => v,
                        Err(e) => {
                            chats::dead_letter(
                                &self.core.pool,
                                ChannelKind::Matrix,
                                ev.raw().json().get(),
                                &format!("unreadable event: {e}"),
                            )
                            .await?;
                            continue;
                        }
                    };
                    self.mx.handle_event(&self.core, room.as_str(), &raw).await?;
                    stats.events += 1;
                }
            }
        }
        let key = self.lock.key().to_owned();
        chats::save_token(self.lock.conn()?, &key, &resp.next_batch).await?;
        self.token = Some(resp.next_batch);
        Ok(stats)
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
