//! Photos in and out. In: m.image / m.file content is downloaded through the authenticated
//! media endpoint of current homeservers (`/_matrix/client/v1/media/download`), with the old
//! `/_matrix/media/v3/download` as fallback for servers without it. Out: the stored bytes are
//! uploaded once per file (the mxc:// URI is kept in `media_remote`, so a retried send or the
//! same photo in another room does not upload again), then sent as m.image with its info
//! (mimetype, size, w, h, thumbnail).

use std::time::Duration;

use matrix_sdk::HttpError;
use matrix_sdk::config::RequestConfig;
use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::OwnedMxcUri;
use matrix_sdk::ruma::api::client::authenticated_media::get_content;
use matrix_sdk::ruma::api::client::media::create_content;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::room::{EncryptedFile, MediaSource};
use serde_json::{Value, json};
use tracing::{debug, warn};

use super::Matrix;
use super::send::failure;
use crate::channels::MediaAccess;
use crate::core::model::{ChannelKind, Media, Outgoing};
use crate::core::{Core, SendError};
use crate::media::Refusal;
use crate::store::media as rows;

impl Matrix {
    /// Gives the adapter the media store, to send photos (called once, when the core is built).
    pub fn use_media(&self, access: MediaAccess) {
        let _ = self.media.set(access);
    }

    fn media_access(&self) -> Result<&MediaAccess, SendError> {
        self.media
            .get()
            .ok_or_else(|| SendError::Permanent("the Matrix channel has no media store".into()))
    }

    /// The m.image (or m.file) content for `msg` and its file: uploaded first if the homeserver
    /// does not hold it yet. The body is the caption (Matrix 1.10: `filename` names the file).
    pub(super) async fn media_content(&self, msg: &Outgoing, media: &Media) -> Result<Value, SendError> {
        let url = self.upload_once(media, false).await?;
        let msgtype = match () {
            _ if media.is_image() => "m.image",
            _ if media.is_video() => "m.video",
            _ => "m.file",
        };
        let mut info = json!({ "mimetype": media.mime, "size": media.size });
        if let (Some(w), Some(h)) = (media.width, media.height) {
            info["w"] = w.into();
            info["h"] = h.into();
        }
        if media.thumb_hash.is_some() {
            match self.upload_once(media, true).await {
                Ok(thumb) => {
                    info["thumbnail_url"] = thumb.into();
                    info["thumbnail_info"] =
                        json!({ "mimetype": "image/jpeg", "w": media.thumb_width, "h": media.thumb_height });
                }
                // A photo without its thumbnail still says everything.
                Err(e) => debug!(error = %e, "thumbnail not uploaded"),
            }
        }
        let mut c = json!({
            "msgtype": msgtype, "body": msg.text, "filename": media.file_name(), "url": url, "info": info,
        });
        if let Some(html) = &msg.html {
            c["format"] = "org.matrix.custom.html".into();
            c["formatted_body"] = html.replace('\n', "<br>").into();
        }
        Ok(c)
    }

    /// The mxc:// URI of `media` (or of its thumbnail), uploading it the first time.
    async fn upload_once(&self, media: &Media, thumb: bool) -> Result<String, SendError> {
        let access = self.media_access()?;
        let place = if thumb { "matrix:thumb" } else { "matrix" };
        let db = |e: anyhow::Error| SendError::Transient(format!("media_remote: {e:#}"));
        if let Some(uri) = rows::remote(&access.pool, &media.hash, place).await.map_err(db)? {
            return Ok(uri);
        }
        let key = match (&media.thumb_hash, thumb) {
            (Some(t), true) => t.clone(),
            _ => media.hash.clone(),
        };
        let bytes = access.store.blobs.get(&key).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SendError::Permanent(format!("the file {key} is no longer stored")),
            _ => SendError::Transient(format!("reading the media store: {e}")),
        })?;
        let client = self
            .ready()
            .ok_or_else(|| SendError::Unavailable("not connected to the Matrix homeserver yet".into()))?;
        // About 125 kB/s at worst, never less than a minute.
        let timeout = Duration::from_secs(60).max(Duration::from_secs(bytes.len() as u64 / 125_000));
        let mut req = create_content::v3::Request::new(bytes);
        req.content_type = Some(if thumb { "image/jpeg".into() } else { media.mime.clone() });
        req.filename = Some(media.file_name());
        let uri = client
            .send(req)
            .with_request_config(RequestConfig::new().timeout(timeout).disable_retry())
            .await
            .map_err(|e| failure(&e))?
            .content_uri
            .to_string();
        rows::set_remote(&access.pool, &media.hash, place, &uri)
            .await
            .map_err(db)?;
        Ok(uri)
    }

    /// Takes the file of an m.image / m.file `content` that `sender` sent into the media store.
    pub(super) async fn take_file(
        &self,
        core: &Core,
        sender: &str,
        content: &Value,
    ) -> anyhow::Result<(Option<crate::core::model::Media>, Option<Refusal>)> {
        let info = &content["info"];
        let limits = &core.media.limits;
        if info["size"].as_u64().is_some_and(|s| s > limits.max_bytes) {
            return Ok((None, Some(Refusal::TooLarge)));
        }
        let mime = info["mimetype"].as_str();
        if mime.is_some_and(|m| !limits.allows(m)) {
            return Ok((None, Some(Refusal::Type)));
        }
        // A file of an encrypted room comes as `file` (its key inside the encrypted event).
        let fetched = match (content["url"].as_str(), content.get("file")) {
            (Some(url), _) => self.download(url).await,
            (None, Some(file)) => self.download_encrypted(file).await,
            (None, None) => return Ok((None, Some(Refusal::Unavailable))),
        };
        let bytes = match fetched {
            Ok(b) => b,
            Err(e) => {
                warn!(error = %e, "a file could not be fetched from the homeserver: its text goes on without it");
                return Ok((None, Some(Refusal::Unavailable)));
            }
        };
        Ok(match core.take_media(ChannelKind::Matrix, sender, mime, bytes).await? {
            Ok(m) => (Some(m), None),
            Err(why) => (None, Some(why)),
        })
    }

    /// The bytes behind `mxc`: the authenticated endpoint, then the old one where the
    /// homeserver does not know it.
    async fn download(&self, mxc: &str) -> anyhow::Result<Vec<u8>> {
        let client = self
            .ready()
            .ok_or_else(|| anyhow::anyhow!("not connected to the homeserver"))?;
        let uri = OwnedMxcUri::from(mxc);
        let config = RequestConfig::new().timeout(Duration::from_secs(120)).disable_retry();
        let authenticated = get_content::v1::Request::from_uri(&uri)?;
        match client.send(authenticated).with_request_config(config).await {
            Ok(r) => return Ok(r.file),
            Err(e) if !unrecognized(&e) => return Err(e.into()),
            Err(_) => debug!("no authenticated media on this homeserver: old endpoint"),
        }
        #[allow(deprecated)]
        let legacy = matrix_sdk::ruma::api::client::media::get_content::v3::Request::from_url(&uri)?;
        Ok(client.send(legacy).with_request_config(config).await?.file)
    }
}

impl Matrix {
    /// The clear bytes of an encrypted file (`EncryptedFile`: its mxc URI, key and hashes):
    /// the SDK downloads and decrypts it, checking its hash.
    async fn download_encrypted(&self, file: &Value) -> anyhow::Result<Vec<u8>> {
        let client = self
            .ready()
            .ok_or_else(|| anyhow::anyhow!("not connected to the homeserver"))?;
        let file: EncryptedFile = serde_json::from_value(file.clone())?;
        let request = MediaRequestParameters {
            source: MediaSource::Encrypted(Box::new(file)),
            format: MediaFormat::File,
        };
        Ok(client.media().get_media_content(&request, false).await?)
    }
}

/// The homeserver does not know the endpoint (older than Matrix 1.11).
fn unrecognized(e: &HttpError) -> bool {
    matches!(e.client_api_error_kind(), Some(ErrorKind::Unrecognized))
        || e.as_client_api_error()
            .is_some_and(|x| matches!(x.status_code.as_u16(), 404 | 405))
            && !matches!(e.client_api_error_kind(), Some(ErrorKind::NotFound))
}

/// The caption of an m.image / m.file: its body when `filename` names the file separately
/// (Matrix 1.10), nothing when the body is only the file's name.
pub(super) fn caption(content: &Value) -> Option<&str> {
    let body = content["body"].as_str()?.trim();
    match content["filename"].as_str() {
        Some(f) if f != body && !body.is_empty() => Some(body),
        _ => None,
    }
}
