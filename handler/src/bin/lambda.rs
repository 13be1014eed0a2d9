//! The Lambda entry point: the same router, served by `lambda_http` for API Gateway
//! REST (payload v1) and HTTP API (v2) events.
//!
//! Every response is streamed (Runtime API response mode `streaming`): a JSON prelude with
//! the status, headers and cookies, 8 NUL bytes, then the body as raw bytes. API Gateway's
//! REST integration in transfer mode STREAM reads exactly that, so a body is never
//! base64-encoded and may be up to Lambda's streamed-response limit (200 MB) instead of the
//! 6 MB of a buffered answer. Small and large answers take this one path.
//!
//! Init, before the first Runtime API poll: configuration, then the secret (one
//! `GetSecretValue` when `IMAGE_SERVICE_SECRETS_ID` is set), then the store. Any failure
//! ends the process with a message naming what is wrong.

use axum::http::{HeaderMap, HeaderValue, Response};
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
    let results = image_service::result_cache::ResultCache::open(&config).await?;
    let state = AppState::new(store, config)
        .with_secrets(secrets)
        .with_result_cache(results);
    let app = router(state).layer(axum::middleware::map_response(
        |mut response: Response<axum::body::Body>| async move {
            fold_repeated_headers(response.headers_mut());
            response
        },
    ));
    lambda_http::run_with_streaming_response(app).await
}

/// The streaming prelude's `headers` is a map of one string per name (API Gateway's
/// format; `lambda_runtime` would write a repeated header as a JSON array). So a header
/// given more than once (e.g. two `Vary` lines) becomes one comma-separated line, which
/// HTTP defines as the same thing. `Set-Cookie` is left alone: `lambda_http` moves it to
/// the prelude's `cookies`.
fn fold_repeated_headers(headers: &mut HeaderMap) {
    let names: Vec<_> = headers.keys().cloned().collect();
    for name in names {
        if name == axum::http::header::SET_COOKIE {
            continue;
        }
        let values: Vec<&[u8]> = headers
            .get_all(&name)
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        if values.len() < 2 {
            continue;
        }
        let joined = values.join(&b", "[..]);
        if let Ok(value) = HeaderValue::from_bytes(&joined) {
            headers.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_headers_become_one_line_and_cookies_stay_apart() {
        let mut h = HeaderMap::new();
        h.append("vary", HeaderValue::from_static("accept"));
        h.append("vary", HeaderValue::from_static("origin"));
        h.append("set-cookie", HeaderValue::from_static("a=1"));
        h.append("set-cookie", HeaderValue::from_static("b=2"));
        h.insert("etag", HeaderValue::from_static("\"x\""));
        fold_repeated_headers(&mut h);
        let vary: Vec<_> = h.get_all("vary").iter().collect();
        assert_eq!(vary, [HeaderValue::from_static("accept, origin")]);
        assert_eq!(h.get_all("set-cookie").iter().count(), 2);
        assert_eq!(h["etag"], "\"x\"");
    }
}
