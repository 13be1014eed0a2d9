//! The end-to-end suite's toolbox: settings from the environment, an HTTP client that
//! sends the credentials, multipart bodies, response checks, image decoding and the
//! cleanup of the run's prefix. The tests themselves are in `tests/e2e/`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use reqwest::{Method, StatusCode};
// The multipart bodies and test images every test binary of the workspace builds.
pub use test_support::{multipart, multipart_content_type, seeded_png as png, Part, BOUNDARY};

/// The sample images of `assets/samples/` the suite uploads as its originals.
pub mod samples {
    /// 650×470 progressive JPEG.
    pub const CAT_JPG: &[u8] = include_bytes!("../../assets/samples/progressive_3.jpg");
    /// 2048×1536 PNG with alpha.
    pub const BUG_PNG: &[u8] = include_bytes!("../../assets/samples/blackbug.png");
    /// 80×80 animated GIF.
    pub const SQUARES_GIF: &[u8] = include_bytes!("../../assets/samples/rotating-squares.gif");
}

/// Where the suite runs and what it may expect there, read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BASE_URL` without a trailing slash.
    pub base_url: String,
    /// `IMAGE_SERVICE_TOKEN`: sent as `Authorization: Bearer` when set.
    pub token: Option<String>,
    /// Edge-only checks (CloudFront cache, HTTPS redirect): on for `https://` base URLs,
    /// or forced with `INTEGRATION_EDGE=1` / `0`.
    pub edge: bool,
    /// `INTEGRATION_MAX_UPLOAD_BYTES`: the service's upload limit (default 10 MiB).
    pub max_upload_bytes: usize,
    /// `INTEGRATION_CACHE_MAX_AGE`: the expected `Cache-Control` max-age (default 2592000).
    pub cache_max_age: u64,
    /// `INTEGRATION_PREFIX`: the folder the run's unique prefix goes under (default `it`).
    pub prefix_root: String,
}

impl Settings {
    /// `None` when `BASE_URL` is not set.
    pub fn from_env() -> Option<Settings> {
        let base_url = std::env::var("BASE_URL")
            .ok()
            .filter(|v| !v.trim().is_empty())?;
        let base_url = base_url.trim().trim_end_matches('/').to_string();
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let edge = match var("INTEGRATION_EDGE").as_deref() {
            Some("1" | "true") => true,
            Some(_) => false,
            None => base_url.starts_with("https://"),
        };
        Some(Settings {
            token: var("IMAGE_SERVICE_TOKEN"),
            edge,
            max_upload_bytes: var("INTEGRATION_MAX_UPLOAD_BYTES")
                .map(|v| v.parse().expect("INTEGRATION_MAX_UPLOAD_BYTES: an integer"))
                .unwrap_or(10 * 1024 * 1024),
            cache_max_age: var("INTEGRATION_CACHE_MAX_AGE")
                .map(|v| v.parse().expect("INTEGRATION_CACHE_MAX_AGE: an integer"))
                .unwrap_or(2_592_000),
            prefix_root: var("INTEGRATION_PREFIX").unwrap_or_else(|| "it".into()),
            base_url,
        })
    }
}

/// A response read to the end.
#[derive(Debug, Clone)]
pub struct Res {
    pub method: Method,
    pub url: String,
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The header, or a panic naming the request.
    pub fn need(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("{} {}: no {name} header", self.method, self.url))
    }

    /// The body length the service declared: `Content-Length`, or for an answer a
    /// Lambda front end streamed, the value it moved to
    /// `x-amzn-remapped-content-length` (API Gateway relabels the function's own
    /// Content-Length rather than dropping it; a HEAD answer has no body to count).
    pub fn declared_length(&self) -> &str {
        self.header("content-length")
            .or_else(|| self.header("x-amzn-remapped-content-length"))
            .unwrap_or_else(|| self.need("content-length"))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(600)]).into_owned()
    }

    /// Asserts the status, showing the body when it differs.
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status,
            status,
            "{} {}: {}",
            self.method,
            self.url,
            self.text()
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{} {}: not JSON: {}",
            self.method,
            self.url,
            self.text()
        );
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {}: invalid JSON ({e}): {}",
                self.method,
                self.url,
                self.text()
            )
        })
    }

    /// Asserts the error contract — JSON `{"status", "code", "message"}` and nothing
    /// else, the status repeated — and returns the message.
    pub fn expect_error(&self, status: u16, code: &str) -> String {
        self.check_error(status, code)
            .unwrap_or_else(|e| panic!("{} {}: {e}", self.method, self.url))
    }

    /// [`Res::expect_error`] without the panic.
    pub fn check_error(&self, status: u16, code: &str) -> Result<String, String> {
        if self.status != status {
            return Err(format!(
                "status {} (want {status}): {}",
                self.status,
                self.text()
            ));
        }
        if self.header("content-type") != Some("application/json") {
            return Err(format!(
                "Content-Type {:?}, not JSON: {}",
                self.header("content-type"),
                self.text()
            ));
        }
        let j: serde_json::Value = serde_json::from_slice(&self.body)
            .map_err(|e| format!("invalid JSON ({e}): {}", self.text()))?;
        let obj = j
            .as_object()
            .ok_or_else(|| format!("error is not an object: {j}"))?;
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        if keys != ["code", "message", "status"] {
            return Err(format!("error keys {keys:?}: {j}"));
        }
        if j["status"].as_u64() != Some(u64::from(status)) || j["code"].as_str() != Some(code) {
            return Err(format!("want status {status} code {code}: {j}"));
        }
        match j["message"].as_str() {
            Some(m) if !m.is_empty() => Ok(m.to_string()),
            _ => Err(format!("empty message: {j}")),
        }
    }

    /// Decodes the body as an image, checking `Content-Type` against the bytes.
    pub fn image(&self) -> Decoded {
        decode(&self.body, self.header("content-type"))
            .unwrap_or_else(|e| panic!("{} {}: {e}", self.method, self.url))
    }
}

/// An image decoded from a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded {
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Width and height from the first `ispe` (image spatial extents) box: 4 bytes of
/// version and flags, then big-endian width and height. Our encoder writes one image,
/// so the first is the primary.
fn avif_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let at = bytes.windows(4).position(|w| w == b"ispe")? + 8;
    let field = |i: usize| -> Option<u32> {
        Some(u32::from_be_bytes(bytes.get(i..i + 4)?.try_into().ok()?))
    };
    Some((field(at)?, field(at + 4)?))
}

/// The format name the service uses in `fm` and `image/<name>`.
fn format_name(format: image::ImageFormat) -> &'static str {
    match format {
        image::ImageFormat::Jpeg => "jpeg",
        image::ImageFormat::Png => "png",
        image::ImageFormat::WebP => "webp",
        image::ImageFormat::Gif => "gif",
        image::ImageFormat::Tiff => "tiff",
        image::ImageFormat::Avif => "avif",
        _ => "other",
    }
}

/// Sniffs and decodes `bytes`; AVIF (no decoder here) is recognised by its `ftyp`
/// brand and its size read from the primary item's `ispe` property.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> Result<Decoded, String> {
    let decoded = if bytes.len() > 12
        && &bytes[4..8] == b"ftyp"
        && matches!(&bytes[8..12], b"avif" | b"avis")
    {
        let (width, height) = avif_size(bytes).ok_or("AVIF without an ispe box")?;
        Decoded {
            format: "avif",
            width,
            height,
        }
    } else {
        let format = image::guess_format(bytes)
            .map_err(|e| format!("not an image ({e}), {} bytes", bytes.len()))?;
        let img = image::load_from_memory_with_format(bytes, format)
            .map_err(|e| format!("cannot decode: {e}"))?;
        Decoded {
            format: format_name(format),
            width: img.width(),
            height: img.height(),
        }
    };
    let want = format!("image/{}", decoded.format);
    if content_type != Some(want.as_str()) {
        return Err(format!(
            "Content-Type {content_type:?} but the bytes are {want}"
        ));
    }
    Ok(decoded)
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A unique folder for one run: `{root}/{seconds}-{pid}-{random}`.
pub fn unique_prefix(root: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(now.as_nanos());
    format!(
        "{root}/{}-{}-{:08x}",
        now.as_secs(),
        std::process::id(),
        h.finish() as u32
    )
}

/// The service at `BASE_URL`, with the run's prefix.
#[derive(Debug, Clone)]
pub struct Service {
    pub settings: Settings,
    /// Every object the run creates lives under `{prefix}/`.
    pub prefix: String,
    client: reqwest::Client,
}

impl Service {
    pub fn new(settings: Settings) -> Service {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = &settings.token {
            let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                .expect("IMAGE_SERVICE_TOKEN: not a valid header value");
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(90))
            .build()
            .expect("HTTP client");
        let prefix = unique_prefix(&settings.prefix_root);
        Service {
            settings,
            prefix,
            client,
        }
    }

    /// `{BASE_URL}{path_and_query}`; the path starts with `/`.
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.settings.base_url)
    }

    /// `/{prefix}/{rest}`, the path of an object of this run.
    pub fn path(&self, rest: &str) -> String {
        format!("/{}/{}", self.prefix, rest.trim_start_matches('/'))
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Res {
        let mut req = self.client.request(method.clone(), url);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.body(body);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res
            .bytes()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: reading the body: {e}"))
            .to_vec();
        Res {
            method,
            url: url.to_string(),
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path_and_query: &str) -> Res {
        self.send(Method::GET, &self.url(path_and_query), &[], None)
            .await
    }

    pub async fn get_with(&self, path_and_query: &str, headers: &[(&str, &str)]) -> Res {
        self.send(Method::GET, &self.url(path_and_query), headers, None)
            .await
    }

    pub async fn head(&self, path_and_query: &str) -> Res {
        self.send(Method::HEAD, &self.url(path_and_query), &[], None)
            .await
    }

    /// POSTs a multipart body to `path`.
    pub async fn upload(&self, path: &str, parts: &[Part<'_>]) -> Res {
        self.upload_raw(path, multipart(parts)).await
    }

    pub async fn upload_raw(&self, path: &str, body: Vec<u8>) -> Res {
        let ct = multipart_content_type();
        self.send(
            Method::POST,
            &self.url(path),
            &[("content-type", &ct)],
            Some(body),
        )
        .await
    }

    /// DELETE `path` with a raw JSON body.
    pub async fn delete_raw(&self, path: &str, body: &str) -> Res {
        self.send(
            Method::DELETE,
            &self.url(path),
            &[("content-type", "application/json")],
            Some(body.as_bytes().to_vec()),
        )
        .await
    }

    pub async fn delete(&self, path: &str, names: &[&str]) -> Res {
        self.delete_raw(path, &serde_json::json!({ "images": names }).to_string())
            .await
    }

    /// Every key under `prefix`, following continuation tokens.
    pub async fn list_all(&self, prefix: &str, page_size: u32) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..10_000 {
            let mut q = format!(
                "/?prefix={}&max-keys={page_size}",
                encode_query_value(prefix)
            );
            if let Some(t) = &token {
                q.push_str(&format!("&continuation-token={}", encode_query_value(t)));
            }
            let res = self.get(&q).await;
            res.expect(200);
            let page = res.json();
            out.extend(
                page.as_array()
                    .unwrap_or_else(|| panic!("list is not an array: {page}"))
                    .iter()
                    .cloned(),
            );
            match res.header("x-next-continuation-token") {
                Some(t) => token = Some(t.to_string()),
                None => return out,
            }
        }
        panic!("listing {prefix} never ended");
    }

    /// Removes everything under the run's prefix; returns the number of objects removed.
    pub async fn cleanup(&self) -> Result<usize, String> {
        let mut removed = 0;
        // Twice: a race loser may finish writing after the first pass.
        for _ in 0..2 {
            let items = self.list_all(&format!("{}/", self.prefix), 1000).await;
            let mut by_dir: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for item in &items {
                let key = item["Key"]
                    .as_str()
                    .ok_or_else(|| format!("list item without Key: {item}"))?;
                let (dir, name) = key.rsplit_once('/').unwrap_or(("", key));
                by_dir
                    .entry(dir.to_string())
                    .or_default()
                    .push(name.to_string());
            }
            for (dir, names) in by_dir {
                for chunk in names.chunks(100) {
                    let names: Vec<&str> = chunk.iter().map(String::as_str).collect();
                    let path: String = dir
                        .split('/')
                        .map(encode_path_segment)
                        .collect::<Vec<_>>()
                        .join("/");
                    let res = self.delete(&format!("/{path}"), &names).await;
                    if res.status != 200 {
                        return Err(format!(
                            "cleanup DELETE /{dir}: {} {}",
                            res.status,
                            res.text()
                        ));
                    }
                    removed += chunk.len();
                }
            }
        }
        let left = self.list_all(&format!("{}/", self.prefix), 1000).await;
        if !left.is_empty() {
            return Err(format!(
                "{} objects left under {}/ after cleanup",
                left.len(),
                self.prefix
            ));
        }
        Ok(removed)
    }
}

/// Percent-encodes one path segment.
pub fn encode_path_segment(segment: &str) -> String {
    encode_query_value(segment)
}
