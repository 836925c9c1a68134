//! Content-addressed file storage: bytes are kept under their SHA-256, so the same file
//! uploaded twice is stored once and a stored file can be verified against its name.
//!
//! Backed by `object_store`: a local directory by default, `s3://bucket/prefix` or
//! `gs://bucket/prefix` by URL (credentials and endpoints from the usual `AWS_*` /
//! `GOOGLE_*` variables of those SDKs).

use std::path::Path as FsPath;
use std::sync::Arc;

use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};

use crate::StoreError;

/// What was stored: its hash (the key) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size_bytes: u64,
    /// `false` when identical bytes were already stored.
    pub newly_stored: bool,
}

/// Content-addressed blobs over an object store.
#[derive(Clone)]
pub struct FileStore {
    inner: Arc<dyn ObjectStore>,
    location: String,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore")
            .field("location", &self.location)
            .finish()
    }
}

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl FileStore {
    /// A store in a local directory, created if missing.
    pub fn local(dir: &FsPath) -> Result<FileStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Config(format!(
                "cannot create file directory {}: {e}",
                dir.display()
            ))
        })?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        Ok(FileStore {
            inner: Arc::new(fs),
            location: dir.display().to_string(),
        })
    }

    /// A store at `s3://bucket[/prefix]` or `gs://bucket[/prefix]`, configured from the
    /// environment (e.g. `AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, `GOOGLE_SERVICE_ACCOUNT`).
    pub fn remote(url: &str) -> Result<FileStore, StoreError> {
        let parsed = url::Url::parse(url)
            .map_err(|e| StoreError::Config(format!("invalid storage URL {url}: {e}")))?;
        // object_store's reqwest client has no TLS provider of its own (Cargo.toml).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let store: Arc<dyn ObjectStore> = match parsed.scheme() {
            "s3" => Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(url)
                    .build()?,
            ),
            "gs" => Arc::new(
                object_store::gcp::GoogleCloudStorageBuilder::from_env()
                    .with_url(url)
                    .build()?,
            ),
            other => {
                return Err(StoreError::Config(format!(
                    "unsupported storage scheme {other}: use s3:// or gs://"
                )));
            }
        };
        let prefix = parsed.path().trim_matches('/');
        let inner: Arc<dyn ObjectStore> = if prefix.is_empty() {
            store
        } else {
            Arc::new(PrefixStore::new(store, Path::from(prefix)))
        };
        Ok(FileStore {
            inner,
            location: url.to_string(),
        })
    }

    /// Where the files live, for health and `config check`.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// Key layout `sha256/ab/cd/<hash>`: two levels of fan-out keep directories small.
    fn key(sha256: &str) -> Path {
        Path::from(format!(
            "sha256/{}/{}/{}",
            &sha256[..2],
            &sha256[2..4],
            sha256
        ))
    }

    /// Stores `bytes` under their hash; storing the same bytes again is a cheap no-op.
    pub async fn put(&self, bytes: &[u8]) -> Result<StoredBlob, StoreError> {
        let sha256 = sha256_hex(bytes);
        let key = Self::key(&sha256);
        let exists = match self.inner.head(&key).await {
            Ok(_) => true,
            Err(object_store::Error::NotFound { .. }) => false,
            Err(e) => return Err(e.into()),
        };
        if !exists {
            self.inner
                .put(&key, PutPayload::from(bytes.to_vec()))
                .await?;
        }
        Ok(StoredBlob {
            sha256,
            size_bytes: bytes.len() as u64,
            newly_stored: !exists,
        })
    }

    /// The bytes stored under `sha256`, verified against it.
    pub async fn get(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        if !is_sha256_hex(sha256) {
            return Err(StoreError::NotFound);
        }
        let bytes = match self.inner.get(&Self::key(sha256)).await {
            Ok(r) => r.bytes().await?,
            Err(object_store::Error::NotFound { .. }) => return Err(StoreError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if sha256_hex(&bytes) != sha256 {
            return Err(StoreError::Corrupt(format!(
                "stored file {sha256} does not match its hash"
            )));
        }
        Ok(bytes.to_vec())
    }

    pub async fn exists(&self, sha256: &str) -> Result<bool, StoreError> {
        if !is_sha256_hex(sha256) {
            return Ok(false);
        }
        match self.inner.head(&Self::key(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a blob; removing one that is not there is not an error.
    pub async fn delete(&self, sha256: &str) -> Result<(), StoreError> {
        if !is_sha256_hex(sha256) {
            return Ok(());
        }
        match self.inner.delete(&Self::key(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Key of a file derived from the blob `sha256` (a rendered page, say): kept beside the
    /// blobs under `derived/`, named by the source's hash and `name`, so it is found again
    /// without a database row and a new source never meets an old rendering.
    fn derived_key(sha256: &str, name: &str) -> Option<Path> {
        let safe_name = !name.is_empty()
            && name.len() <= 100
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            && !name.starts_with('.');
        (is_sha256_hex(sha256) && safe_name).then(|| {
            Path::from(format!(
                "derived/{}/{}/{}/{}",
                &sha256[..2],
                &sha256[2..4],
                sha256,
                name
            ))
        })
    }

    /// Keeps `bytes` as `name` derived from the blob `sha256` (replacing an earlier one).
    pub async fn put_derived(
        &self,
        sha256: &str,
        name: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        let key = Self::derived_key(sha256, name).ok_or_else(|| {
            StoreError::InvalidInput(format!("{name:?} is not a name for a derived file"))
        })?;
        self.inner
            .put(&key, PutPayload::from(bytes.to_vec()))
            .await?;
        Ok(())
    }

    /// The file `name` derived from the blob `sha256`, if one was kept.
    pub async fn get_derived(
        &self,
        sha256: &str,
        name: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(key) = Self::derived_key(sha256, name) else {
            return Ok(None);
        };
        match self.inner.get(&key).await {
            Ok(r) => Ok(Some(r.bytes().await?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes and reads back a probe file: the storage health check.
    pub async fn probe(&self) -> Result<(), StoreError> {
        let blob = self.put(b"doxin storage probe").await?;
        self.get(&blob.sha256).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_by_content_and_deduplicates() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fs = FileStore::local(dir.path()).expect("local store");
        let a = fs.put(b"%PDF-1.7 hello").await.expect("put");
        assert!(a.newly_stored);
        assert_eq!(a.sha256, sha256_hex(b"%PDF-1.7 hello"));
        let again = fs.put(b"%PDF-1.7 hello").await.expect("put again");
        assert!(!again.newly_stored);
        assert_eq!(fs.get(&a.sha256).await.expect("get"), b"%PDF-1.7 hello");
        let on_disk = dir
            .path()
            .join("sha256")
            .join(&a.sha256[..2])
            .join(&a.sha256[2..4])
            .join(&a.sha256);
        assert!(
            on_disk.exists(),
            "content-addressed path {}",
            on_disk.display()
        );
        fs.delete(&a.sha256).await.expect("delete");
        assert!(!fs.exists(&a.sha256).await.expect("exists"));
        assert!(matches!(fs.get(&a.sha256).await, Err(StoreError::NotFound)));
    }

    #[tokio::test]
    async fn derived_files_are_kept_by_source_and_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fs = FileStore::local(dir.path()).expect("local store");
        let a = fs.put(b"%PDF-1.7 source").await.expect("put");
        assert_eq!(
            fs.get_derived(&a.sha256, "page-1-150.png")
                .await
                .expect("get"),
            None
        );
        fs.put_derived(&a.sha256, "page-1-150.png", b"png")
            .await
            .expect("put derived");
        assert_eq!(
            fs.get_derived(&a.sha256, "page-1-150.png")
                .await
                .expect("get"),
            Some(b"png".to_vec())
        );
        // Names cannot leave the source's folder.
        assert!(fs.put_derived(&a.sha256, "../x", b"x").await.is_err());
        assert_eq!(
            fs.get_derived("nothex", "page-1-150.png")
                .await
                .expect("get"),
            None
        );
    }

    #[tokio::test]
    async fn a_tampered_file_is_reported_corrupt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fs = FileStore::local(dir.path()).expect("local store");
        let a = fs.put(b"original").await.expect("put");
        let path = dir.path().join(format!(
            "sha256/{}/{}/{}",
            &a.sha256[..2],
            &a.sha256[2..4],
            a.sha256
        ));
        std::fs::write(path, b"tampered").expect("overwrite");
        assert!(matches!(
            fs.get(&a.sha256).await,
            Err(StoreError::Corrupt(_))
        ));
    }

    #[tokio::test]
    async fn names_that_are_not_hashes_are_never_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fs = FileStore::local(dir.path()).expect("local store");
        assert!(matches!(
            fs.get("../../etc/passwd").await,
            Err(StoreError::NotFound)
        ));
        assert!(!fs.exists("zz").await.expect("exists"));
    }

    #[test]
    fn remote_urls_are_checked() {
        assert!(matches!(
            FileStore::remote("ftp://x/y"),
            Err(StoreError::Config(_))
        ));
        assert!(FileStore::remote("s3://invoices/prefix").is_ok());
    }
}
