//! Channel adapters. Each translates its chat tool into `Inbound` messages for the core and
//! implements `Channel` so the outbox can send through it.

pub mod console;
pub mod email;
pub mod matrix;
pub mod telegram;

use std::sync::Arc;

/// What adapters need of the media store to send photos: the bytes, and the table of what a
/// channel already holds of a file (so a retried send does not upload it again). Given to
/// each adapter once the core is built (`use_media`).
#[derive(Clone)]
pub struct MediaAccess {
    pub store: Arc<crate::media::MediaStore>,
    pub pool: sqlx::PgPool,
}

impl MediaAccess {
    /// The bytes of `media`, or why the send cannot go (the file was deleted meanwhile: the
    /// message was removed, and its copies with it).
    pub async fn bytes(&self, media: &crate::core::model::Media) -> Result<Vec<u8>, crate::core::SendError> {
        self.store.blobs.get(&media.hash).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                crate::core::SendError::Permanent(format!("the file {} is no longer stored", media.hash))
            }
            _ => crate::core::SendError::Transient(format!("reading the media store: {e}")),
        })
    }
}
