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
            types: [
                "image/jpeg",
                "image/png",
                "image/webp",
                "application/pdf",
                "video/mp4",
                "video/webm",
            ]
            .map(String::from)
            .to_vec(),
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

/// The type of `bytes` read from their first bytes (their "magic"), whatever the sender's app
/// declared: the images the daemon re-encodes, PDF documents, MP4/QuickTime and WebM/Matroska
/// videos. None for anything else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let at = |i: usize, magic: &[u8]| bytes.get(i..i + magic.len()) == Some(magic);
    Some(if at(0, &[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if at(0, b"\x89PNG\r\n\x1a\n") {
        "image/png"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "image/webp"
    } else if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "image/gif"
    } else if at(0, b"%PDF-") {
        "application/pdf"
    } else if at(4, b"ftyp") {
        if at(8, b"qt  ") { "video/quicktime" } else { "video/mp4" }
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        // The EBML header names its document type near the start.
        let head = &bytes[..bytes.len().min(64)];
        if head.windows(4).any(|w| w == b"webm") {
            "video/webm"
        } else {
            "video/x-matroska"
        }
    } else {
        return None;
    })
}

/// A short name of a MIME type for people ("PDF", "MP4", "JPEG").
pub fn type_name(mime: &str) -> String {
    let sub = mime.split('/').nth(1).unwrap_or(mime);
    match sub {
        "*" => mime.split('/').next().unwrap_or(mime).to_owned(),
        "quicktime" => "MOV".into(),
        "webp" => "WebP".into(),
        "webm" => "WebM".into(),
        s => s.trim_start_matches("x-").to_ascii_uppercase(),
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
        assert!(l.allows("application/pdf"));
        assert!(!l.allows("application/zip"));
        l.types = vec!["image/*".into()];
        assert!(l.allows("image/webp"));
        assert!(!l.allows("video/mp4"));
    }

    #[test]
    fn types_are_read_from_the_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"%PDF-1.7\n%..."), Some("application/pdf"));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0\0\x02\0"), Some("video/mp4"));
        assert_eq!(sniff(b"\0\0\0\x14ftypqt  \0\0\0\0"), Some("video/quicktime"));
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"),
            Some("video/webm")
        );
        assert_eq!(sniff(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff(b"%PD"), None);
        assert_eq!(type_name("application/pdf"), "PDF");
        assert_eq!(type_name("video/webm"), "WebM");
        assert_eq!(type_name("image/*"), "image");
    }

    #[test]
    fn keys_are_sha256_hex() {
        assert_eq!(
            key_of(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
