//! The Lambda entry point: the same router, served by `lambda_http` for API Gateway
//! REST (payload v1) and HTTP API (v2) events.
//!
//! Init, before the first Runtime API poll: configuration, then the secret (one
//! `GetSecretValue` when `IMAGE_SERVICE_SECRETS_ID` is set), then the store. Any failure
//! ends the process with a message naming what is wrong.

use image_service::secrets::SharedSecrets;
use image_service::{router, storage, AppState, Config};
use std::process::ExitCode;

fn main() -> ExitCode {
    image_service::codecs::isolate::install();
    if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_none() {
        // Routes must see `/photo.jpg`, not `/prod/photo.jpg`. Set while this is the
        // only thread: the async runtime and its workers are built below.
        std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true");
    }
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .without_time() // CloudWatch stamps each line
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "image-service lambda stopped");
            eprintln!("image-service-lambda: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), lambda_http::Error> {
    let mut config = Config::from_env().map_err(|e| format!("configuration error: {e}"))?;
    if config.max_output_bytes.is_none() {
        config.max_output_bytes = Some(image_service::config::LAMBDA_MAX_OUTPUT_BYTES);
    }
    let secrets = SharedSecrets::from_env(&config)
        .await
        .map_err(|e| format!("secrets error: {e}"))?;
    if secrets.current().write_tokens.is_empty() {
        // Management routes answer 403 `writes-disabled` (config.open_without_tokens
        // stays false): a deployment never runs with open writes by accident.
        tracing::error!(
            "no write tokens (IMAGE_SERVICE_WRITE_TOKENS or the secret's writeTokens): upload, delete (and a token-protected listing) are refused"
        );
    }
    let store = storage::open(&config.store).await?;
    tracing::info!(store = %config.store, "image-service lambda starting");
    let state = AppState::new(store, config).with_secrets(secrets);
    lambda_http::run(router(state)).await
}
