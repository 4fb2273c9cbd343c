//! Where evidence bytes live: one `ObjectStore`, a folder under the data directory by
//! default and any S3-compatible bucket in production (`s3://bucket/prefix`, credentials
//! and endpoint from the usual AWS variables or flags). Keys are Ponte's own, relative to
//! the configured prefix; an upload is written in parts as it streams, never held whole.

use bytes::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, WriteMultipart};
use std::sync::Arc;

/// Parts in flight at once while an upload streams (each up to object_store's 5 MiB part):
/// bounds the memory one upload holds.
const PARTS_IN_FLIGHT: usize = 2;

/// Where the store is, as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Local(std::path::PathBuf),
    S3 { bucket: String, prefix: String, endpoint: Option<String>, region: Option<String>, allow_http: bool },
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("evidence store location not understood: {0}")]
    Location(String),
    #[error(transparent)]
    Store(#[from] object_store::Error),
}

impl Location {
    /// `s3://bucket/prefix` or a folder path.
    pub fn parse(raw: &str) -> Result<Location, BlobError> {
        let raw = raw.trim();
        if let Some(rest) = raw.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(BlobError::Location("s3:// needs a bucket name".into()));
            }
            return Ok(Location::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
                endpoint: None,
                region: None,
                allow_http: false,
            });
        }
        if raw.is_empty() || raw.contains("://") {
            return Err(BlobError::Location(format!("{raw:?}: use a folder or s3://bucket/prefix")));
        }
        Ok(Location::Local(raw.into()))
    }
}

#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    prefix: Option<Path>,
    describe: String,
}

impl std::fmt::Debug for Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe)
    }
}

impl Blobs {
    /// A store in memory: what `Services` holds until the server sets the configured one
    /// (nothing outlives the process; a running server never uses it).
    pub fn in_memory() -> Blobs {
        Blobs {
            store: Arc::new(object_store::memory::InMemory::new()),
            prefix: None,
            describe: "memória (não configurado)".into(),
        }
    }

    pub fn open(location: &Location) -> Result<Blobs, BlobError> {
        match location {
            Location::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| BlobError::Location(format!("{}: {e}", dir.display())))?;
                let store = LocalFileSystem::new_with_prefix(dir)?.with_automatic_cleanup(true);
                Ok(Blobs { store: Arc::new(store), prefix: None, describe: format!("pasta {}", dir.display()) })
            }
            Location::S3 { bucket, prefix, endpoint, region, allow_http } => {
                // Credentials and region from AWS_* like every AWS tool; the flags override.
                // A store that is down answers the upload with a 503 in seconds, not after
                // object_store's default three minutes of retries.
                let retry = object_store::RetryConfig {
                    max_retries: 2,
                    retry_timeout: std::time::Duration::from_secs(10),
                    ..Default::default()
                };
                let client = object_store::ClientOptions::new().with_connect_timeout(std::time::Duration::from_secs(5));
                // (Client options first: they carry `allow_http`, which must not be reset.)
                let mut builder = AmazonS3Builder::from_env()
                    .with_client_options(client)
                    .with_bucket_name(bucket)
                    .with_allow_http(*allow_http)
                    .with_retry(retry);
                if let Some(e) = endpoint {
                    builder = builder.with_endpoint(e);
                }
                if let Some(r) = region {
                    builder = builder.with_region(r);
                }
                let prefix = (!prefix.is_empty()).then(|| Path::from(prefix.as_str()));
                let describe = match &prefix {
                    Some(p) => format!("s3://{bucket}/{p}"),
                    None => format!("s3://{bucket}"),
                };
                Ok(Blobs { store: Arc::new(builder.build()?), prefix, describe })
            }
        }
    }

    /// Where it is, for logs and the health page (never a credential).
    pub fn describe(&self) -> &str {
        &self.describe
    }

    /// `rel` (segments joined by `/`) under the prefix. Not `Path::child`: that takes one
    /// segment and would escape the slashes of `org/1/item/sha`.
    fn key(&self, rel: &str) -> Path {
        match &self.prefix {
            Some(p) => Path::from(format!("{p}/{rel}")),
            None => Path::from(rel),
        }
    }

    /// Starts writing `rel` in parts.
    pub async fn writer(&self, rel: &str) -> Result<Writer, BlobError> {
        let upload = self.store.put_multipart(&self.key(rel)).await?;
        Ok(Writer { inner: WriteMultipart::new(upload) })
    }

    /// Moves a finished temporary object to its key.
    pub async fn rename(&self, from: &str, to: &str) -> Result<(), BlobError> {
        Ok(self.store.rename(&self.key(from), &self.key(to)).await?)
    }

    pub async fn delete(&self, rel: &str) -> Result<(), BlobError> {
        match self.store.delete(&self.key(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// The object's bytes, streamed.
    pub async fn get(&self, rel: &str) -> Result<object_store::GetResult, BlobError> {
        Ok(self.store.get(&self.key(rel)).await?)
    }

    /// Every object's key (relative to the prefix), sorted: for checks that nothing was left.
    pub async fn keys(&self) -> Result<Vec<String>, BlobError> {
        use futures::TryStreamExt;
        let metas: Vec<_> = self.store.list(self.prefix.as_ref()).try_collect().await?;
        let skip = self.prefix.as_ref().map_or(0, |p| p.as_ref().len() + 1);
        let mut keys: Vec<String> = metas.into_iter().map(|m| m.location.as_ref()[skip..].to_string()).collect();
        keys.sort();
        Ok(keys)
    }

    /// Whether `rel` exists.
    pub async fn exists(&self, rel: &str) -> Result<bool, BlobError> {
        match self.store.head(&self.key(rel)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}

/// An object being written: bytes go out in parts as they come, with at most
/// `PARTS_IN_FLIGHT` parts in the air.
pub struct Writer {
    inner: WriteMultipart,
}

impl Writer {
    pub async fn write(&mut self, bytes: Bytes) -> Result<(), BlobError> {
        self.inner.wait_for_capacity(PARTS_IN_FLIGHT).await?;
        self.inner.put(bytes);
        Ok(())
    }

    pub async fn finish(self) -> Result<(), BlobError> {
        self.inner.finish().await?;
        Ok(())
    }

    /// Gives the upload up: nothing of it stays in the store.
    pub async fn abort(self) -> Result<(), BlobError> {
        Ok(self.inner.abort().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    #[test]
    fn locations_are_read_as_operators_write_them() {
        assert_eq!(
            Location::parse("s3://ponte-evidencias/prod/").unwrap(),
            Location::S3 {
                bucket: "ponte-evidencias".into(),
                prefix: "prod".into(),
                endpoint: None,
                region: None,
                allow_http: false
            }
        );
        assert!(matches!(Location::parse("s3://b").unwrap(), Location::S3 { prefix, .. } if prefix.is_empty()));
        assert_eq!(Location::parse("./data/evidence").unwrap(), Location::Local("./data/evidence".into()));
        for bad in ["s3://", "s3:///x", "gs://b/x", "", "  "] {
            assert!(Location::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_local_store_streams_renames_and_aborts_without_leftovers() {
        let dir = std::env::temp_dir().join(format!("ponte-blob-{}", crate::domain::auth::random_token()));
        let blobs = Blobs::open(&Location::Local(dir.clone())).unwrap();
        assert!(blobs.describe().contains("ponte-blob-"));
        // Three chunks, 12 MiB in all: written in parts, read back whole.
        let mut w = blobs.writer("tmp/a").await.unwrap();
        for byte in [1u8, 2, 3] {
            w.write(Bytes::from(vec![byte; 4 * 1024 * 1024])).await.unwrap();
        }
        w.finish().await.unwrap();
        blobs.rename("tmp/a", "org/1/item/abc").await.unwrap();
        assert!(!blobs.exists("tmp/a").await.unwrap());
        let got: Vec<Bytes> = blobs.get("org/1/item/abc").await.unwrap().into_stream().try_collect().await.unwrap();
        let all: Vec<u8> = got.concat();
        assert_eq!(all.len(), 12 * 1024 * 1024);
        assert_eq!((all[0], all[4 * 1024 * 1024], all[all.len() - 1]), (1, 2, 3));
        // An upload given up leaves nothing behind.
        let mut w = blobs.writer("tmp/b").await.unwrap();
        w.write(Bytes::from_static(b"partial")).await.unwrap();
        w.abort().await.unwrap();
        assert!(!blobs.exists("tmp/b").await.unwrap());
        blobs.delete("org/1/item/abc").await.unwrap();
        blobs.delete("org/1/item/abc").await.unwrap();
        assert!(!blobs.exists("org/1/item/abc").await.unwrap());
        // Not even a staging file of the aborted part upload.
        let listed: Vec<_> = blobs.store.list(None).try_collect().await.unwrap();
        assert!(listed.is_empty(), "{listed:?}");
        fn files(dir: &std::path::Path) -> usize {
            std::fs::read_dir(dir)
                .map(|d| d.flatten().map(|e| if e.path().is_dir() { files(&e.path()) } else { 1 }).sum())
                .unwrap_or(0)
        }
        assert_eq!(files(&dir), 0);
        let _ = std::fs::remove_dir_all(dir);
    }
}
