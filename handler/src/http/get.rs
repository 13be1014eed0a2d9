use super::{http_date, not_modified, quoted, AppState};
use crate::config::Route;
use crate::error::{Error, Result};
use crate::params::Params;
use crate::pipeline::{self, Limits};
use crate::{codecs, keys};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::Response;
use bytes::Bytes;
use std::time::SystemTime;

/// `GET /{key}` and `HEAD /{key}`: the original bytes, or with parameters the
/// transformed image. Parameters are parsed before the store is touched, so a bad
/// query costs nothing.
pub async fn get_image(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response> {
    state.require(Route::Get)?;
    let key = keys::key_from_path(uri.path())?;
    let params = Params::parse(uri.query().unwrap_or(""))?;
    let config = &state.config;
    let original = state.store.get(&key, config.max_input_bytes).await?;
    let meta = original.meta;

    if params.is_empty() {
        let etag = meta.etag.clone();
        if not_modified(&headers, &etag, meta.last_modified) {
            return Ok(not_modified_response(&state, &etag, meta.last_modified));
        }
        let mime = codecs::sniff(&original.bytes)
            .map(|f| f.mime())
            .unwrap_or("application/octet-stream");
        return Ok(image_response(
            &state,
            original.bytes,
            mime,
            &etag,
            meta.last_modified,
        ));
    }

    // The variant's ETag is known before any pixel work, so revalidation is free.
    let etag = variant_etag(&meta.etag, &params.canonical());
    if not_modified(&headers, &etag, meta.last_modified) {
        return Ok(not_modified_response(&state, &etag, meta.last_modified));
    }
    let limits = Limits {
        max_input_pixels: config.max_input_pixels,
        max_input_frames: config.max_input_frames,
    };
    let input = original.bytes;
    let rendered = tokio::task::spawn_blocking(move || pipeline::render(&input, &params, &limits))
        .await
        .map_err(|e| Error::Internal(format!("image task failed: {e}")))??;
    Ok(image_response(
        &state,
        Bytes::from(rendered.bytes),
        rendered.mime,
        &etag,
        meta.last_modified,
    ))
}

/// FNV-1a over the source ETag, the canonical parameters and the service version:
/// stable across processes and deployments of one version.
pub fn variant_etag(source_etag: &str, canonical: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        source_etag,
        "\n",
        canonical,
        "\n",
        env!("CARGO_PKG_VERSION"),
    ] {
        for b in part.bytes() {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

fn cache_control(state: &AppState) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={}", state.config.cache_max_age))
        .expect("ASCII header")
}

fn not_modified_response(state: &AppState, etag: &str, last_modified: SystemTime) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    let h = r.headers_mut();
    h.insert(header::ETAG, quoted(etag));
    h.insert(header::LAST_MODIFIED, http_date(last_modified));
    h.insert(header::CACHE_CONTROL, cache_control(state));
    r
}

fn image_response(
    state: &AppState,
    bytes: Bytes,
    mime: &'static str,
    etag: &str,
    last_modified: SystemTime,
) -> Response {
    let len = bytes.len();
    let mut r = Response::new(Body::from(bytes));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::ETAG, quoted(etag));
    h.insert(header::LAST_MODIFIED, http_date(last_modified));
    h.insert(header::CACHE_CONTROL, cache_control(state));
    r
}
