//! Service configuration, read from `IMAGE_SERVICE_*` environment variables and
//! validated once at start-up with errors that name the variable.

pub mod credentials;
pub mod results;

pub use credentials::SigningMode;
pub use results::ResultCacheSetting;

use crate::params::WatermarkName;
use crate::presets::Presets;
use credentials::{OriginSecrets, SigningKey, WriteTokens};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// The four routes a deployment can switch on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Route {
    List,
    Get,
    Upload,
    Delete,
}

impl Route {
    pub const ALL: [Route; 4] = [Route::List, Route::Get, Route::Upload, Route::Delete];

    pub fn name(self) -> &'static str {
        match self {
            Route::List => "list",
            Route::Get => "get",
            Route::Upload => "upload",
            Route::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    /// `fs:<dir>` or `s3://<bucket>`.
    pub store: String,
    /// Base of the links returned after an upload; derived from the request's Host when unset.
    pub public_url: Option<String>,
    pub cache_max_age: u64,
    pub max_upload_bytes: usize,
    /// Largest original the pipeline fetches from the store.
    pub max_input_bytes: u64,
    pub max_input_pixels: u64,
    pub max_input_frames: u32,
    /// Accept uploads whose bytes are not a known image format.
    pub allow_non_images: bool,
    pub routes: BTreeSet<Route>,
    pub watermarks_dir: PathBuf,
    /// A watermark put on every image served, transformed or not (overrides `wm`).
    pub enforced_watermark: Option<WatermarkName>,
    pub signing: SigningMode,
    /// Originals (GETs without parameters) need a signature too.
    pub sign_originals: bool,
    /// The first one signs (`image-service sign`); all verify.
    pub signing_keys: Vec<SigningKey>,
    pub write_tokens: WriteTokens,
    pub list_requires_token: bool,
    /// With no tokens configured, leave the management routes open (the local server,
    /// which says so at start) instead of refusing them (Lambda).
    pub open_without_tokens: bool,
    pub cors_origins: CorsOrigins,
    /// Processing time one request may take before it is answered 503 `timeout`.
    pub deadline: Duration,
    /// Largest response body (the Lambda response limit); `None`: no limit.
    pub max_output_bytes: Option<u64>,
    /// Most operations one query may plan.
    pub max_operations: usize,
    /// Largest side any step may produce.
    pub max_output_dimension: u32,
    /// Secrets Manager secret (name or ARN) holding the write tokens, signing keys and
    /// origin secrets; read once at start and again when older than `secrets_ttl`.
    pub secrets_id: Option<String>,
    /// Age after which the secret is read again; zero: never.
    pub secrets_ttl: Duration,
    /// Accepted `X-Origin-Verify` values from the environment (the secret adds its own).
    pub origin_secrets: OriginSecrets,
    /// Refuse to start without any accepted origin value (deployed stages).
    pub require_origin_secret: bool,
    /// CloudWatch namespace of the per-request EMF line; none: no metrics line.
    pub metrics_namespace: Option<String>,
    /// Where rendered variants are kept ([`ResultCacheSetting::resolve`]).
    pub result_cache: ResultCacheSetting,
    /// The deployment's part of the edge key; none: requests from the edge function
    /// (`x-image-edge-path`) are refused.
    pub edge_salt: Option<String>,
    /// A transform without `fm` is `fm=auto` (negotiated from `Accept`).
    pub auto_format: bool,
    /// A negotiated AVIF estimated to take longer is WebP; 0: no budget.
    pub avif_budget_ms: u64,
    /// A transform without `q` (and without `ll`) is `q=auto` for jpeg, webp and avif.
    pub auto_quality: bool,
    /// The SSIMULACRA2 score `q=auto` aims at.
    pub auto_quality_target: f64,
    /// How long the `q=auto` trials may take; 0: no trials (the format's default).
    pub auto_quality_budget_ms: u64,
    /// The named parameter sets `preset` refers to.
    pub presets: Presets,
    /// Unsigned requests may only ask for presets (and `fm=auto`).
    pub presets_only_unsigned: bool,
    /// `fm=json` includes the EXIF GPS position (`IMAGE_SERVICE_METADATA_GPS`).
    pub metadata_gps: bool,
    /// The web console (`/_/console`, `/_/params`, `/_/sign`); `None`: the binary's
    /// default ([`Config::console_enabled`]), which the local server sets to on.
    pub console: Option<bool>,
}

/// `IMAGE_SERVICE_AVIF_BUDGET_MS` when unset.
pub const DEFAULT_AVIF_BUDGET_MS: u64 = 3_000;

/// The SSIMULACRA2 score `q=auto` aims at when the deployment sets none
/// (`IMAGE_SERVICE_AUTO_QUALITY_TARGET`): see the README's "Automatic quality" for the
/// measurements behind it.
pub const AUTO_QUALITY_DEFAULT_TARGET: f64 = 70.0;
/// Time the trials may take when the deployment sets none
/// (`IMAGE_SERVICE_AUTO_QUALITY_BUDGET_MS`).
pub const AUTO_QUALITY_DEFAULT_BUDGET_MS: u64 = 1_500;
/// Accepted targets: SSIMULACRA2 scores run from about -inf to 100 (identical); under 30
/// is visibly poor and over 95 asks for more than the candidates can give.
pub const AUTO_QUALITY_TARGET_RANGE: std::ops::RangeInclusive<f64> = 30.0..=95.0;

/// IMAGE_SERVICE_CORS_ORIGINS: which browser origins get CORS headers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CorsOrigins {
    /// No CORS headers at all (same-origin and server-to-server callers only).
    #[default]
    None,
    /// `*`: any origin (no credentials are ever allowed with it).
    Any,
    /// Exactly these `scheme://host[:port]` origins.
    List(Vec<String>),
}

impl CorsOrigins {
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            CorsOrigins::None => false,
            CorsOrigins::Any => true,
            CorsOrigins::List(list) => list.iter().any(|o| o == origin),
        }
    }

    fn parse(v: &str) -> Result<CorsOrigins, String> {
        let items: Vec<&str> = v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if items.is_empty() {
            return Ok(CorsOrigins::None);
        }
        if items == ["*"] {
            return Ok(CorsOrigins::Any);
        }
        for o in &items {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            let ok = rest.is_some_and(|host| {
                !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            });
            if !ok {
                return Err(format!(
                    "IMAGE_SERVICE_CORS_ORIGINS: '{o}' is not an origin; expected scheme://host[:port] (no path), a comma-separated list, or '*' alone"
                ));
            }
        }
        Ok(CorsOrigins::List(
            items.into_iter().map(str::to_string).collect(),
        ))
    }
}

/// How long secrets read from Secrets Manager are used before they are read again.
pub const DEFAULT_SECRETS_TTL_SECONDS: u64 = 300;

/// The largest body on Lambda: the function streams every response, and Lambda's
/// streamed-response limit is 200 MB (prelude and body together); this leaves 1 MB for the
/// prelude (API Gateway reads it from the first 16 KB) and rounding.
pub const LAMBDA_MAX_OUTPUT_BYTES: u64 = 199_000_000;

impl Default for Config {
    fn default() -> Self {
        Config {
            store: "fs:./data".into(),
            public_url: None,
            cache_max_age: 2_592_000,
            max_upload_bytes: 10 * 1024 * 1024,
            max_input_bytes: 32 * 1024 * 1024,
            max_input_pixels: 50_000_000,
            max_input_frames: 500,
            allow_non_images: false,
            routes: Route::ALL.into_iter().collect(),
            watermarks_dir: PathBuf::from("assets/watermarks"),
            enforced_watermark: None,
            signing: SigningMode::Off,
            sign_originals: false,
            signing_keys: Vec::new(),
            write_tokens: WriteTokens::default(),
            list_requires_token: true,
            open_without_tokens: false,
            cors_origins: CorsOrigins::None,
            deadline: Duration::from_millis(25_000),
            max_output_bytes: None,
            max_operations: 16,
            max_output_dimension: 16_384,
            secrets_id: None,
            secrets_ttl: Duration::from_secs(DEFAULT_SECRETS_TTL_SECONDS),
            origin_secrets: OriginSecrets::default(),
            require_origin_secret: false,
            metrics_namespace: None,
            result_cache: ResultCacheSetting::Auto,
            edge_salt: None,
            auto_format: false,
            avif_budget_ms: DEFAULT_AVIF_BUDGET_MS,
            auto_quality: false,
            auto_quality_target: AUTO_QUALITY_DEFAULT_TARGET,
            auto_quality_budget_ms: AUTO_QUALITY_DEFAULT_BUDGET_MS,
            presets: Presets::default(),
            presets_only_unsigned: false,
            metadata_gps: false,
            console: None,
        }
    }
}

/// Documentation of every variable: (name, default, meaning). The README table is
/// written from the same facts.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    (
        "IMAGE_SERVICE_ADDR",
        "127.0.0.1:8080",
        "address the local server listens on",
    ),
    (
        "IMAGE_SERVICE_STORE",
        "fs:./data",
        "`fs:<dir>` or `s3://<bucket>`",
    ),
    (
        "IMAGE_SERVICE_PUBLIC_URL",
        "(from the Host header)",
        "base URL of the links returned after an upload",
    ),
    (
        "IMAGE_SERVICE_CACHE_MAX_AGE",
        "2592000",
        "`Cache-Control: public, max-age=` in seconds",
    ),
    (
        "IMAGE_SERVICE_MAX_UPLOAD_BYTES",
        "10485760",
        "largest POST body",
    ),
    (
        "IMAGE_SERVICE_MAX_INPUT_BYTES",
        "33554432",
        "largest original the pipeline reads from the store",
    ),
    (
        "IMAGE_SERVICE_MAX_INPUT_PIXELS",
        "50000000",
        "largest original, in pixels (width × height), read from the header before decoding",
    ),
    (
        "IMAGE_SERVICE_MAX_INPUT_FRAMES",
        "500",
        "most frames of an animated original",
    ),
    (
        "IMAGE_SERVICE_ALLOW_NON_IMAGES",
        "false",
        "accept uploads that are not JPEG/PNG/WebP/GIF/TIFF/AVIF/HEIC",
    ),
    (
        "IMAGE_SERVICE_ROUTES",
        "list,get,upload,delete",
        "routes this deployment serves",
    ),
    (
        "IMAGE_SERVICE_WATERMARKS_DIR",
        "assets/watermarks",
        "folder of the watermark images",
    ),
    (
        "IMAGE_SERVICE_WATERMARK",
        "(none)",
        "watermark file put on every image served, originals included; a request's wm is then ignored",
    ),
    (
        "IMAGE_SERVICE_SIGNING",
        "off",
        "`required`: transformed GETs need a valid signature (`s`, `kid`, `exp`)",
    ),
    (
        "IMAGE_SERVICE_SIGN_ORIGINALS",
        "false",
        "with signing required, originals need a signature too",
    ),
    (
        "IMAGE_SERVICE_SIGNING_KEYS",
        "(none)",
        "`keyid:secret` pairs, comma-separated, secrets of 16 bytes or more; the first signs",
    ),
    (
        "IMAGE_SERVICE_WRITE_TOKENS",
        "(none)",
        "bearer tokens (16+ characters, comma-separated) for upload, delete and listing",
    ),
    (
        "IMAGE_SERVICE_LIST_REQUIRES_TOKEN",
        "true",
        "the listing needs a bearer token too",
    ),
    (
        "IMAGE_SERVICE_CORS_ORIGINS",
        "(none)",
        "origins that get CORS headers: `scheme://host[:port]` list, or `*`",
    ),
    (
        "IMAGE_SERVICE_DEADLINE_MS",
        "25000",
        "processing time per request before a 503 `timeout` (keep it below the Lambda timeout)",
    ),
    (
        "IMAGE_SERVICE_MAX_OUTPUT_BYTES",
        "199000000 on Lambda, none locally",
        "largest response body; larger is a 413 `output-too-large` (Lambda streams every response; its limit is 200 MB)",
    ),
    (
        "IMAGE_SERVICE_MAX_OPERATIONS",
        "16",
        "most operations one query may ask for",
    ),
    (
        "IMAGE_SERVICE_MAX_OUTPUT_DIMENSION",
        "16384",
        "largest width or height any step may produce",
    ),
    (
        "IMAGE_SERVICE_SECRETS_ID",
        "(none)",
        "Secrets Manager secret (name or ARN) with `writeTokens`, `signingKeys`, `originSecret`, `previousOriginSecrets`; read once at start (start fails if it cannot be read), then again when older than the TTL",
    ),
    (
        "IMAGE_SERVICE_SECRETS_TTL_SECONDS",
        "300",
        "age after which the secret is read again (a failed read keeps the last good values); 0 = never",
    ),
    (
        "IMAGE_SERVICE_ORIGIN_SECRETS",
        "(none)",
        "accepted `X-Origin-Verify` values (16+ characters, comma-separated), added to the secret's; when any is configured, every request without one is a 403 `forbidden-origin`",
    ),
    (
        "IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET",
        "false",
        "refuse to start without an origin secret (from the secret or the environment)",
    ),
    (
        "IMAGE_SERVICE_METRICS_NAMESPACE",
        "(none)",
        "CloudWatch namespace of the per-request metrics line (embedded metric format); unset: no metrics line",
    ),
    (
        "IMAGE_SERVICE_RESULT_CACHE",
        "on (`_/cache/` of the bucket) for an S3 store, off for fs",
        "where transformed results are kept and served from on repeat: `off`, `on` (the store's own `_/cache/`), `fs:<dir>` or `s3://<bucket>[/<prefix>]`",
    ),
    (
        "IMAGE_SERVICE_EDGE_SALT",
        "(none)",
        "the deployment's part of the edge key (set by the CDK); without it, requests carrying `x-image-edge-path` are a 400",
    ),
    (
        "IMAGE_SERVICE_AUTO_FORMAT",
        "false",
        "a transform without `fm` means `fm=auto` (format from `Accept`, with `Vary: Accept`); originals stay as stored",
    ),
    (
        "IMAGE_SERVICE_AVIF_BUDGET_MS",
        "3000",
        "a negotiated (`fm=auto`) AVIF whose estimated encode time is longer is answered as WebP with `X-Image-Format-Fallback: avif-over-budget`; an explicit `fm=avif` is always AVIF; 0 = no budget",
    ),
    (
        "IMAGE_SERVICE_AUTO_QUALITY",
        "false",
        "a transform without `q` (and without `ll`) means `q=auto` for jpeg, webp and avif output: the lowest quality whose SSIMULACRA2 score stays at or above the target (`X-Image-Quality` says which); png, gif and tiff are unchanged",
    ),
    (
        "IMAGE_SERVICE_AUTO_QUALITY_TARGET",
        "70",
        "the SSIMULACRA2 score `q=auto` aims at, 30-95 (higher: better pictures, more bytes)",
    ),
    (
        "IMAGE_SERVICE_AUTO_QUALITY_BUDGET_MS",
        "1500",
        "wall-clock time the `q=auto` trial encodes may take; when the trials still needed could end later, the format's default quality is used and `X-Image-Quality` says `auto-fallback=over-budget`; 0 = never search",
    ),
    (
        "IMAGE_SERVICE_METADATA_GPS",
        "off",
        "`fm=json` includes the EXIF GPS position (`gps`); off, it is never sent (a photo's GPS tags say where someone was)",
    ),
    (
        "IMAGE_SERVICE_PRESETS",
        "(the built-in handler/presets.json)",
        "JSON file of preset name → query string for `preset=`; each is checked at start and a bad one stops the service naming it",
    ),
    (
        "IMAGE_SERVICE_PRESETS_ONLY",
        "false",
        "unsigned requests may only ask for `preset` (plus `fm=auto`), else 403 `presets-only`; signed requests anything (with signing off, every request is unsigned)",
    ),
    (
        "IMAGE_SERVICE_CONSOLE",
        "on locally, off on Lambda",
        "`on`: the web console at `/_/console` with `GET /_/params` and `POST /_/sign`; `off`: they answer 404",
    ),
];

fn parse_bool(name: &str, v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(format!("{name}={v:?}: expected true or false")),
    }
}

fn parse_number<T>(name: &str, v: &str, min: u64) -> Result<T, String>
where
    T: std::str::FromStr + Into<u64> + Copy,
{
    let n: T = v
        .trim()
        .parse()
        .map_err(|_| format!("{name}={v:?}: expected a whole number"))?;
    if n.into() < min {
        return Err(format!("{name}={v:?}: must be at least {min}"));
    }
    Ok(n)
}

impl Config {
    /// Reads the configuration from a variable lookup (the process environment in
    /// production, a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let mut c = Config::default();
        if let Some(v) = get("IMAGE_SERVICE_STORE") {
            c.store = v;
        }
        validate_store(&c.store)?;
        if let Some(v) = get("IMAGE_SERVICE_PUBLIC_URL").filter(|v| !v.is_empty()) {
            if !(v.starts_with("http://") || v.starts_with("https://")) {
                return Err(format!(
                    "IMAGE_SERVICE_PUBLIC_URL={v:?}: expected an http:// or https:// URL"
                ));
            }
            c.public_url = Some(v.trim_end_matches('/').to_string());
        }
        if let Some(v) = get("IMAGE_SERVICE_CACHE_MAX_AGE") {
            c.cache_max_age = parse_number::<u64>("IMAGE_SERVICE_CACHE_MAX_AGE", &v, 0)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_MAX_UPLOAD_BYTES") {
            let n = parse_number::<u64>("IMAGE_SERVICE_MAX_UPLOAD_BYTES", &v, 1)?;
            c.max_upload_bytes = usize::try_from(n)
                .map_err(|_| "IMAGE_SERVICE_MAX_UPLOAD_BYTES is too large".to_string())?;
        }
        if let Some(v) = get("IMAGE_SERVICE_MAX_INPUT_BYTES") {
            c.max_input_bytes = parse_number::<u64>("IMAGE_SERVICE_MAX_INPUT_BYTES", &v, 1)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_MAX_INPUT_PIXELS") {
            c.max_input_pixels = parse_number::<u64>("IMAGE_SERVICE_MAX_INPUT_PIXELS", &v, 1)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_MAX_INPUT_FRAMES") {
            c.max_input_frames = parse_number::<u32>("IMAGE_SERVICE_MAX_INPUT_FRAMES", &v, 1)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_ALLOW_NON_IMAGES") {
            c.allow_non_images = parse_bool("IMAGE_SERVICE_ALLOW_NON_IMAGES", &v)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_ROUTES") {
            c.routes = parse_routes(&v)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_WATERMARKS_DIR") {
            c.watermarks_dir = PathBuf::from(v);
        }
        if let Some(v) = get("IMAGE_SERVICE_WATERMARK").filter(|v| !v.is_empty()) {
            let name = WatermarkName::parse(&v).ok_or_else(|| {
                format!("IMAGE_SERVICE_WATERMARK={v:?}: expected a file name (A-Z a-z 0-9 . _ -)")
            })?;
            let path = c.watermarks_dir.join(name.as_str());
            if !path.is_file() {
                return Err(format!(
                    "IMAGE_SERVICE_WATERMARK={v:?}: no such file {}",
                    path.display()
                ));
            }
            c.enforced_watermark = Some(name);
        }
        if let Some(v) = get("IMAGE_SERVICE_SIGNING_KEYS") {
            c.signing_keys = credentials::parse_keys(&v)
                .map_err(|e| format!("IMAGE_SERVICE_SIGNING_KEYS: {e}"))?;
        }
        if let Some(v) = get("IMAGE_SERVICE_SIGNING") {
            c.signing = match v.trim() {
                "off" | "" => SigningMode::Off,
                "required" => SigningMode::Required,
                other => {
                    return Err(format!(
                        "IMAGE_SERVICE_SIGNING={other:?}: expected 'off' or 'required'"
                    ))
                }
            };
        }
        if let Some(v) = get("IMAGE_SERVICE_SECRETS_ID").filter(|v| !v.trim().is_empty()) {
            c.secrets_id = Some(v.trim().to_string());
        }
        if let Some(v) = get("IMAGE_SERVICE_SECRETS_TTL_SECONDS") {
            c.secrets_ttl = Duration::from_secs(parse_number::<u64>(
                "IMAGE_SERVICE_SECRETS_TTL_SECONDS",
                &v,
                0,
            )?);
        }
        // With a secret, the keys may come from it: checked once it has been read.
        if c.signing == SigningMode::Required && c.signing_keys.is_empty() && c.secrets_id.is_none()
        {
            return Err(
                "IMAGE_SERVICE_SIGNING=required needs at least one key in IMAGE_SERVICE_SIGNING_KEYS"
                    .into(),
            );
        }
        if let Some(v) = get("IMAGE_SERVICE_SIGN_ORIGINALS") {
            c.sign_originals = parse_bool("IMAGE_SERVICE_SIGN_ORIGINALS", &v)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_WRITE_TOKENS") {
            c.write_tokens =
                WriteTokens::parse(&v).map_err(|e| format!("IMAGE_SERVICE_WRITE_TOKENS: {e}"))?;
        }
        if let Some(v) = get("IMAGE_SERVICE_ORIGIN_SECRETS") {
            c.origin_secrets = OriginSecrets::parse(&v)
                .map_err(|e| format!("IMAGE_SERVICE_ORIGIN_SECRETS: {e}"))?;
        }
        if let Some(v) = get("IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET") {
            c.require_origin_secret = parse_bool("IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET", &v)?;
        }
        if c.require_origin_secret && c.origin_secrets.is_empty() && c.secrets_id.is_none() {
            return Err("IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET=true needs an origin secret: IMAGE_SERVICE_ORIGIN_SECRETS, or originSecret in the IMAGE_SERVICE_SECRETS_ID secret".into());
        }
        if let Some(v) = get("IMAGE_SERVICE_METRICS_NAMESPACE").filter(|v| !v.is_empty()) {
            let ok = v.len() <= 255
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b" .-_/#:".contains(&b));
            if !ok {
                return Err(format!(
                    "IMAGE_SERVICE_METRICS_NAMESPACE={v:?}: expected up to 255 characters of A-Z a-z 0-9 . - _ / # : and space"
                ));
            }
            c.metrics_namespace = Some(v);
        }
        if let Some(v) = get("IMAGE_SERVICE_RESULT_CACHE") {
            c.result_cache = ResultCacheSetting::parse(&v)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_EDGE_SALT") {
            c.edge_salt = results::parse_edge_salt(&v)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_LIST_REQUIRES_TOKEN") {
            c.list_requires_token = parse_bool("IMAGE_SERVICE_LIST_REQUIRES_TOKEN", &v)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_CORS_ORIGINS") {
            c.cors_origins = CorsOrigins::parse(&v)?;
        }
        if let Some(v) = get("IMAGE_SERVICE_DEADLINE_MS") {
            c.deadline =
                Duration::from_millis(parse_number::<u64>("IMAGE_SERVICE_DEADLINE_MS", &v, 100)?);
        }
        if let Some(v) = get("IMAGE_SERVICE_MAX_OUTPUT_BYTES").filter(|v| !v.is_empty()) {
            c.max_output_bytes = Some(parse_number::<u64>(
                "IMAGE_SERVICE_MAX_OUTPUT_BYTES",
                &v,
                1,
            )?);
        }
        if let Some(v) = get("IMAGE_SERVICE_MAX_OPERATIONS") {
            let n = parse_number::<u32>("IMAGE_SERVICE_MAX_OPERATIONS", &v, 1)?;
            c.max_operations = n as usize;
        }
        read_delivery(&mut c, &get)?;
        if let Some(v) = get("IMAGE_SERVICE_CONSOLE").filter(|v| !v.trim().is_empty()) {
            c.console = Some(parse_bool("IMAGE_SERVICE_CONSOLE", &v)?);
        }
        if let Some(v) = get("IMAGE_SERVICE_MAX_OUTPUT_DIMENSION") {
            let n = parse_number::<u32>("IMAGE_SERVICE_MAX_OUTPUT_DIMENSION", &v, 1)?;
            if n > 65_535 {
                return Err(format!(
                    "IMAGE_SERVICE_MAX_OUTPUT_DIMENSION={v:?}: at most 65535"
                ));
            }
            c.max_output_dimension = n;
        }
        Ok(c)
    }

    pub fn from_env() -> Result<Config, String> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn route_enabled(&self, r: Route) -> bool {
        self.routes.contains(&r)
    }

    /// Whether the console routes answer; unset means off (a deployment opts in).
    pub fn console_enabled(&self) -> bool {
        self.console == Some(true)
    }
}

/// The format negotiation and preset settings (issue 17).
fn read_delivery(c: &mut Config, get: &impl Fn(&str) -> Option<String>) -> Result<(), String> {
    if let Some(v) = get("IMAGE_SERVICE_AUTO_FORMAT") {
        c.auto_format = parse_bool("IMAGE_SERVICE_AUTO_FORMAT", &v)?;
    }
    if let Some(v) = get("IMAGE_SERVICE_AVIF_BUDGET_MS") {
        c.avif_budget_ms = parse_number::<u64>("IMAGE_SERVICE_AVIF_BUDGET_MS", &v, 0)?;
    }
    read_auto_quality(c, get)?;
    if let Some(v) = get("IMAGE_SERVICE_PRESETS").filter(|v| !v.trim().is_empty()) {
        c.presets = Presets::load(std::path::Path::new(v.trim()))
            .map_err(|e| format!("IMAGE_SERVICE_PRESETS={v:?}: {e}"))?;
    }
    if let Some(v) = get("IMAGE_SERVICE_PRESETS_ONLY") {
        c.presets_only_unsigned = parse_bool("IMAGE_SERVICE_PRESETS_ONLY", &v)?;
    }
    if let Some(v) = get("IMAGE_SERVICE_METADATA_GPS") {
        c.metadata_gps = parse_bool("IMAGE_SERVICE_METADATA_GPS", &v)?;
    }
    Ok(())
}

/// The `q=auto` settings (issue 18).
fn read_auto_quality(c: &mut Config, get: &impl Fn(&str) -> Option<String>) -> Result<(), String> {
    if let Some(v) = get("IMAGE_SERVICE_AUTO_QUALITY") {
        c.auto_quality = parse_bool("IMAGE_SERVICE_AUTO_QUALITY", &v)?;
    }
    if let Some(v) = get("IMAGE_SERVICE_AUTO_QUALITY_TARGET") {
        let range = AUTO_QUALITY_TARGET_RANGE;
        c.auto_quality_target = v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|t| range.contains(t))
            .ok_or_else(|| {
                format!(
                    "IMAGE_SERVICE_AUTO_QUALITY_TARGET={v:?}: expected a SSIMULACRA2 score {}-{}",
                    range.start(),
                    range.end()
                )
            })?;
    }
    if let Some(v) = get("IMAGE_SERVICE_AUTO_QUALITY_BUDGET_MS") {
        c.auto_quality_budget_ms =
            parse_number::<u64>("IMAGE_SERVICE_AUTO_QUALITY_BUDGET_MS", &v, 0)?;
    }
    Ok(())
}

fn validate_store(store: &str) -> Result<(), String> {
    if let Some(dir) = store.strip_prefix("fs:") {
        if dir.is_empty() {
            return Err("IMAGE_SERVICE_STORE=\"fs:\": expected a directory after 'fs:'".into());
        }
        return Ok(());
    }
    if let Some(bucket) = store.strip_prefix("s3://") {
        let ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !ok {
            return Err(format!(
                "IMAGE_SERVICE_STORE={store:?}: '{bucket}' is not a valid S3 bucket name"
            ));
        }
        return Ok(());
    }
    Err(format!(
        "IMAGE_SERVICE_STORE={store:?}: expected 'fs:<dir>' or 's3://<bucket>'"
    ))
}

fn parse_routes(v: &str) -> Result<BTreeSet<Route>, String> {
    let mut set = BTreeSet::new();
    for name in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let route = Route::ALL
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| {
                format!("IMAGE_SERVICE_ROUTES: unknown route '{name}'; expected some of list,get,upload,delete")
            })?;
        set.insert(route);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Config, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = from(&[]).unwrap();
        assert_eq!(c.store, "fs:./data");
        assert_eq!(c.cache_max_age, 2_592_000);
        assert_eq!(c.max_upload_bytes, 10 * 1024 * 1024);
        assert!(Route::ALL.iter().all(|r| c.route_enabled(*r)));
    }

    #[test]
    fn errors_name_the_variable() {
        for (k, v) in [
            ("IMAGE_SERVICE_STORE", "ftp://x"),
            ("IMAGE_SERVICE_STORE", "s3://Bad_Bucket"),
            ("IMAGE_SERVICE_MAX_UPLOAD_BYTES", "ten"),
            ("IMAGE_SERVICE_MAX_UPLOAD_BYTES", "0"),
            ("IMAGE_SERVICE_ALLOW_NON_IMAGES", "maybe"),
            ("IMAGE_SERVICE_ROUTES", "list,upload,patch"),
            ("IMAGE_SERVICE_PUBLIC_URL", "images.example.com"),
            ("IMAGE_SERVICE_SIGNING", "yes"),
            ("IMAGE_SERVICE_SIGNING", "required"),
            ("IMAGE_SERVICE_SIGNING_KEYS", "k:short"),
            ("IMAGE_SERVICE_WRITE_TOKENS", "short"),
            ("IMAGE_SERVICE_CORS_ORIGINS", "https://a.example.com/path"),
            ("IMAGE_SERVICE_CORS_ORIGINS", "*,https://a.example.com"),
            ("IMAGE_SERVICE_DEADLINE_MS", "5"),
            ("IMAGE_SERVICE_MAX_OPERATIONS", "0"),
            ("IMAGE_SERVICE_MAX_OUTPUT_DIMENSION", "70000"),
            ("IMAGE_SERVICE_SECRETS_TTL_SECONDS", "-1"),
            ("IMAGE_SERVICE_ORIGIN_SECRETS", "short"),
            ("IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET", "true"),
            ("IMAGE_SERVICE_METRICS_NAMESPACE", "Image\nService"),
            ("IMAGE_SERVICE_AUTO_QUALITY", "sometimes"),
            ("IMAGE_SERVICE_AUTO_QUALITY_TARGET", "99"),
            ("IMAGE_SERVICE_AUTO_QUALITY_TARGET", "good"),
            ("IMAGE_SERVICE_AUTO_QUALITY_BUDGET_MS", "-5"),
            ("IMAGE_SERVICE_CONSOLE", "sometimes"),
        ] {
            let e = from(&[(k, v)]).unwrap_err();
            assert!(e.contains(k), "{e}");
        }
    }

    #[test]
    fn reads_values() {
        let c = from(&[
            ("IMAGE_SERVICE_STORE", "s3://my-bucket"),
            ("IMAGE_SERVICE_ROUTES", "get, list"),
            ("IMAGE_SERVICE_PUBLIC_URL", "https://img.example.com/"),
            ("IMAGE_SERVICE_CACHE_MAX_AGE", "60"),
        ])
        .unwrap();
        assert_eq!(c.store, "s3://my-bucket");
        assert!(c.route_enabled(Route::Get) && !c.route_enabled(Route::Upload));
        assert_eq!(c.public_url.as_deref(), Some("https://img.example.com"));
        assert_eq!(c.cache_max_age, 60);
    }

    #[test]
    fn reads_security_and_limits() {
        let c = from(&[
            ("IMAGE_SERVICE_SIGNING", "required"),
            (
                "IMAGE_SERVICE_SIGNING_KEYS",
                "k2:0123456789abcdef,k1:fedcba9876543210",
            ),
            ("IMAGE_SERVICE_WRITE_TOKENS", "tok-aaaaaaaaaaaaaaaa"),
            ("IMAGE_SERVICE_LIST_REQUIRES_TOKEN", "false"),
            (
                "IMAGE_SERVICE_CORS_ORIGINS",
                "https://cms.example.com, http://localhost:3000",
            ),
            ("IMAGE_SERVICE_DEADLINE_MS", "1500"),
            ("IMAGE_SERVICE_MAX_OUTPUT_BYTES", "1000"),
            ("IMAGE_SERVICE_MAX_OPERATIONS", "3"),
        ])
        .unwrap();
        assert_eq!(c.signing, SigningMode::Required);
        assert_eq!(c.signing_keys[0].id, "k2");
        assert!(c.write_tokens.accepts("tok-aaaaaaaaaaaaaaaa"));
        assert!(!c.list_requires_token);
        assert!(c.cors_origins.allows("http://localhost:3000"));
        assert!(!c.cors_origins.allows("https://evil.example.com"));
        assert_eq!(c.deadline, Duration::from_millis(1500));
        assert_eq!(c.max_output_bytes, Some(1000));
        assert_eq!(c.max_operations, 3);
        assert!(from(&[("IMAGE_SERVICE_CORS_ORIGINS", "*")])
            .unwrap()
            .cors_origins
            .allows("https://any.example"));
        // Secrets never show in Debug output (config is logged at start).
        let shown = format!("{c:?}");
        assert!(!shown.contains("0123456789abcdef") && !shown.contains("tok-aaaa"));
    }

    #[test]
    fn reads_secrets_origin_and_metrics_settings() {
        let c = from(&[]).unwrap();
        assert_eq!(c.secrets_id, None);
        assert_eq!(c.secrets_ttl, Duration::from_secs(300));
        assert!(c.origin_secrets.is_empty() && !c.require_origin_secret);
        assert_eq!(c.metrics_namespace, None);
        let c = from(&[
            ("IMAGE_SERVICE_SECRETS_ID", "image-service/dev"),
            ("IMAGE_SERVICE_SECRETS_TTL_SECONDS", "0"),
            (
                "IMAGE_SERVICE_ORIGIN_SECRETS",
                "origin-aaaaaaaaaaaaaaaa,origin-bbbbbbbbbbbbbbbb",
            ),
            ("IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET", "true"),
            ("IMAGE_SERVICE_METRICS_NAMESPACE", "ImageService/dev"),
        ])
        .unwrap();
        assert_eq!(c.secrets_id.as_deref(), Some("image-service/dev"));
        assert_eq!(c.secrets_ttl, Duration::ZERO);
        assert!(c.origin_secrets.accepts("origin-bbbbbbbbbbbbbbbb"));
        assert!(c.require_origin_secret);
        assert_eq!(c.metrics_namespace.as_deref(), Some("ImageService/dev"));
        assert!(!format!("{c:?}").contains("origin-aaaa"));
        // With a secret, required signing keys and the origin secret may come from it.
        let c = from(&[
            ("IMAGE_SERVICE_SECRETS_ID", "image-service/dev"),
            ("IMAGE_SERVICE_SIGNING", "required"),
            ("IMAGE_SERVICE_REQUIRE_ORIGIN_SECRET", "true"),
        ])
        .unwrap();
        assert!(c.signing_keys.is_empty() && c.origin_secrets.is_empty());
    }

    #[test]
    fn reads_auto_quality_settings() {
        let c = from(&[]).unwrap();
        assert!(!c.auto_quality);
        assert_eq!(c.auto_quality_target, AUTO_QUALITY_DEFAULT_TARGET);
        assert_eq!(c.auto_quality_budget_ms, AUTO_QUALITY_DEFAULT_BUDGET_MS);
        let c = from(&[
            ("IMAGE_SERVICE_AUTO_QUALITY", "on"),
            ("IMAGE_SERVICE_AUTO_QUALITY_TARGET", " 82.5 "),
            ("IMAGE_SERVICE_AUTO_QUALITY_BUDGET_MS", "0"),
        ])
        .unwrap();
        assert!(c.auto_quality);
        assert_eq!(c.auto_quality_target, 82.5);
        assert_eq!(c.auto_quality_budget_ms, 0);
        assert!(
            !from(&[("IMAGE_SERVICE_AUTO_QUALITY", "off")])
                .unwrap()
                .auto_quality
        );
    }

    #[test]
    fn console_is_off_unless_switched_on() {
        assert!(!from(&[]).unwrap().console_enabled());
        assert_eq!(from(&[]).unwrap().console, None);
        for (v, on) in [("on", true), ("true", true), ("off", false), ("0", false)] {
            let c = from(&[("IMAGE_SERVICE_CONSOLE", v)]).unwrap();
            assert_eq!((c.console, c.console_enabled()), (Some(on), on), "{v}");
        }
    }

    #[test]
    fn readme_documents_every_variable() {
        let readme = include_str!("../../README.md");
        for (name, _, _) in VARIABLES {
            assert!(
                readme.contains(&format!("`{name}`")),
                "README's configuration table lacks {name}"
            );
        }
    }
}
