//! Files on the local filesystem: `ROOT/ab/cd/abcd…` (two levels of fan-out, so no directory
//! holds more than a few thousand files). Written to a temporary name and renamed, so a
//! crash never leaves half a file under its key.

use std::io;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::Blobs;

/// The filesystem store under one directory (`data_dir/media` by default).
#[derive(Debug, Clone)]
pub struct FsBlobs {
    root: PathBuf,
}

impl FsBlobs {
    pub fn new(root: impl Into<PathBuf>) -> FsBlobs {
        FsBlobs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `key` lives; keys are hex digests, anything else is refused (no path escapes).
    fn path(&self, key: &str) -> io::Result<PathBuf> {
        if key.len() < 8 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a media key"));
        }
        Ok(self.root.join(&key[..2]).join(&key[2..4]).join(key))
    }
}

#[async_trait]
impl Blobs for FsBlobs {
    async fn put(&self, key: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(key)?;
        if tokio::fs::try_exists(&path).await? {
            return Ok(());
        }
        let dir = path.parent().expect("a media path has a parent");
        tokio::fs::create_dir_all(dir).await?;
        let tmp = dir.join(format!(".{key}.{}.tmp", rand::random::<u32>()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await
    }

    async fn get(&self, key: &str) -> io::Result<Vec<u8>> {
        tokio::fs::read(self.path(key)?).await
    }

    async fn delete(&self, key: &str) -> io::Result<()> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            r => r,
        }
    }

    async fn exists(&self, key: &str) -> io::Result<bool> {
        tokio::fs::try_exists(self.path(key)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_reads_and_deletes_by_key() {
        let dir = std::env::temp_dir().join(format!("voisinage-blobs-{}", rand::random::<u64>()));
        let blobs = FsBlobs::new(&dir);
        let key = super::super::key_of(b"photo");
        blobs.put(&key, b"photo").await.unwrap();
        blobs.put(&key, b"photo").await.unwrap();
        assert_eq!(blobs.get(&key).await.unwrap(), b"photo");
        assert!(blobs.exists(&key).await.unwrap());
        blobs.delete(&key).await.unwrap();
        blobs.delete(&key).await.unwrap();
        assert!(!blobs.exists(&key).await.unwrap());
        assert!(blobs.get("../../etc/passwd").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
