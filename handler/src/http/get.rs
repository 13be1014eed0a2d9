use super::observe::{asks_for_transform, ImageWork};
use super::{http_date, not_modified, quoted, AppState};
use crate::auth;
use crate::config::Route;
use crate::error::{Error, Result};
use crate::metrics::{Phase, PhaseTimes};
use crate::params::{Params, WatermarkName};
use crate::pipeline::{self, OperandSources};
use crate::plan::{Context, Limits, Operand, Plan};
use crate::storage::StoreError;
use crate::{codecs, keys};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `GET /{key}` and `HEAD /{key}`: the original bytes, or with parameters the
/// transformed image. The signature (when required), the parameters and the limits
/// are checked before the store is touched, so a bad request costs nothing. The
/// response, error or not, carries what the request cost ([`ImageWork`]).
pub async fn get_image(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let mut work = ImageWork {
        transformed: asks_for_transform(uri.query().unwrap_or("")),
        phases: PhaseTimes::default(),
    };
    let mut response = serve(&state, &uri, &headers, &mut work)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    response.extensions_mut().insert(work);
    response
}

async fn serve(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    work: &mut ImageWork,
) -> Result<Response> {
    let started = tokio::time::Instant::now();
    state.require(Route::Get, headers)?;
    let key = keys::key_from_path(uri.path())?;
    let query = uri.query().unwrap_or("");
    let params = Params::parse(query)?;
    work.transformed = !params.is_empty();
    let config = &state.config;
    let expires = auth::require_signature(
        config,
        &state.secrets.current(),
        &key,
        query,
        !params.is_empty(),
    )?;
    let fresh = Freshness::new(state, expires);
    let deadline = started + config.deadline;
    let limits = Limits {
        max_input_pixels: config.max_input_pixels,
        max_input_frames: config.max_input_frames,
        max_output_side: config.max_output_dimension,
        max_operations: config.max_operations,
        deadline: Some(deadline.into_std()),
    };
    let context = Context {
        enforced_watermark: config.enforced_watermark.as_ref(),
    };
    let plan = Plan::with_context(&params, limits, &context)?;
    let read = tokio::time::Instant::now();
    let original = state.store.get(&key, config.max_input_bytes).await;
    work.phases.add(Phase::Store, read.elapsed());
    let original = original?;
    let meta = original.meta;

    if plan.is_passthrough() {
        let etag = meta.etag.clone();
        if not_modified(headers, &etag, Some(meta.last_modified)) {
            return Ok(not_modified_response(&fresh, &etag, meta.last_modified));
        }
        check_output_size(
            config.max_output_bytes,
            original.bytes.len(),
            "The original",
        )?;
        let mime = codecs::sniff(&original.bytes)
            .map(|f| f.mime())
            .unwrap_or("application/octet-stream");
        return Ok(image_response(
            &fresh,
            original.bytes,
            mime,
            &etag,
            meta.last_modified,
        ));
    }

    let read = tokio::time::Instant::now();
    let operands = load_operands(state, &plan).await;
    work.phases.add(Phase::Store, read.elapsed());
    let (sources, operand_etags) = operands?;
    // The variant's ETag is known before any pixel work, so revalidation is free. It
    // covers the operand images and watermark files too: replacing one changes the
    // variant. Only If-None-Match revalidates a variant; If-Modified-Since is ignored
    // (`None`): the original's date says nothing about a changed operand, watermark
    // file or render version, so a date match could keep stale bytes alive.
    let etag = variant_etag(
        &meta.etag,
        &format!("{}\n{operand_etags}", plan.cache_key()),
    );
    if not_modified(headers, &etag, None) {
        return Ok(not_modified_response(&fresh, &etag, meta.last_modified));
    }
    let input = original.bytes;
    // The pipeline stops itself at the deadline between steps; the timeout answers the
    // client on time even when one step runs past it.
    let task = tokio::task::spawn_blocking(move || {
        let mut phases = PhaseTimes::default();
        let rendered = pipeline::render_with(&input, &plan, &sources, &mut phases);
        (rendered, phases)
    });
    let rendered = match tokio::time::timeout_at(deadline, task).await {
        Err(_) => return Err(pipeline::deadline_error(config.deadline)),
        Ok(joined) => {
            let (rendered, phases) =
                joined.map_err(|e| Error::Internal(format!("image task failed: {e}")))?;
            work.phases.merge(&phases);
            rendered?
        }
    };
    check_output_size(config.max_output_bytes, rendered.bytes.len(), "The result")?;
    Ok(image_response(
        &fresh,
        Bytes::from(rendered.bytes),
        rendered.mime,
        &etag,
        meta.last_modified,
    ))
}

/// Fetches the images `bo`, `jc` and `wm` name: store keys under the same rules and
/// byte limit as the original (a missing one is a 404 naming it and its parameter),
/// watermarks from the watermark folder (an unknown one is a 404 listing those there).
/// Returns them with the operands' ETags (and a hash of each watermark file's bytes)
/// joined, for the variant ETag.
async fn load_operands(state: &AppState, plan: &Plan) -> Result<(OperandSources, String)> {
    let mut sources = OperandSources::default();
    let mut etags = String::new();
    for operand in plan.operands() {
        match operand {
            Operand::Store {
                key: operand,
                param,
            } => {
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
                sources.store.insert(operand, object.bytes.to_vec());
            }
            Operand::Watermark(name) => {
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
                etags.push_str(&format!("wm:{name}:{}:{}\n", bytes.len(), fnv1a(&[&bytes])));
                sources.watermarks.insert(name, bytes);
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

/// FNV-1a over the source ETag, the canonical parameters (with the operands' ETags)
/// and [`RENDER_VERSION`](pipeline::RENDER_VERSION): stable across processes and
/// deployments, new when the rendering changes.
pub fn variant_etag(source_etag: &str, canonical: &str) -> String {
    etag_with_version(source_etag, canonical, pipeline::RENDER_VERSION)
}

fn etag_with_version(source_etag: &str, canonical: &str, version: u32) -> String {
    let version = version.to_string();
    format!(
        "{:016x}",
        fnv1a(&[
            source_etag.as_bytes(),
            b"\n",
            canonical.as_bytes(),
            b"\nrender ",
            version.as_bytes(),
        ])
    )
}

/// 64-bit FNV-1a over the parts in order: a change detector, not a defence against
/// someone crafting collisions (whoever writes watermark files runs the service).
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.iter().flat_map(|p| p.iter()) {
        hash ^= *b as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A response larger than the deployment can return (Lambda: 6 MB of base64) is a
/// clear 413 rather than a gateway error.
fn check_output_size(limit: Option<u64>, len: usize, what: &str) -> Result<()> {
    match limit {
        Some(max) if len as u64 > max => Err(Error::OutputTooLarge(format!(
            "{what} is {len} bytes; this deployment returns at most {max} bytes per response. Ask for a smaller size, a lower quality or another format (e.g. ?w=1600&fm=webp)."
        ))),
        _ => Ok(()),
    }
}

/// How long caches may keep a response: the configured max-age, shortened so that a
/// signed URL's response is not served from a cache after the URL expired.
struct Freshness {
    max_age: u64,
}

impl Freshness {
    fn new(state: &AppState, expires: Option<u64>) -> Freshness {
        let mut max_age = state.config.cache_max_age;
        if let Some(at) = expires {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs();
            max_age = max_age.min(at.saturating_sub(now));
        }
        Freshness { max_age }
    }
}

fn cache_control(fresh: &Freshness) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={}", fresh.max_age)).expect("ASCII header")
}

fn not_modified_response(fresh: &Freshness, etag: &str, last_modified: SystemTime) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    let h = r.headers_mut();
    h.insert(header::ETAG, quoted(etag));
    h.insert(header::LAST_MODIFIED, http_date(last_modified));
    h.insert(header::CACHE_CONTROL, cache_control(fresh));
    r
}

fn image_response(
    fresh: &Freshness,
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
    h.insert(header::CACHE_CONTROL, cache_control(fresh));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_etag_covers_the_render_version() {
        let now = variant_etag("abc", "w=10");
        assert_eq!(
            now,
            etag_with_version("abc", "w=10", pipeline::RENDER_VERSION)
        );
        assert_ne!(
            now,
            etag_with_version("abc", "w=10", pipeline::RENDER_VERSION + 1),
            "a new render version is a new ETag"
        );
        assert_ne!(now, variant_etag("abd", "w=10"));
        assert_ne!(now, variant_etag("abc", "w=11"));
    }
}
