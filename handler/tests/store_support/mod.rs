//! Fresh stores for the contract suites: a temporary folder, and a new bucket on the S3
//! API server of `IMAGE_SERVICE_TEST_S3_ENDPOINT` (see `store_contract.rs`).
#![allow(dead_code)] // each suite uses some of these

use image_service::storage::s3::S3Store;
use image_service::storage::DynStore;
use std::sync::Arc;
use test_support::*;

pub fn fresh_fs() -> (tempfile::TempDir, DynStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = fs_store(dir.path());
    (dir, store)
}

/// A store and its result cache in the store's own `_/cache/` (the default for S3).
pub fn fresh_fs_with_cache() -> (tempfile::TempDir, DynStore, DynStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = fs_store(dir.path());
    let cache = fs_store(&dir.path().join("_/cache"));
    (dir, store, cache)
}

pub async fn fresh_s3_with_cache() -> Option<(DynStore, DynStore)> {
    let (client, bucket) = s3_bucket().await?;
    let store: DynStore = Arc::new(S3Store::new(client.clone(), bucket.clone()));
    let cache: DynStore = Arc::new(S3Store::new(client, bucket).with_prefix("_/cache/"));
    Some((store, cache))
}

pub async fn fresh_s3() -> Option<DynStore> {
    let (client, bucket) = s3_bucket().await?;
    Some(Arc::new(S3Store::new(client, bucket)))
}

pub async fn s3_bucket() -> Option<(aws_sdk_s3::Client, String)> {
    let endpoint = s3_endpoint("S3 contract case")?;
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .force_path_style(true)
        .build();
    let client = aws_sdk_s3::Client::from_conf(conf);
    let bucket = format!("contract-{}", uuid::Uuid::new_v4().simple());
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket on the S3 server");
    Some((client, bucket))
}
