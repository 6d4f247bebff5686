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
    /// Itself, to log in in the background (`log_in_behind`).
    me: std::sync::Weak<Matrix>,
    /// Whether a background login is under way.
    logging_in: std::sync::atomic::AtomicBool,
}

/// Whether `e` says the SDK's store holds the keys of another device than the session's.
fn of_another_device(e: &matrix_sdk::Error) -> bool {
    use matrix_sdk::encryption::{CryptoStoreError, OlmError};
    let store = match e {
        matrix_sdk::Error::CryptoStoreError(s) => s.as_ref(),
        matrix_sdk::Error::OlmError(o) => match o.as_ref() {
            OlmError::Store(s) => s,
            _ => return false,
        },
        _ => return false,
    };
    matches!(store, CryptoStoreError::MismatchedAccount { .. })
}

/// How long a failed background login waits before the next one.
const LOGIN_RETRY: Duration = Duration::from_secs(5);

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
        let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build()?;
        Ok(Arc::new_cyclic(|me| Matrix {
            settings: settings.clone(),
            user_id,
            session_file: dir.join(format!("session-{account}.json")),
            store_dir: dir.join(format!("store-{account}")),
            client: OnceCell::new(),
            syncing: std::sync::atomic::AtomicBool::new(false),
            http,
            media: std::sync::OnceLock::new(),
            me: me.clone(),
            logging_in: std::sync::atomic::AtomicBool::new(false),
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

    /// Starts a login in the background unless one is under way; a failed one is followed by
    /// a pause, so that callers asking again and again try once per `LOGIN_RETRY`.
    fn log_in_behind(&self) {
        use std::sync::atomic::Ordering;
        let Some(me) = self.me.upgrade() else { return };
        if self.logging_in.swap(true, Ordering::AcqRel) {
            return;
        }
        tokio::spawn(async move {
            if let Err(e) = me.connect().await {
                warn!(user = %me.user_id, error = %format!("{e:#}"), "Matrix login failed; trying again");
                tokio::time::sleep(LOGIN_RETRY).await;
            }
            me.logging_in.store(false, Ordering::Release);
        });
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

    /// The saved session when it still works, else a new one. The session file is written
    /// (atomically) before the SDK's store first opens for a new device, so a daemon killed at
    /// any moment restarts as the same device, where Synapse's transaction ids still dedupe.
    async fn login(&self) -> anyhow::Result<Client> {
        if let Some(saved) = self.read_session()
            && let Some(client) = self.restore(saved).await?
        {
            return Ok(client);
        }
        let session = match &self.settings.access_token {
            Some(token) => self.token_session(token.expose_secret()).await?,
            None => self.password_login().await?,
        };
        self.write_session(&SavedSession {
            homeserver: self.settings.homeserver_url.clone(),
            session: session.clone(),
        })?;
        let client = self.open(session).await?;
        info!(user = %self.user_id, device = %client.device_id().map(|d| d.to_string()).unwrap_or_default(),
            "logged in to Matrix");
        self.setup_encryption(&client).await;
        Ok(client)
    }

    /// The client of the saved session, or None when it must be replaced: revoked by the
    /// server, or its device's keys gone (the store was removed: the same device with new
    /// keys would be refused by the server and distrusted by the neighbours).
    async fn restore(&self, saved: SavedSession) -> anyhow::Result<Option<Client>> {
        if !self.store_dir.exists() {
            warn!(user = %self.user_id, device = %saved.session.meta.device_id, store = %self.store_dir.display(),
                "the Matrix store of the saved session is missing: logging in as a new device");
            return Ok(None);
        }
        let client = self.open(saved.session).await?;
        match client.whoami().await {
            Ok(_) => {
                info!(user = %self.user_id, device = %client.device_id().map(|d| d.to_string()).unwrap_or_default(),
                    "Matrix session restored");
                self.setup_encryption(&client).await;
                Ok(Some(client))
            }
            Err(e)
                if matches!(
                    e.client_api_error_kind(),
                    Some(matrix_sdk::ruma::api::error::ErrorKind::UnknownToken(_))
                ) =>
            {
                warn!(user = %self.user_id, "the saved Matrix session was revoked: logging in again");
                Ok(None)
            }
            Err(e) => Err(anyhow::anyhow!(
                "Matrix homeserver {}: {e}",
                self.settings.homeserver_url
            )),
        }
    }

    /// A client on the SDK's store with `session`. A store that holds another device's keys
    /// (the session it belonged to is lost or revoked) is set aside, kept for the operator,
    /// and a new one made: that device can never be used again.
    async fn open(&self, session: MatrixSession) -> anyhow::Result<Client> {
        let client = self.build_client().await?;
        match client.restore_session(session.clone()).await {
            Ok(()) => return Ok(client),
            Err(e) if of_another_device(&e) => {
                let name = self.store_dir.file_name().and_then(|n| n.to_str()).unwrap_or("store");
                let aside = self
                    .store_dir
                    .with_file_name(format!("{name}.replaced-{}", chrono::Utc::now().timestamp()));
                warn!(user = %self.user_id, error = %e, store = %aside.display(),
                    "the Matrix store belongs to another device: set aside, a new one is made");
                drop(client);
                std::fs::rename(&self.store_dir, &aside)
                    .with_context(|| format!("setting {} aside", self.store_dir.display()))?;
            }
            Err(e) => return Err(e.into()),
        }
        let client = self.build_client().await?;
        client.restore_session(session).await?;
        Ok(client)
    }

    /// The session of the configured access token (its device is the token's).
    async fn token_session(&self, token: &str) -> anyhow::Result<MatrixSession> {
        let (user_id, device_id) = self.whoami(token).await?;
        Ok(MatrixSession {
            meta: SessionMeta {
                user_id: user_id.as_str().try_into()?,
                device_id: device_id.as_str().into(),
            },
            tokens: SessionTokens {
                access_token: token.to_owned(),
                refresh_token: None,
            },
        })
    }

    /// A password login, made outside the SDK so that the new device's session can be saved
    /// before the SDK's store is opened for it.
    async fn password_login(&self) -> anyhow::Result<MatrixSession> {
        #[derive(Deserialize)]
        struct LoggedIn {
            user_id: String,
            access_token: String,
            device_id: String,
        }
        let password = self
            .settings
            .password
            .as_ref()
            .context("channels.matrix: no password nor access token (VOISINAGE__CHANNELS__MATRIX__PASSWORD)")?;
        let url = format!(
            "{}/_matrix/client/v3/login",
            self.settings.homeserver_url.trim_end_matches('/')
        );
        let body = serde_json::json!({
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": self.user_id.as_str()},
            "password": password.expose_secret(),
            "initial_device_display_name": self.settings.device_name,
        });
        let resp = self.http.post(url).json(&body).send().await?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            anyhow::bail!("Matrix login of {} refused: {status} {text}", self.user_id);
        }
        let done: LoggedIn = resp.json().await?;
        if done.user_id != self.user_id.as_str() {
            anyhow::bail!("the Matrix login of {} answered for {}", self.user_id, done.user_id);
        }
        Ok(MatrixSession {
            meta: SessionMeta {
                user_id: self.user_id.clone(),
                device_id: done.device_id.as_str().into(),
            },
            tokens: SessionTokens {
                access_token: done.access_token,
                refresh_token: None,
            },
        })
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
