//! The result cache: rendered variants kept in a store so that a repeated request is
//! answered without fetching or decoding the original.
//!
//! Two kinds of object, in one result store:
//! - `results/<hex sha256(variant material)>`: the canonical entry. The material is
//!   exactly what the variant's ETag covers (source ETag, canonical parameters,
//!   operand ETags and watermark hashes, render version), so a replaced original
//!   (delete + upload: a new ETag) or a new render version reaches a new key, and old
//!   entries are simply never read again (an S3 lifecycle rule expires them).
//! - `edge/<hex sha256(key)>/<hex sha256(message)>`: the copy CloudFront reads
//!   straight from S3 ([`crate::edge_key`]); deleting an original deletes its folder.
//!
//! Reads and writes never fail a request: a store error is logged and counts as a miss.

use crate::config::Config;
use crate::edge_key;
use crate::edge_key::hex_sha256;
use crate::storage::{self, DynStore, ResultHeaders, ResultObject, StoreError, StoreResult};
use bytes::Bytes;
use std::sync::Arc;

/// The response header that says whether the result cache answered.
pub const RESULT_CACHE_HEADER: &str = "x-result-cache";

/// What the result cache did for one transformed GET (the `X-Result-Cache` value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Served from the cache: the original was not read, nothing was decoded.
    Hit,
    /// Rendered, then stored.
    Miss,
    /// This deployment keeps no results.
    Off,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Miss => "miss",
            Outcome::Off => "off",
        }
    }
}

pub struct ResultCache {
    store: DynStore,
    /// Where it is, for the start-up log.
    pub spec: String,
}

impl ResultCache {
    pub fn new(store: DynStore, spec: impl Into<String>) -> ResultCache {
        ResultCache {
            store,
            spec: spec.into(),
        }
    }

    /// The cache `config` asks for (for its store), opened; `None` when it is off.
    pub async fn open(config: &Config) -> Result<Option<Arc<ResultCache>>, String> {
        let Some(spec) = config.result_cache.resolve(&config.store) else {
            return Ok(None);
        };
        let store = storage::open(&spec)
            .await
            .map_err(|e| format!("IMAGE_SERVICE_RESULT_CACHE: {e}"))?;
        Ok(Some(Arc::new(ResultCache::new(store, spec))))
    }

    /// The canonical entry's key for a variant's ETag material.
    pub fn canonical_key(material: &str) -> String {
        format!("results/{}", hex_sha256(material.as_bytes()))
    }

    /// The stored result, or `None` on a miss (absent, over `max_bytes`, or the store
    /// failed: logged).
    pub async fn get(&self, key: &str, max_bytes: u64) -> Option<ResultObject> {
        match self.store.get_result(key, max_bytes).await {
            Ok(found) => Some(found),
            Err(StoreError::NotFound(_) | StoreError::TooLarge { .. }) => None,
            Err(e) => {
                tracing::warn!(key, error = %crate::error::chain(&e), "result cache read failed; rendering");
                None
            }
        }
    }

    /// Stores a result; a failure is logged, never the request's error.
    pub async fn put(&self, key: &str, bytes: Bytes, headers: &ResultHeaders<'_>) {
        if let Err(e) = self.store.put_result(key, bytes, headers).await {
            tracing::warn!(key, error = %crate::error::chain(&e), "result cache write failed");
        }
    }

    /// Deletes every edge copy of the original `key`; returns how many there were.
    pub async fn delete_edge_copies(&self, key: &str) -> StoreResult<usize> {
        let folder = edge_key::edge_folder(key);
        let mut removed = 0;
        let mut token: Option<String> = None;
        loop {
            let page = self.store.list(&folder, token.as_deref(), 1000).await?;
            let keys: Vec<String> = page.objects.into_iter().map(|o| o.key).collect();
            removed += keys.len();
            if !keys.is_empty() {
                self.store.delete_many(&keys).await?;
            }
            match page.next_token {
                Some(t) => token = Some(t),
                None => return Ok(removed),
            }
        }
    }
}
