use super::observe::{asks_for_transform, ImageWork};
use super::{http_date, negotiate, not_modified, presets_only, quoted, AppState};
use crate::codecs::auto_quality::QUALITY_HEADER;
use crate::config::Route;
use crate::edge_key::{self, EDGE_PATH_HEADER};
use crate::error::{codes, Error, Result};
use crate::metrics::{Phase, PhaseTimes};
use crate::params::accept::{AcceptClass, ACCEPT_CLASS_HEADER};
use crate::params::{Params, StoreKey, WatermarkName};
use crate::pipeline::{self, OperandSources};
use crate::plan::{Context, Limits, Operand, Plan};
use crate::result_cache::{Outcome, ResultCache, RESULT_CACHE_HEADER};
use crate::storage::{ObjectMeta, ResultHeaders, StoreError};
use crate::{codecs, keys};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

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
    let started = Instant::now();
    state.require(Route::Get, headers)?;
    let target = Target::of(state, uri, headers)?;
    let key = &target.key;
    let query = uri.query().unwrap_or("");
    let config = &state.config;
    let written = Params::parse(query)?;
    let params = config.presets.expand(&written)?;
    work.transformed = !params.is_empty();
    let secrets = state.secrets.current();
    let expires = presets_only::require_signature(config, &secrets, key, query, &written)?;
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
        ..negotiate::context(config, headers)
    };
    let plan = Plan::with_context(&params, limits, &context)?;
    if plan.is_passthrough() {
        return serve_original(state, key, headers, &fresh, work).await;
    }
    let request = VariantRequest {
        state,
        key,
        headers,
        fresh: &fresh,
        deadline,
        edge_object: target.edge_object,
        negotiated: plan.is_negotiated(),
    };
    serve_variant(request, plan, work).await
}

/// What a GET reads: the store key, and for a request the CloudFront function rewrote
/// to an edge object (`GET /edge/<h>/<h>?<query>` with `x-image-edge-path: /<key>`),
/// that object's key in the result store.
struct Target {
    key: String,
    edge_object: Option<String>,
}

impl Target {
    /// The key from the path; or with `x-image-edge-path`, from that header, once the
    /// path is checked to be exactly the edge key of (that key, the query, the accept
    /// class, the salt). So a request can only ever write the edge object its own
    /// parameters name, and a function and service out of step fail loudly.
    fn of(state: &AppState, uri: &Uri, headers: &HeaderMap) -> Result<Target> {
        let Some(edge_path) = headers.get(EDGE_PATH_HEADER) else {
            return Ok(Target {
                key: keys::key_from_path(uri.path())?,
                edge_object: None,
            });
        };
        let refuse = |why: String| Error::bad_request(codes::INVALID_EDGE_PATH, why);
        let salt = state.config.edge_salt.as_deref().ok_or_else(|| {
            refuse(format!(
                "The header {EDGE_PATH_HEADER} is only accepted when IMAGE_SERVICE_EDGE_SALT is set."
            ))
        })?;
        let edge_path = edge_path
            .to_str()
            .map_err(|_| refuse(format!("The header {EDGE_PATH_HEADER} is not ASCII.")))?;
        let key = keys::key_from_path(edge_path)?;
        let pairs = crate::params::query::pairs(uri.query().unwrap_or(""));
        let header_str = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let class =
            AcceptClass::from_headers(header_str(ACCEPT_CLASS_HEADER), header_str("accept"));
        let object = edge_key::edge_object_key(&key, &pairs, class, salt);
        if uri.path().strip_prefix('/') != Some(object.as_str()) {
            return Err(refuse(format!(
                "The path is not the edge key of {EDGE_PATH_HEADER} '{edge_path}' with this query and accept class '{}'.",
                class.as_str()
            )));
        }
        Ok(Target {
            key,
            edge_object: Some(object),
        })
    }
}

/// A GET without transformation: the stored bytes as they are.
async fn serve_original(
    state: &AppState,
    key: &str,
    headers: &HeaderMap,
    fresh: &Freshness,
    work: &mut ImageWork,
) -> Result<Response> {
    let read = Instant::now();
    let original = state.store.get(key, state.config.max_input_bytes).await;
    work.phases.add(Phase::Store, read.elapsed());
    let original = original?;
    let meta = original.meta;
    let etag = meta.etag.clone();
    if not_modified(headers, &etag, Some(meta.last_modified)) {
        return Ok(not_modified_response(fresh, &etag, meta.last_modified));
    }
    check_output_size(
        state.config.max_output_bytes,
        original.bytes.len(),
        "The original",
    )?;
    let mime = codecs::sniff(&original.bytes)
        .map(|f| f.mime())
        .unwrap_or("application/octet-stream");
    Ok(image_response(
        fresh,
        original.bytes,
        mime,
        &etag,
        meta.last_modified,
    ))
}

/// The parts of a transformed GET that stay fixed while it is served.
struct VariantRequest<'a> {
    state: &'a AppState,
    key: &'a str,
    headers: &'a HeaderMap,
    fresh: &'a Freshness,
    deadline: Instant,
    edge_object: Option<String>,
    /// The format comes from `Accept` (`fm=auto`): the answer varies on it.
    negotiated: bool,
}

/// A transformed GET. The variant's ETag comes from the original's metadata (a HEAD)
/// and the operands' versions, before any pixel work, so a revalidation and a result
/// cache hit cost neither the original's bytes nor a decode. A miss renders, stores
/// the result (awaited: a Lambda is frozen once it answers), and serves it.
async fn serve_variant(
    request: VariantRequest<'_>,
    plan: Plan,
    work: &mut ImageWork,
) -> Result<Response> {
    let VariantRequest { state, key, .. } = request;
    let config = &state.config;
    let read = Instant::now();
    let versions = futures::try_join!(head_original(state, key), operand_versions(state, &plan));
    work.phases.add(Phase::Store, read.elapsed());
    let (meta, operands) = versions?;
    // Only If-None-Match revalidates a variant; If-Modified-Since is ignored (`None`):
    // the original's date says nothing about a changed operand, watermark file or
    // render version, so a date match could keep stale bytes alive.
    let material = variant_material(&meta.etag, plan.cache_key(), &operands.etags);
    let etag = variant_etag(&material);
    if not_modified(request.headers, &etag, None) {
        let response = not_modified_response(request.fresh, &etag, meta.last_modified);
        return Ok(negotiate::mark(response, request.negotiated, None));
    }
    // Edge copies are only written for variants the edge key tracks fully: operand
    // images and watermark files can change under the same URL.
    let edge_object = request
        .edge_object
        .clone()
        .filter(|_| plan.operands().is_empty());
    let results = state.results.as_deref();
    let canonical = ResultCache::canonical_key(&material);
    let lookup = Instant::now();
    let cached = match results {
        Some(cache) => {
            let limit = config.max_output_bytes.unwrap_or(u64::MAX);
            cache.get(&canonical, limit).await
        }
        None => None,
    };
    work.phases.add(Phase::Store, lookup.elapsed());
    // What placed a `p=face` crop is known only when this request rendered it.
    let mut crop = None;
    let (bytes, mime, outcome, fallback, quality) = match cached {
        Some(found) => {
            // A hit says again whether it was the AVIF budget's WebP (`X-Image-Format-
            // Fallback`), from its type and header alone.
            let fallback = codecs::probe(&found.bytes).ok().and_then(|p| {
                let pixels = u64::from(p.width) * u64::from(p.height);
                let stored = plan.format();
                stored.stored_fallback(&found.content_type, pixels, p.frames > 1)
            });
            // The quality `q=auto` chose is kept with the result.
            let quality = found.image_quality;
            (
                found.bytes,
                found.content_type,
                Outcome::Hit,
                fallback,
                quality,
            )
        }
        None => {
            let rendered = render(&request, &meta, plan, operands, work).await?;
            check_output_size(config.max_output_bytes, rendered.bytes.len(), "The result")?;
            let outcome = if results.is_some() {
                Outcome::Miss
            } else {
                Outcome::Off
            };
            // A replaced original (its ETag changed since the HEAD) is served, not kept.
            let canonical = Some(canonical).filter(|_| rendered.same_original);
            if let (Some(cache), Some(canonical)) = (results, canonical) {
                let write = Instant::now();
                let stored = ResultHeaders {
                    content_type: rendered.mime,
                    cache_control: None,
                    image_quality: rendered.quality.as_deref(),
                };
                cache.put(&canonical, rendered.bytes.clone(), &stored).await;
                work.phases.add(Phase::Store, write.elapsed());
            }
            let (fallback, quality) = (rendered.fallback, rendered.quality);
            crop = rendered.crop;
            let mime = rendered.mime.to_string();
            (rendered.bytes, mime, outcome, fallback, quality)
        }
    };
    check_output_size(config.max_output_bytes, bytes.len(), "The result")?;
    if let (Some(cache), Some(object)) = (results, edge_object) {
        let write = Instant::now();
        let shared = shared_cache_control(config.cache_max_age);
        let stored = ResultHeaders {
            content_type: &mime,
            cache_control: shared.to_str().ok(),
            image_quality: quality.as_deref(),
        };
        cache.put(&object, bytes.clone(), &stored).await;
        work.phases.add(Phase::Store, write.elapsed());
    }
    let mut response = image_response(request.fresh, bytes, &mime, &etag, meta.last_modified);
    response.headers_mut().insert(
        RESULT_CACHE_HEADER,
        HeaderValue::from_static(outcome.as_str()),
    );
    if let Some(value) = quality.and_then(|q| HeaderValue::from_str(&q).ok()) {
        response.headers_mut().insert(QUALITY_HEADER, value);
    }
    if let Some(strategy) = crop {
        let value = HeaderValue::from_static(strategy.name());
        response.headers_mut().insert(pipeline::CROP_HEADER, value);
    }
    Ok(negotiate::mark(response, request.negotiated, fallback))
}

async fn head_original(state: &AppState, key: &str) -> Result<ObjectMeta> {
    Ok(state.store.head(key).await?)
}

/// A freshly rendered variant.
struct Rendered {
    bytes: Bytes,
    mime: &'static str,
    /// The original read had the ETag the variant's ETag was computed from.
    same_original: bool,
    /// Why a negotiated format is not the first choice (`X-Image-Format-Fallback`).
    fallback: Option<&'static str>,
    /// What `q=auto` chose (`X-Image-Quality`).
    quality: Option<String>,
    /// What placed a `p=face` crop (`X-Image-Crop`).
    crop: Option<crate::params::Strategy>,
}

/// Reads the original and the operand images and runs the pipeline, answering on
/// time at the deadline.
async fn render(
    request: &VariantRequest<'_>,
    meta: &ObjectMeta,
    plan: Plan,
    operands: Operands,
    work: &mut ImageWork,
) -> Result<Rendered> {
    let state = request.state;
    let config = &state.config;
    let read = Instant::now();
    let loaded = futures::try_join!(
        async { Ok::<_, Error>(state.store.get(request.key, config.max_input_bytes).await?,) },
        load_operands(state, operands)
    );
    work.phases.add(Phase::Store, read.elapsed());
    let (original, sources) = loaded?;
    let same_original = original.meta.etag == meta.etag;
    let input = original.bytes;
    // The pipeline stops itself at the deadline between steps; the timeout answers the
    // client on time even when one step runs past it.
    let task = tokio::task::spawn_blocking(move || {
        let mut phases = PhaseTimes::default();
        let rendered = pipeline::render_with(&input, &plan, &sources, &mut phases);
        (rendered, phases)
    });
    match tokio::time::timeout_at(request.deadline, task).await {
        Err(_) => Err(pipeline::deadline_error(config.deadline)),
        Ok(joined) => {
            let (rendered, phases) =
                joined.map_err(|e| Error::Internal(format!("image task failed: {e}")))?;
            work.phases.merge(&phases);
            let rendered = rendered?;
            Ok(Rendered {
                bytes: Bytes::from(rendered.bytes),
                mime: rendered.mime,
                same_original,
                fallback: rendered.fallback,
                quality: rendered.quality.map(|choice| choice.header_value()),
                crop: rendered.crop,
            })
        }
    }
}

/// The images `bo`, `jc` and `wm` name, known by version before their bytes are read.
#[derive(Default)]
struct Operands {
    /// The stored operands' ETags and a hash of each watermark file, joined: part of
    /// the variant's ETag.
    etags: String,
    /// Stored operands to read: (operand, store key, the parameter that named it).
    store: Vec<(StoreKey, String, &'static str)>,
    /// Watermark files, read already (their hash needs the bytes).
    watermarks: HashMap<WatermarkName, Vec<u8>>,
}

fn missing_operand(operand: &StoreKey, param: &str) -> Error {
    Error::NotFound(format!(
        "The operand image '{operand}' named by '{param}' does not exist."
    ))
}

/// The versions of the operands: a HEAD of each stored one (a missing one is a 404
/// naming it and its parameter; same key rules as the original), and each watermark
/// file from the watermark folder (an unknown one is a 404 listing those there). A
/// replaced operand or watermark file changes the variant.
async fn operand_versions(state: &AppState, plan: &Plan) -> Result<Operands> {
    let mut out = Operands::default();
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
                let meta = match state.store.head(&store_key).await {
                    Err(StoreError::NotFound(_)) => return Err(missing_operand(&operand, param)),
                    other => other.map_err(Error::from)?,
                };
                out.etags.push_str(&meta.etag);
                out.etags.push('\n');
                out.store.push((operand, store_key, param));
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
                out.etags
                    .push_str(&format!("wm:{name}:{}:{}\n", bytes.len(), fnv1a(&[&bytes])));
                out.watermarks.insert(name, bytes);
            }
        }
    }
    Ok(out)
}

/// The operands' bytes, for a render.
async fn load_operands(state: &AppState, operands: Operands) -> Result<OperandSources> {
    let mut sources = OperandSources {
        watermarks: operands.watermarks,
        ..OperandSources::default()
    };
    for (operand, store_key, param) in operands.store {
        let object = match state
            .store
            .get(&store_key, state.config.max_input_bytes)
            .await
        {
            Err(StoreError::NotFound(_)) => return Err(missing_operand(&operand, param)),
            other => other.map_err(Error::from)?,
        };
        sources.store.insert(operand, object.bytes.to_vec());
    }
    Ok(sources)
}

/// The watermark file names, sorted, for the 404 message.
async fn available_watermarks(dir: &std::path::Path) -> String {
    let names = super::param_table::watermark_names(dir).await;
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// What a variant's bytes depend on: the source ETag, the canonical parameters, the
/// operands' ETags and watermark hashes, and [`RENDER_VERSION`](pipeline::RENDER_VERSION).
/// Its FNV-1a is the variant's ETag and its SHA-256 the result cache's key.
pub fn variant_material(source_etag: &str, cache_key: &str, operand_etags: &str) -> String {
    material_with_version(
        source_etag,
        cache_key,
        operand_etags,
        pipeline::RENDER_VERSION,
    )
}

fn material_with_version(
    source_etag: &str,
    cache_key: &str,
    operand_etags: &str,
    version: u32,
) -> String {
    format!("{source_etag}\n{cache_key}\n{operand_etags}\nrender {version}")
}

/// Stable across processes and deployments, new when the material changes.
pub fn variant_etag(material: &str) -> String {
    format!("{:016x}", fnv1a(&[material.as_bytes()]))
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

/// A response larger than the deployment can return (`IMAGE_SERVICE_MAX_OUTPUT_BYTES`;
/// Lambda streams up to 200 MB) is a clear 413 rather than a gateway error.
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
    shared_cache_control(fresh.max_age)
}

/// `public, max-age=<seconds>`: the edge copies carry the configured age (their key
/// leaves out the signature, so no one request's expiry applies to them).
fn shared_cache_control(max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("public, max-age={max_age}")).expect("ASCII header")
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
    mime: &str,
    etag: &str,
    last_modified: SystemTime,
) -> Response {
    let len = bytes.len();
    let mut r = Response::new(Body::from(bytes));
    let h = r.headers_mut();
    let mime = HeaderValue::from_str(mime)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    h.insert(header::CONTENT_TYPE, mime);
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
        let now = variant_etag(&variant_material("abc", "w=10", ""));
        let next = material_with_version("abc", "w=10", "", pipeline::RENDER_VERSION + 1);
        assert_ne!(
            now,
            variant_etag(&next),
            "a new render version is a new ETag"
        );
        assert_ne!(
            ResultCache::canonical_key(&variant_material("abc", "w=10", "")),
            ResultCache::canonical_key(&next),
            "and a new result cache key"
        );
        assert_ne!(now, variant_etag(&variant_material("abd", "w=10", "")));
        assert_ne!(now, variant_etag(&variant_material("abc", "w=11", "")));
        assert_ne!(now, variant_etag(&variant_material("abc", "w=10", "e1\n")));
        // The ETag of a variant is the one it had before the result cache existed.
        assert_eq!(
            now,
            format!(
                "{:016x}",
                fnv1a(&[format!("abc\nw=10\n\nrender {}", pipeline::RENDER_VERSION).as_bytes()])
            )
        );
    }
}
