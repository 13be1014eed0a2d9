//! Where originals live. One trait, two backends: the filesystem (the embedded
//! default) and S3. Each backend maps its own "not found" / "already exists" into
//! [`StoreError`] at the boundary, so handlers never see SDK or io error kinds.

pub mod fs;
pub mod s3;

use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{chain, codes, BoxError, Error};

#[derive(Debug, Clone, PartialEq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
    /// Without quotes; the HTTP layer adds them.
    pub etag: String,
    pub last_modified: SystemTime,
    pub storage_class: String,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub meta: ObjectMeta,
    pub bytes: Bytes,
}

#[derive(Debug, Clone, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectMeta>,
    /// Pass back to continue after the last object of this page.
    pub next_token: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no object at '{0}'")]
    NotFound(String),
    #[error("an object already exists at '{0}'")]
    AlreadyExists(String),
    #[error("object '{key}' is {size} bytes, over the limit of {limit}")]
    TooLarge { key: String, size: u64, limit: u64 },
    #[error("invalid continuation token")]
    BadToken,
    /// The backend failed: `context` names the step (`S3 GetObject`, `fs link`), `source`
    /// is the backend's own error, kept for the log. Clients see a generic 502.
    #[error("{context}")]
    Backend {
        context: String,
        #[source]
        source: BoxError,
    },
}

impl StoreError {
    pub fn backend(context: impl Into<String>, source: impl Into<BoxError>) -> StoreError {
        StoreError::Backend {
            context: context.into(),
            source: source.into(),
        }
    }
}

/// By value; two backend failures are equal when they read the same, cause included.
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        use StoreError::*;
        match (self, other) {
            (NotFound(a), NotFound(b)) | (AlreadyExists(a), AlreadyExists(b)) => a == b,
            (
                TooLarge { key, size, limit },
                TooLarge {
                    key: k,
                    size: s,
                    limit: l,
                },
            ) => (key, size, limit) == (k, s, l),
            (BadToken, BadToken) => true,
            (Backend { .. }, Backend { .. }) => chain(self) == chain(other),
            _ => false,
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(key) => Error::NotFound(format!("No image exists at '{key}'.")),
            StoreError::AlreadyExists(key) => {
                Error::AlreadyExists(format!("An object already exists at '{key}'."))
            }
            StoreError::TooLarge { key, size, limit } => Error::ImageTooLarge(format!(
                "The image '{key}' is {size} bytes; this service processes originals up to {limit} bytes."
            )),
            StoreError::BadToken => Error::bad_request(
                codes::INVALID_PARAMETER,
                "invalid value for parameter 'continuation-token': expected a token from X-Next-Continuation-Token",
            ),
            backend @ StoreError::Backend { .. } => Error::Storage(Box::new(backend)),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Metadata of one object.
    async fn head(&self, key: &str) -> StoreResult<ObjectMeta>;
    /// The whole object, refused with `TooLarge` before reading more than `max_bytes`.
    async fn get(&self, key: &str, max_bytes: u64) -> StoreResult<Object>;
    /// Creates the object only if no object has that key; atomic: concurrent callers
    /// for one key get exactly one success, and readers never see partial bytes.
    async fn put_if_absent(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> StoreResult<ObjectMeta>;
    /// The stored object's metadata when `key` holds exactly `bytes`, `None` when it is
    /// absent or holds other bytes: how a retried upload (cut by a crash or a gateway
    /// timeout after some files were written) is told from a real conflict. It reads
    /// the object back, refusing before the body when the size differs. Not the S3
    /// ETag as an MD5: that holds only for single-part puts without SSE-KMS, while a
    /// byte comparison is right on every store and costs a read only on a name clash.
    async fn existing_if_same(&self, key: &str, bytes: &[u8]) -> StoreResult<Option<ObjectMeta>> {
        match self.get(key, bytes.len() as u64).await {
            Ok(stored) if stored.bytes.as_ref() == bytes => Ok(Some(stored.meta)),
            Ok(_) | Err(StoreError::NotFound(_)) | Err(StoreError::TooLarge { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
    /// Objects whose key starts with `prefix`, in key order, at most `max_keys` per page.
    async fn list(&self, prefix: &str, token: Option<&str>, max_keys: u32)
        -> StoreResult<ListPage>;
    /// Removes the objects; keys that do not exist are not an error.
    async fn delete_many(&self, keys: &[String]) -> StoreResult<()>;
    /// A short name for logs and the health route ("fs" or "s3").
    fn kind(&self) -> &'static str;
}

pub type DynStore = Arc<dyn Store>;

/// Opens the store named by `fs:<dir>` or `s3://<bucket>`.
pub async fn open(spec: &str) -> Result<DynStore, String> {
    if let Some(dir) = spec.strip_prefix("fs:") {
        let store = fs::FsStore::open(dir).map_err(|e| format!("cannot open store {spec}: {e}"))?;
        return Ok(Arc::new(store));
    }
    if let Some(bucket) = spec.strip_prefix("s3://") {
        return Ok(Arc::new(
            s3::S3Store::from_env(bucket.trim_end_matches('/')).await,
        ));
    }
    Err(format!(
        "unknown store {spec:?}: expected fs:<dir> or s3://<bucket>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backend_failure_keeps_its_source_and_tells_the_client_nothing() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "/srv/images/a.jpg");
        let e = StoreError::backend("fs open", io);
        let source = std::error::Error::source(&e).unwrap();
        assert_eq!(
            source.downcast_ref::<std::io::Error>().unwrap().kind(),
            std::io::ErrorKind::PermissionDenied
        );
        let e = Error::from(e);
        assert_eq!((e.status().as_u16(), e.code()), (502, "storage-error"));
        assert!(!e.public_message().contains("/srv"));
        assert_eq!(
            e.cause_chain(),
            "storage failure: fs open: /srv/images/a.jpg"
        );
    }
}
