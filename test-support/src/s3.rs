//! The S3 API server the tests use (moto on loopback, started by `bin/test`).

/// `IMAGE_SERVICE_TEST_S3_ENDPOINT`, e.g. `http://127.0.0.1:5055`. Without it the
/// caller skips its S3 case (`what` names it in the message) — unless
/// `IMAGE_SERVICE_REQUIRE_S3=1`, which `bin/test` sets: then a missing endpoint fails.
pub fn s3_endpoint(what: &str) -> Option<String> {
    match std::env::var("IMAGE_SERVICE_TEST_S3_ENDPOINT") {
        Ok(e) => Some(e),
        Err(_) if std::env::var("IMAGE_SERVICE_REQUIRE_S3").as_deref() == Ok("1") => {
            panic!("IMAGE_SERVICE_TEST_S3_ENDPOINT is not set but IMAGE_SERVICE_REQUIRE_S3=1")
        }
        Err(_) => {
            eprintln!("skipping {what}: IMAGE_SERVICE_TEST_S3_ENDPOINT is not set");
            None
        }
    }
}
