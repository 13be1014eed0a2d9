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

/// A stored result (a rendered variant, never an original) with the headers it is
/// served with: the result cache reads it back, and S3 hands them to CloudFront.
#[derive(Debug, Clone, PartialEq)]
pub struct ResultObject {
    pub bytes: Bytes,
    pub content_type: String,
    pub cache_control: Option<String>,
    /// The `X-Image-Quality` value (what `q=auto` chose), when there was one.
    pub image_quality: Option<String>,
}

/// What a result is written with: the headers it is served with, and what `q=auto`
/// chose (S3 keeps it as user metadata `image-quality`), so a hit can say it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResultHeaders<'a> {
    pub content_type: &'a str,
    pub cache_control: Option<&'a str>,
    pub image_quality: Option<&'a str>,
}

impl<'a> ResultHeaders<'a> {
    /// Just a content type.
    pub fn typed(content_type: &'a str) -> Self {
        ResultHeaders {
            content_type,
            ..ResultHeaders::default()
        }
    }
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
    /// Writes a result under `key`, replacing what it held (unlike originals, results
    /// may be written again: a re-render has the same bytes). Atomic: a reader sees the
    /// old object or the whole new one. The headers are stored with it.
    async fn put_result(
        &self,
        key: &str,
        bytes: Bytes,
        headers: &ResultHeaders<'_>,
    ) -> StoreResult<()>;
    /// A result written by [`Store::put_result`], refused with `TooLarge` past `max_bytes`.
    async fn get_result(&self, key: &str, max_bytes: u64) -> StoreResult<ResultObject>;
    /// Objects whose key starts with `prefix`, in key order, at most `max_keys` per page.
    /// Keys under the reserved first segment `_/` (the service's own: temporary files,
    /// a result cache kept in the store's bucket) are never listed; a page may then
    /// hold fewer than `max_keys` with a token for more.
    async fn list(&self, prefix: &str, token: Option<&str>, max_keys: u32)
        -> StoreResult<ListPage>;
    /// Removes the objects; keys that do not exist are not an error.
    async fn delete_many(&self, keys: &[String]) -> StoreResult<()>;
    /// A short name for logs and the health route ("fs" or "s3").
    fn kind(&self) -> &'static str;
}

pub type DynStore = Arc<dyn Store>;

/// True for keys under the reserved first segment `_/`, which listings leave out.
pub fn is_reserved_key(key: &str) -> bool {
    key.strip_prefix(crate::keys::RESERVED_SEGMENT)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// A listing token: the last key seen, which the next page starts after.
fn encode_token(key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.as_bytes())
}

fn decode_token(token: &str) -> StoreResult<String> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| StoreError::BadToken)?;
    String::from_utf8(raw).map_err(|_| StoreError::BadToken)
}

/// Where a store lives: `fs:<dir>` or `s3://<bucket>[/<prefix>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    Fs(String),
    /// `prefix` is empty or ends with `/`.
    S3 {
        bucket: String,
        prefix: String,
    },
}

impl StoreSpec {
    /// Parses and checks a spec; the error says what is wrong, for the caller to prefix
    /// with its variable's name.
    pub fn parse(spec: &str) -> Result<StoreSpec, String> {
        if let Some(dir) = spec.strip_prefix("fs:") {
            if dir.is_empty() {
                return Err("expected a directory after 'fs:'".into());
            }
            return Ok(StoreSpec::Fs(dir.to_string()));
        }
        let Some(rest) = spec.strip_prefix("s3://") else {
            return Err("expected 'fs:<dir>' or 's3://<bucket>[/<prefix>]'".into());
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !bucket_ok {
            return Err(format!("'{bucket}' is not a valid S3 bucket name"));
        }
        let prefix = prefix.trim_end_matches('/');
        let segments_ok = prefix
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.chars().any(|c| c.is_control()));
        if !prefix.is_empty() && !segments_ok {
            return Err(format!(
                "'{prefix}' is not a valid key prefix (no empty, '.' or '..' segments)"
            ));
        }
        Ok(StoreSpec::S3 {
            bucket: bucket.to_string(),
            prefix: if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            },
        })
    }
}

/// Opens the store named by `fs:<dir>` or `s3://<bucket>[/<prefix>]`.
pub async fn open(spec: &str) -> Result<DynStore, String> {
    match StoreSpec::parse(spec).map_err(|e| format!("unknown store {spec:?}: {e}"))? {
        StoreSpec::Fs(dir) => {
            let store =
                fs::FsStore::open(&dir).map_err(|e| format!("cannot open store {spec}: {e}"))?;
            Ok(Arc::new(store))
        }
        StoreSpec::S3 { bucket, prefix } => Ok(Arc::new(
            s3::S3Store::from_env(&bucket).await.with_prefix(prefix),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(
            StoreSpec::parse("fs:./data"),
            Ok(StoreSpec::Fs("./data".into()))
        );
        assert_eq!(
            StoreSpec::parse("s3://my-bucket"),
            Ok(StoreSpec::S3 {
                bucket: "my-bucket".into(),
                prefix: String::new()
            })
        );
        assert_eq!(
            StoreSpec::parse("s3://my-bucket/_/cache/"),
            Ok(StoreSpec::S3 {
                bucket: "my-bucket".into(),
                prefix: "_/cache/".into()
            })
        );
        for bad in [
            "fs:",
            "s3://",
            "s3://Bad_Bucket",
            "s3://b-1/a//b",
            "s3://b-1/../x",
            "ftp://x",
        ] {
            assert!(StoreSpec::parse(bad).is_err(), "{bad}");
        }
        assert!(is_reserved_key("_/cache/results/ab"));
        assert!(!is_reserved_key("_") && !is_reserved_key("_a/b.png") && !is_reserved_key("a/_/b"));
    }

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
