//! The Lambda entry point: the same router, served by `lambda_http` for API Gateway
//! REST (payload v1) and HTTP API (v2) events.

use image_service::{router, storage, AppState, Config};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    image_service::codecs::isolate::install();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .without_time() // CloudWatch stamps each line
        .init();
    if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_none() {
        // Routes must see `/photo.jpg`, not `/prod/photo.jpg`. Set before any thread reads the environment.
        std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true");
    }
    let mut config = Config::from_env().map_err(|e| format!("configuration error: {e}"))?;
    if config.max_output_bytes.is_none() {
        config.max_output_bytes = Some(image_service::config::LAMBDA_MAX_OUTPUT_BYTES);
    }
    if config.write_tokens.is_empty() {
        // Management routes answer 403 `writes-disabled` (config.open_without_tokens
        // stays false): a deployment never runs with open writes by accident.
        tracing::error!(
            "IMAGE_SERVICE_WRITE_TOKENS is empty: upload, delete (and a token-protected listing) are refused"
        );
    }
    let store = storage::open(&config.store).await?;
    tracing::info!(store = %config.store, "image-service lambda starting");
    lambda_http::run(router(AppState::new(store, config))).await
}
