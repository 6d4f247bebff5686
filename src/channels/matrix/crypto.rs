//! End-to-end encryption: the passphrase of the SDK's sqlite stores, cross-signing of the bot's
//! device and the key backup (recovery). The SDK encrypts and decrypts; this file only sets it
//! up, once per login, and never stops the bot from working when a step fails (the rooms that
//! are not encrypted do not need any of it).

use std::path::Path;

use anyhow::Context;
use matrix_sdk::deserialized_responses::TimelineEventKind;
use matrix_sdk::encryption::recovery::RecoveryState;
use matrix_sdk::ruma::api::client::uiaa;
use matrix_sdk::ruma::events::room::encrypted::OriginalSyncRoomEncryptedEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::{Client, Room};
use secrecy::{ExposeSecret, SecretString};
use tracing::{info, warn};

use super::Matrix;

/// Writes `text` to `path`, readable by the daemon's user only, through a temporary file.
pub(super) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path.parent().context("a file without a directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // Secrets: readable by the daemon's user only.
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(())
}

impl Matrix {
    /// The passphrase of the SDK's stores: the configured one, else the one kept beside the
    /// session file, else a new one (kept there for the next start).
    pub(super) fn store_passphrase(&self) -> anyhow::Result<SecretString> {
        if let Some(p) = &self.settings.store_passphrase {
            return Ok(p.clone());
        }
        let file = self.session_file.with_file_name(format!(
            "{}.store-passphrase",
            self.store_dir.file_name().and_then(|n| n.to_str()).unwrap_or("store")
        ));
        if let Ok(text) = std::fs::read_to_string(&file)
            && !text.trim().is_empty()
        {
            return Ok(SecretString::from(text.trim().to_owned()));
        }
        if self.store_dir.exists() {
            anyhow::bail!(
                "the Matrix store {} exists but its passphrase ({}) is missing: give it in \
                 VOISINAGE__CHANNELS__MATRIX__STORE_PASSPHRASE, or remove the store (the bot then \
                 starts a new device and loses the keys of past encrypted messages)",
                self.store_dir.display(),
                file.display()
            );
        }
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let made: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&file, &made)?;
        Ok(SecretString::from(made))
    }

    /// Cross-signs the bot's device (with its password, when the server asks for it) and
    /// turns on the key backup, restoring secrets from the operator's recovery key if given.
    /// Failures are logged: unencrypted rooms work without any of this.
    pub(super) async fn setup_encryption(&self, client: &Client) {
        let enc = client.encryption();
        enc.wait_for_e2ee_initialization_tasks().await;
        if let Err(e) = self.cross_sign(client).await {
            warn!(user = %self.user_id, error = %e, "cross-signing of the bot's device not set up");
        }
        if let Some(key) = &self.settings.recovery_key {
            match enc.recovery().recover(key.expose_secret()).await {
                Ok(()) => info!(user = %self.user_id, "Matrix secrets restored from the recovery key"),
                Err(e) => warn!(user = %self.user_id, error = %e, "the Matrix recovery key was refused"),
            }
        } else if enc.recovery().state() == RecoveryState::Disabled {
            match enc.recovery().enable().await {
                Ok(key) => {
                    let file = self.session_file.with_extension("recovery-key");
                    match write_private(&file, &key) {
                        Ok(()) => info!(user = %self.user_id, file = %file.display(),
                            "Matrix key backup on; its recovery key is kept in this file"),
                        Err(e) => warn!(error = %e, "the Matrix recovery key could not be written"),
                    }
                }
                Err(e) => warn!(user = %self.user_id, error = %e, "the Matrix key backup is not on"),
            }
        }
    }

    /// The clear event of the encrypted event `json` of `room`, when this device holds its key.
    pub(super) async fn decrypt(room: &Room, json: &str) -> Option<serde_json::Value> {
        let raw: Raw<OriginalSyncRoomEncryptedEvent> = serde_json::from_str(json).ok()?;
        let ev = room.decrypt_event(&raw, None).await.ok()?;
        if matches!(ev.kind, TimelineEventKind::UnableToDecrypt { .. }) {
            return None;
        }
        serde_json::from_str(ev.raw().json().get()).ok()
    }

    async fn cross_sign(&self, client: &Client) -> anyhow::Result<()> {
        let enc = client.encryption();
        let Err(e) = enc.bootstrap_cross_signing_if_needed(None).await else {
            return Ok(());
        };
        let (Some(uiaa), Some(password)) = (e.as_uiaa_response(), &self.settings.password) else {
            return Err(e.into());
        };
        let mut auth = uiaa::Password::new(
            uiaa::UserIdentifier::Matrix(uiaa::MatrixUserIdentifier::new(self.user_id.to_string())),
            password.expose_secret().to_owned(),
        );
        auth.session = uiaa.session.clone();
        enc.bootstrap_cross_signing(Some(uiaa::AuthData::Password(auth)))
            .await?;
        info!(user = %self.user_id, "the bot's device is cross-signed");
        Ok(())
    }
}
