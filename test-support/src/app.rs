//! The router in process, as `Router::oneshot` runs it: request builders, a response
//! read to the end, and [`TestApp`], the router over a temporary filesystem store.

use axum::body::Body;
use axum::http::{HeaderMap, Request, Response};
use axum::Router;
use http_body_util::BodyExt;
use image_service::metrics::LineSink;
use image_service::result_cache::ResultCache;
use image_service::storage::fs::FsStore;
use image_service::storage::DynStore;
use image_service::{router, AppState, Config};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

pub const BOUNDARY: &str = "----image-service-test-boundary";

/// One part of a multipart body: field name, optional file name, bytes.
pub type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

/// A `multipart/form-data` body with [`BOUNDARY`].
pub fn multipart(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, filename, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{field}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The `Content-Type` of a [`multipart`] body.
pub fn multipart_content_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

/// `files` as the `data` parts of an upload: `(file name, bytes)`.
pub fn files_body(files: &[(&str, &[u8])]) -> Vec<u8> {
    let parts: Vec<Part<'_>> = files
        .iter()
        .map(|(name, bytes)| ("data", Some(*name), *bytes))
        .collect();
    multipart(&parts)
}

pub fn upload_request(path: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header("content-type", multipart_content_type())
        .header("host", "images.test")
        .body(Body::from(body))
        .unwrap()
}

pub fn delete_request(path: &str, json: &str) -> Request<Body> {
    Request::delete(path)
        .header("content-type", "application/json")
        .body(Body::from(json.to_string()))
        .unwrap()
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

/// A response read to the end.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Asserts the error JSON shape and returns its code.
    pub fn error_code(&self) -> String {
        let j = self.json();
        assert_eq!(j["status"].as_u64(), Some(self.status as u64), "{j}");
        assert!(j["message"].as_str().is_some_and(|m| !m.is_empty()), "{j}");
        j["code"].as_str().expect("code").to_string()
    }
}

pub async fn send(app: &Router, req: Request<Body>) -> TestResponse {
    let res: Response<Body> = app.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    TestResponse {
        status,
        headers,
        body,
    }
}

pub fn fs_store(dir: &Path) -> DynStore {
    Arc::new(FsStore::open(dir).unwrap())
}

/// The router as the local server runs it: with no write tokens configured, the
/// management routes stay open (tests of the token checks build their own).
pub fn app_with(store: DynStore, mut config: Config) -> Router {
    config.open_without_tokens = true;
    router(quiet(AppState::new(store, config)))
}

/// The request log lines through `println!`, which the test harness captures (the
/// service writes to stdout directly, which it would not).
pub fn quiet(state: AppState) -> AppState {
    state.with_log_sink(Arc::new(|line: &str| println!("{line}")))
}

/// A sink that keeps every line, and the lines it kept.
pub fn capture() -> (LineSink, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let kept = lines.clone();
    let sink: LineSink = Arc::new(move |line: &str| kept.lock().unwrap().push(line.to_string()));
    (sink, lines)
}

/// The router over a filesystem store in a temporary folder (removed on drop), with
/// typed requests. Its log lines are kept ([`TestApp::lines`]).
pub struct TestApp {
    _dir: tempfile::TempDir,
    /// The store's folder: the files under it are the objects.
    pub root: PathBuf,
    pub store: DynStore,
    /// The result cache's store ([`TestApp::cached`]), under `root/_/cache`.
    pub results: Option<DynStore>,
    pub app: Router,
    lines: Arc<Mutex<Vec<String>>>,
}

impl TestApp {
    /// The default configuration, management routes open as on the local server.
    pub fn new() -> TestApp {
        TestApp::open(Config::default())
    }

    /// `config` with the management routes open when it has no write tokens, as the
    /// local server runs.
    pub fn open(mut config: Config) -> TestApp {
        config.open_without_tokens = true;
        TestApp::exact_with(config, |s| s)
    }

    /// `config` exactly as given (tests of the token checks).
    pub fn exact(config: Config) -> TestApp {
        TestApp::exact_with(config, |s| s)
    }

    /// `config` with the management routes open and a result cache in the store's own
    /// `_/cache/` folder, as `IMAGE_SERVICE_RESULT_CACHE=on` sets it up.
    pub fn cached(mut config: Config) -> TestApp {
        config.open_without_tokens = true;
        TestApp::build(config, |s| s, true)
    }

    /// `config` exactly as given, the state finished by `finish` (e.g. with secrets).
    pub fn exact_with(config: Config, finish: impl FnOnce(AppState) -> AppState) -> TestApp {
        TestApp::build(config, finish, false)
    }

    fn build(config: Config, finish: impl FnOnce(AppState) -> AppState, cached: bool) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let store = fs_store(&root);
        let results = cached.then(|| fs_store(&root.join("_/cache")));
        let lines = Arc::new(Mutex::new(Vec::new()));
        let kept = lines.clone();
        // Kept for the tests that read them, printed for the harness to show on failure.
        let sink: LineSink = Arc::new(move |line: &str| {
            println!("{line}");
            kept.lock().unwrap().push(line.to_string());
        });
        let cache = results
            .clone()
            .map(|r| Arc::new(ResultCache::new(r, "fs:<root>/_/cache")));
        let app = router(finish(
            AppState::new(store.clone(), config)
                .with_log_sink(sink)
                .with_result_cache(cache),
        ));
        TestApp {
            _dir: dir,
            root,
            store,
            results,
            app,
            lines,
        }
    }

    /// Stores `bytes` under `key` directly, past the routes.
    pub async fn put(&self, key: &str, bytes: Vec<u8>, content_type: &'static str) {
        self.store
            .put_if_absent(key, bytes.into(), content_type)
            .await
            .unwrap_or_else(|e| panic!("seeding {key}: {e}"));
    }

    pub async fn send(&self, req: Request<Body>) -> TestResponse {
        send(&self.app, req).await
    }

    /// GET `path_and_query`, e.g. `/cat.png?w=100`.
    pub async fn get(&self, path_and_query: &str) -> TestResponse {
        self.send(get(path_and_query)).await
    }

    /// GET with request headers.
    pub async fn get_with(&self, path_and_query: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut req = Request::get(path_and_query);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// Uploads `files` (`(file name, bytes)`, each a `data` part) into the folder `path`.
    pub async fn upload(&self, path: &str, files: &[(&str, &[u8])]) -> TestResponse {
        self.send(upload_request(path, files_body(files))).await
    }

    /// Deletes `names` from the folder `path`.
    pub async fn delete(&self, path: &str, names: &[&str]) -> TestResponse {
        let json = serde_json::json!({ "images": names }).to_string();
        self.send(delete_request(path, &json)).await
    }

    /// The log lines written so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// Sends `req` and returns the response with the lines written for it, as JSON.
    pub async fn send_logged(&self, req: Request<Body>) -> (TestResponse, Vec<serde_json::Value>) {
        self.lines.lock().unwrap().clear();
        let r = self.send(req).await;
        let lines = self
            .lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect();
        (r, lines)
    }
}

impl Default for TestApp {
    fn default() -> Self {
        TestApp::new()
    }
}
