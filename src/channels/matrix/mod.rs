//! The Matrix channel (matrix-sdk): one room per area, created (or adopted) by the bot under
//! the alias `#{prefix}{slug}:{server}`, bridged both ways; direct messages for onboarding.
//! The session is kept in the data directory, so a restart resumes without a new login; the
//! sync position is kept in PostgreSQL (one daemon syncs, under an advisory lock), so another
//! daemon can take over where it stopped.

mod crypto;
mod events;
mod media;
mod rooms;
mod send;
mod sync;
mod vote;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use matrix_sdk::Client;
use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::RequestConfig;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::{SessionMeta, SessionTokens};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use tracing::{info, warn};

pub use sync::Syncer;

use crate::config::MatrixSettings;

/// The Matrix adapter.
pub struct Matrix {
    settings: MatrixSettings,
    user_id: OwnedUserId,
    session_file: PathBuf,
    /// The SDK's sqlite stores (state and crypto): `data_dir/matrix/store-<account>/`.
    store_dir: PathBuf,
    client: OnceCell<Client>,
    /// Whether this daemon holds the sync lock: only that one sends to encrypted rooms.
    syncing: std::sync::atomic::AtomicBool,
    /// For the few calls made outside matrix-sdk (whoami with a bare token).
    http: reqwest::Client,
    /// The media store, to send photos (given once the core is built).
    media: std::sync::OnceLock<crate::channels::MediaAccess>,
}

/// What the session file holds: the session, and where it belongs.
#[derive(Serialize, Deserialize)]
struct SavedSession {
    homeserver: String,
    session: MatrixSession,
}

impl Matrix {
    /// The adapter for `settings`; the session lives under `data_dir/matrix/`.
    pub fn new(settings: &MatrixSettings, data_dir: &Path) -> anyhow::Result<Arc<Matrix>> {
        let user_id = OwnedUserId::try_from(settings.user_id.as_str())
            .with_context(|| format!("channels.matrix.user_id `{}` is not a Matrix user id", settings.user_id))?;
        let account = user_id.as_str().trim_start_matches('@').replace([':', '/'], "_");
        let dir = data_dir.join("matrix");
        Ok(Arc::new(Matrix {
            settings: settings.clone(),
            user_id,
            session_file: dir.join(format!("session-{account}.json")),
            store_dir: dir.join(format!("store-{account}")),
            client: OnceCell::new(),
            syncing: std::sync::atomic::AtomicBool::new(false),
            http: reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?,
            media: std::sync::OnceLock::new(),
        }))
    }

    /// The bot's account.
    pub fn user_id(&self) -> &str {
        self.user_id.as_str()
    }

    /// The alias of an area's room.
    pub fn alias_of(&self, slug: &str) -> String {
        format!("#{}{}:{}", self.settings.alias_prefix, slug, self.user_id.server_name())
    }

    /// Whether this daemon holds the sync lock (and so the keys of encrypted rooms).
    fn syncing(&self) -> bool {
        self.syncing.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The logged-in client, once `connect` succeeded.
    fn ready(&self) -> Option<&Client> {
        self.client.get()
    }

    /// Logs in (or restores the saved session) once; later calls return the same client.
    pub async fn connect(&self) -> anyhow::Result<&Client> {
        self.client.get_or_try_init(|| self.login()).await
    }

    async fn build_client(&self) -> anyhow::Result<Client> {
        let passphrase = self.store_passphrase()?;
        Ok(Client::builder()
            .homeserver_url(&self.settings.homeserver_url)
            .sqlite_store(&self.store_dir, Some(passphrase.expose_secret()))
            .with_encryption_settings(matrix_sdk::encryption::EncryptionSettings {
                auto_enable_cross_signing: false,
                backup_download_strategy: matrix_sdk::encryption::BackupDownloadStrategy::AfterDecryptionFailure,
                auto_enable_backups: true,
            })
            // Keep the configured address even if the server advertises another.
            .respect_login_well_known(false)
            // Rate limits and outages are the outbox's business: no hidden retries.
            .request_config(RequestConfig::new().timeout(Duration::from_secs(30)).disable_retry())
            .build()
            .await?)
    }

    async fn login(&self) -> anyhow::Result<Client> {
        if let Some(saved) = self.read_session() {
            let client = self.build_client().await?;
            client.restore_session(saved.session).await?;
            match client.whoami().await {
                Ok(_) => {
                    info!(user = %self.user_id, "Matrix session restored");
                    self.setup_encryption(&client).await;
                    return Ok(client);
                }
                Err(e)
                    if matches!(
                        e.client_api_error_kind(),
                        Some(matrix_sdk::ruma::api::error::ErrorKind::UnknownToken(_))
                    ) =>
                {
                    warn!(user = %self.user_id, "the saved Matrix session was revoked: logging in again");
                }
                Err(e) => {
                    return Err(anyhow::anyhow!(
                        "Matrix homeserver {}: {e}",
                        self.settings.homeserver_url
                    ));
                }
            }
        }
        let client = self.build_client().await?;
        if let Some(token) = &self.settings.access_token {
            let (user_id, device_id) = self.whoami(token.expose_secret()).await?;
            client
                .restore_session(MatrixSession {
                    meta: SessionMeta {
                        user_id: user_id.as_str().try_into()?,
                        device_id: device_id.as_str().into(),
                    },
                    tokens: SessionTokens {
                        access_token: token.expose_secret().to_owned(),
                        refresh_token: None,
                    },
                })
                .await?;
        } else {
            let password = self
                .settings
                .password
                .as_ref()
                .context("channels.matrix: no password nor access token (VOISINAGE__CHANNELS__MATRIX__PASSWORD)")?;
            client
                .matrix_auth()
                .login_username(self.user_id.as_str(), password.expose_secret())
                .initial_device_display_name(&self.settings.device_name)
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("Matrix login of {} refused: {e}", self.user_id))?;
        }
        if let Some(session) = client.matrix_auth().session() {
            self.write_session(&SavedSession {
                homeserver: self.settings.homeserver_url.clone(),
                session,
            })?;
        }
        info!(user = %self.user_id, "logged in to Matrix");
        self.setup_encryption(&client).await;
        Ok(client)
    }

    async fn whoami(&self, token: &str) -> anyhow::Result<(String, String)> {
        #[derive(Deserialize)]
        struct WhoAmI {
            user_id: String,
            device_id: Option<String>,
        }
        let url = format!(
            "{}/_matrix/client/v3/account/whoami",
            self.settings.homeserver_url.trim_end_matches('/')
        );
        let w: WhoAmI = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()
            .context("the Matrix access token was refused")?
            .json()
            .await?;
        if w.user_id != self.user_id.as_str() {
            anyhow::bail!(
                "the Matrix access token belongs to {}, not to channels.matrix.user_id {}",
                w.user_id,
                self.user_id
            );
        }
        Ok((w.user_id, w.device_id.context("the access token has no device")?))
    }

    fn read_session(&self) -> Option<SavedSession> {
        let text = std::fs::read_to_string(&self.session_file).ok()?;
        let saved: SavedSession = serde_json::from_str(&text).ok()?;
        (saved.homeserver == self.settings.homeserver_url && saved.session.meta.user_id == self.user_id)
            .then_some(saved)
    }

    fn write_session(&self, saved: &SavedSession) -> anyhow::Result<()> {
        // The access token is a secret: readable by the daemon's user only.
        crypto::write_private(&self.session_file, &serde_json::to_string(saved)?)
    }
}
