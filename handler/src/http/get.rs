use super::{http_date, not_modified, quoted, AppState};
use crate::config::Route;
use crate::error::{Error, Result};
use crate::ops::{self, Op, OperandKey};
use crate::params::{Params, WatermarkName};
use crate::pipeline::{self, Limits, OperandSources};
use crate::storage::StoreError;
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
    let mut params = Params::parse(uri.query().unwrap_or(""))?;
    let config = &state.config;
    if let Some(name) = &config.enforced_watermark {
        params.wm = Some(name.clone());
    }
    pipeline::validate(&params)?;
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

    let (sources, operand_etags) = load_operands(&state, &params).await?;
    // The variant's ETag is known before any pixel work, so revalidation is free. It
    // covers the operand images too: replacing one changes the variant.
    let etag = variant_etag(
        &meta.etag,
        &format!("{}\n{operand_etags}", params.canonical()),
    );
    if not_modified(&headers, &etag, meta.last_modified) {
        return Ok(not_modified_response(&state, &etag, meta.last_modified));
    }
    let limits = Limits {
        max_input_pixels: config.max_input_pixels,
        max_input_frames: config.max_input_frames,
    };
    let input = original.bytes;
    let rendered = tokio::task::spawn_blocking(move || {
        pipeline::render_with(&input, &params, &limits, &sources)
    })
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

/// Fetches the images `bo`, `jc` and `wm` name: store keys under the same rules and
/// byte limit as the original (a missing one is a 404 naming it and its parameter),
/// watermarks from the watermark folder (an unknown one is a 404 listing those there).
/// Returns them with the operands' ETags joined, for the variant ETag.
async fn load_operands(state: &AppState, params: &Params) -> Result<(OperandSources, String)> {
    let mut sources = OperandSources::default();
    let mut etags = String::new();
    let plan = ops::plan(params);
    for key in plan.iter().flat_map(Op::operand_keys) {
        match key {
            OperandKey::Store(operand) => {
                if sources.store.contains_key(operand) {
                    continue;
                }
                let param = if params.bo.as_ref().is_some_and(|b| &b.operand == operand) {
                    "bo"
                } else {
                    "jc"
                };
                let store_key = keys::validate_key(operand.as_str()).map_err(|_| {
                    Error::invalid_parameter(
                        param,
                        operand.to_string(),
                        "the key of a stored image",
                    )
                })?;
                let object = match state
                    .store
                    .get(&store_key, state.config.max_input_bytes)
                    .await
                {
                    Err(StoreError::NotFound(_)) => {
                        return Err(Error::NotFound(format!(
                            "The operand image '{operand}' named by '{param}' does not exist."
                        )))
                    }
                    other => other.map_err(Error::from)?,
                };
                etags.push_str(&object.meta.etag);
                etags.push('\n');
                sources.store.insert(operand.clone(), object.bytes.to_vec());
            }
            OperandKey::Watermark(name) => {
                let dir = &state.config.watermarks_dir;
                let bytes = match tokio::fs::read(dir.join(name.as_str())).await {
                    Ok(bytes) => bytes,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        return Err(Error::NotFound(format!(
                            "No watermark '{name}'; available: {}.",
                            available_watermarks(dir).await
                        )))
                    }
                    Err(e) => {
                        return Err(Error::Internal(format!("reading watermark {name}: {e}")))
                    }
                };
                sources.watermarks.insert(name.clone(), bytes);
            }
        }
    }
    Ok((sources, etags))
}

/// The watermark file names, sorted, for the 404 message.
async fn available_watermarks(dir: &std::path::Path) -> String {
    let mut names = Vec::new();
    if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
        while let Ok(Some(entry)) = entries.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if WatermarkName::parse(&name).is_some() && !name.ends_with(".md") {
                names.push(name);
            }
        }
    }
    names.sort();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
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
