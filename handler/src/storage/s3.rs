//! S3 store. Honours the standard AWS environment (credentials, region,
//! `AWS_ENDPOINT_URL`); with a custom endpoint it switches to path-style addressing,
//! which S3-compatible servers (moto, MinIO) expect.

use super::{
    decode_token, encode_token, is_reserved_key, ListPage, Object, ObjectMeta, ResultHeaders,
    ResultObject, Store, StoreError, StoreResult,
};
use async_trait::async_trait;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use aws_sdk_s3::Client;
use bytes::Bytes;
use std::collections::HashMap;
use std::time::SystemTime;

/// The user metadata key a result's `X-Image-Quality` is kept under.
const IMAGE_QUALITY_METADATA: &str = "image-quality";

/// S3's own ceiling for one DeleteObjects call.
const DELETE_BATCH: usize = 1000;

/// Sorts after every key under the reserved `_/` (ours are ASCII): a listing that
/// reaches that range continues after this.
const PAST_RESERVED: &str = "_/\u{10FFFF}";

pub struct S3Store {
    client: Client,
    bucket: String,
    /// Put before every key: empty, or ending with `/` (`s3://bucket/prefix`).
    prefix: String,
}

/// The SDK error stays whole as the source; its text is the SDK's full context (error
/// code, message, request id), which its own `Display` leaves out.
fn backend<E, R>(op: &str, e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::backend(format!("S3 {op}"), SdkCause(e))
}

struct SdkCause<E>(E);

impl<E: std::error::Error> std::fmt::Display for SdkCause<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", DisplayErrorContext(&self.0))
    }
}

impl<E: std::fmt::Debug> std::fmt::Debug for SdkCause<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// No further source: the text above already walks the SDK's chain.
impl<E: std::error::Error> std::error::Error for SdkCause<E> {}

fn http_status<E, R>(e: &SdkError<E, aws_smithy_runtime_api::http::Response<R>>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

fn system_time(t: Option<&aws_sdk_s3::primitives::DateTime>) -> SystemTime {
    t.and_then(|t| SystemTime::try_from(*t).ok())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Metadata from the fields every S3 response names alike.
fn object_meta(
    key: &str,
    size: Option<i64>,
    etag: Option<&str>,
    last_modified: Option<&aws_sdk_s3::primitives::DateTime>,
    storage_class: Option<&str>,
) -> ObjectMeta {
    ObjectMeta {
        key: key.to_string(),
        size: size.unwrap_or(0).max(0) as u64,
        etag: etag.unwrap_or_default().trim_matches('"').to_string(),
        last_modified: system_time(last_modified),
        storage_class: storage_class.unwrap_or("STANDARD").to_string(),
    }
}

impl S3Store {
    pub fn new(client: Client, bucket: impl Into<String>) -> S3Store {
        S3Store {
            client,
            bucket: bucket.into(),
            prefix: String::new(),
        }
    }

    /// The same bucket with every key under `prefix` (empty, or ending with `/`).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> S3Store {
        self.prefix = prefix.into();
        self
    }

    /// The object key in the bucket.
    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Fetches `key`, refusing with `TooLarge` past `max_bytes` before reading the body.
    async fn get_object(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> StoreResult<(aws_sdk_s3::operation::get_object::GetObjectOutput, Bytes)> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_no_such_key()) {
                    StoreError::NotFound(key.into())
                } else {
                    backend("GetObject", e)
                }
            })?;
        let size = out.content_length().unwrap_or(0).max(0) as u64;
        if size > max_bytes {
            // Dropping the body closes the connection before the bytes are read.
            return Err(StoreError::TooLarge {
                key: key.into(),
                size,
                limit: max_bytes,
            });
        }
        let mut out = out;
        let body = std::mem::take(&mut out.body);
        let bytes = body
            .collect()
            .await
            .map_err(|e| StoreError::backend("S3 GetObject body", e))?
            .into_bytes();
        if bytes.len() as u64 > max_bytes {
            return Err(StoreError::TooLarge {
                key: key.into(),
                size: bytes.len() as u64,
                limit: max_bytes,
            });
        }
        Ok((out, bytes))
    }

    pub async fn from_env(bucket: &str) -> S3Store {
        let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let custom_endpoint = std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let path_style = match std::env::var("IMAGE_SERVICE_S3_PATH_STYLE") {
            Ok(v) => matches!(v.as_str(), "1" | "true" | "yes"),
            Err(_) => custom_endpoint,
        };
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(path_style)
            .build();
        S3Store::new(Client::from_conf(conf), bucket)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
}

#[async_trait]
impl Store for S3Store {
    async fn head(&self, key: &str) -> StoreResult<ObjectMeta> {
        let out = self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .send()
            .await
            .map_err(|e| {
                if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                    StoreError::NotFound(key.into())
                } else {
                    backend("HeadObject", e)
                }
            })?;
        Ok(object_meta(
            key,
            out.content_length(),
            out.e_tag(),
            out.last_modified(),
            out.storage_class().map(|c| c.as_str()),
        ))
    }

    async fn get(&self, key: &str, max_bytes: u64) -> StoreResult<Object> {
        let (out, bytes) = self.get_object(key, max_bytes).await?;
        let meta = object_meta(
            key,
            out.content_length(),
            out.e_tag(),
            out.last_modified(),
            out.storage_class().map(|c| c.as_str()),
        );
        Ok(Object { meta, bytes })
    }

    async fn put_if_absent(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> StoreResult<ObjectMeta> {
        let size = bytes.len() as u64;
        let out = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .content_type(content_type)
            .if_none_match("*")
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| {
                // 412: the key exists; 409: a concurrent conditional write to it is in flight.
                let status = http_status(&e);
                let code = e.code().unwrap_or_default();
                if matches!(status, Some(412) | Some(409)) || code == "PreconditionFailed" {
                    StoreError::AlreadyExists(key.into())
                } else {
                    backend("PutObject", e)
                }
            })?;
        let mut meta = object_meta(key, Some(size as i64), out.e_tag(), None, None);
        // PutObject answers no date; the write just happened.
        meta.last_modified = SystemTime::now();
        Ok(meta)
    }

    async fn put_result(
        &self,
        key: &str,
        bytes: Bytes,
        headers: &ResultHeaders<'_>,
    ) -> StoreResult<()> {
        let metadata = headers
            .image_quality
            .map(|q| HashMap::from([(IMAGE_QUALITY_METADATA.to_string(), q.to_string())]));
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.full(key))
            .content_type(headers.content_type)
            .set_cache_control(headers.cache_control.map(str::to_string))
            .set_metadata(metadata)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| backend("PutObject", e))?;
        Ok(())
    }

    async fn get_result(&self, key: &str, max_bytes: u64) -> StoreResult<ResultObject> {
        let (out, bytes) = self.get_object(key, max_bytes).await?;
        Ok(ResultObject {
            bytes,
            content_type: out
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string(),
            cache_control: out.cache_control().map(str::to_string),
            image_quality: out
                .metadata()
                .and_then(|m| m.get(IMAGE_QUALITY_METADATA))
                .cloned(),
        })
    }

    /// Pages by `StartAfter` (the token is the last key seen), so a page that ends in
    /// the reserved `_/` range can continue past it instead of walking our own objects.
    async fn list(
        &self,
        prefix: &str,
        token: Option<&str>,
        max_keys: u32,
    ) -> StoreResult<ListPage> {
        if is_reserved_key(prefix) {
            return Ok(ListPage::default());
        }
        let start_after = token.map(decode_token).transpose()?;
        let mut req = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .max_keys(max_keys.min(1000) as i32);
        if !self.prefix.is_empty() || !prefix.is_empty() {
            req = req.prefix(self.full(prefix));
        }
        if let Some(after) = &start_after {
            req = req.start_after(self.full(after));
        }
        let out = req.send().await.map_err(|e| {
            if matches!(http_status(&e), Some(400)) {
                StoreError::BadToken
            } else {
                backend("ListObjectsV2", e)
            }
        })?;
        let mut objects = Vec::new();
        let mut last_seen: Option<String> = None;
        for o in out.contents() {
            let full = o.key().unwrap_or_default();
            let key = full.strip_prefix(&self.prefix).unwrap_or(full);
            last_seen = Some(key.to_string());
            if is_reserved_key(key) {
                continue;
            }
            objects.push(object_meta(
                key,
                o.size(),
                o.e_tag(),
                o.last_modified(),
                o.storage_class().map(|c| c.as_str()),
            ));
        }
        let next_token = match last_seen {
            Some(last) if out.is_truncated().unwrap_or(false) => {
                let resume = if is_reserved_key(&last) {
                    last.max(PAST_RESERVED.to_string())
                } else {
                    last
                };
                Some(encode_token(&resume))
            }
            _ => None,
        };
        Ok(ListPage {
            objects,
            next_token,
        })
    }

    async fn delete_many(&self, keys: &[String]) -> StoreResult<()> {
        for batch in keys.chunks(DELETE_BATCH) {
            let ids = batch
                .iter()
                .map(|k| ObjectIdentifier::builder().key(self.full(k)).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| StoreError::backend("S3 DeleteObjects request", e))?;
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(true)
                .build()
                .map_err(|e| StoreError::backend("S3 DeleteObjects request", e))?;
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| backend("DeleteObjects", e))?;
            if let Some(err) = out.errors().first() {
                return Err(StoreError::backend(
                    "S3 DeleteObjects",
                    format!(
                        "{} of {} keys failed, first {:?}: {:?}",
                        out.errors().len(),
                        batch.len(),
                        err.key(),
                        err.message()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "s3"
    }
}
