//! The media store (issue 15): files are kept once, by the SHA-256 of their stored bytes,
//! behind [`Blobs`] (the filesystem under `data_dir/media` today; an S3-compatible store would
//! be another implementation). Images are decoded and re-encoded before anything is stored
//! ([`process`]), so what a neighbour's phone wrote in them (EXIF, GPS position, maker notes)
//! never leaves the daemon; a thumbnail is kept for digests. Metadata is in PostgreSQL
//! (store/media.rs); the core decides what is taken in and when a file goes (core/media.rs).
//!
//! Imports nothing of the crate: the core and the channels use it.

mod fs;
mod image;

use std::io;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

pub use fs::FsBlobs;
pub use image::{Processed, process};

/// Where file bytes live, by key (the hex SHA-256 of the bytes).
#[async_trait]
pub trait Blobs: Send + Sync {
    /// Stores `bytes` under `key`; storing a key already there is not an error (same bytes).
    async fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()>;
    /// The bytes under `key` (`NotFound` when there are none).
    async fn get(&self, key: &str) -> io::Result<Vec<u8>>;
    /// Deletes `key`; a key already gone is not an error.
    async fn delete(&self, key: &str) -> io::Result<()>;
    /// Whether `key` is stored.
    async fn exists(&self, key: &str) -> io::Result<bool>;
}

/// The media store the daemon uses: where bytes live and what is taken in.
pub struct MediaStore {
    pub blobs: std::sync::Arc<dyn Blobs>,
    pub limits: MediaLimits,
}

impl MediaStore {
    /// Files under `root` on the local filesystem.
    pub fn on_disk(root: impl Into<std::path::PathBuf>, limits: MediaLimits) -> MediaStore {
        MediaStore {
            blobs: std::sync::Arc::new(FsBlobs::new(root)),
            limits,
        }
    }
}

/// The key of `bytes`: their SHA-256, in lower-case hex.
pub fn key_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is taken in (`[media]` in the settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLimits {
    /// The largest file taken in, in bytes (before re-encoding).
    pub max_bytes: u64,
    /// The longest side of a stored image, in pixels (larger images are scaled down).
    pub max_side: u32,
    /// The longest side of a thumbnail, in pixels.
    pub thumb_side: u32,
    /// At most this many files per member and day (0: no limit).
    pub per_member_day: u32,
    /// The types taken in (MIME types; "image/*" for every image the daemon can decode).
    pub types: Vec<String>,
    /// How long the photo links of a digest (`/m/TOKEN`) stay valid, in days.
    pub link_days: u32,
    /// A photo sent alone at most this many seconds after its author's words belongs to them
    /// (0: never; each photo is then its own message).
    pub join_secs: u32,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            max_bytes: 10 * 1024 * 1024,
            max_side: 1600,
            thumb_side: 240,
            per_member_day: 30,
            types: vec!["image/jpeg".into(), "image/png".into(), "image/webp".into()],
            link_days: 30,
            join_secs: 120,
        }
    }
}

impl MediaLimits {
    /// Whether the declared type `mime` is taken in.
    pub fn allows(&self, mime: &str) -> bool {
        let mime = mime.trim().to_ascii_lowercase();
        self.types.iter().any(|t| {
            let t = t.trim().to_ascii_lowercase();
            t == mime
                || t.strip_suffix("/*")
                    .is_some_and(|top| mime.split('/').next() == Some(top))
        })
    }
}

/// Why a file was not taken in (the author is told, the copies say "photo non transmise").
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
    /// Larger than `max_bytes`.
    TooLarge,
    /// A type not in `types`, or not an image the daemon can read.
    Type,
    /// The member's daily number of files is reached.
    Quota,
    /// It could not be fetched from its channel.
    Unavailable,
}

impl Refusal {
    /// The suffix of its Fluent message ids (`media-refused-too-large`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::TooLarge => "too-large",
            Refusal::Type => "type",
            Refusal::Quota => "quota",
            Refusal::Unavailable => "unavailable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_matched_exactly_or_by_family() {
        let mut l = MediaLimits::default();
        assert!(l.allows("image/jpeg"));
        assert!(l.allows("IMAGE/PNG"));
        assert!(!l.allows("application/pdf"));
        l.types = vec!["image/*".into()];
        assert!(l.allows("image/webp"));
        assert!(!l.allows("video/mp4"));
    }

    #[test]
    fn keys_are_sha256_hex() {
        assert_eq!(
            key_of(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
