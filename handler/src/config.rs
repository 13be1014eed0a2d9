//! Service configuration, read from `IMAGE_SERVICE_*` environment variables and
//! validated once at start-up with errors that name the variable.

use crate::params::WatermarkName;
use std::collections::BTreeSet;
use std::path::PathBuf;

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
}

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
        Ok(c)
    }

    pub fn from_env() -> Result<Config, String> {
        Config::from_lookup(|k| std::env::var(k).ok())
    }

    pub fn route_enabled(&self, r: Route) -> bool {
        self.routes.contains(&r)
    }
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
}
