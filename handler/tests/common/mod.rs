//! Helpers shared by the HTTP, contract and Lambda tests.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use http_body_util::BodyExt;
use image_service::metrics::LineSink;
use image_service::storage::fs::FsStore;
use image_service::storage::DynStore;
use image_service::{router, AppState, Config};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

pub const BOUNDARY: &str = "----image-service-test-boundary";

/// A multipart/form-data body: `(field name, file name, bytes)` per part.
pub fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
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

pub fn upload_request(path: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
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

pub struct TestResponse {
    pub status: u16,
    pub headers: axum::http::HeaderMap,
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

pub fn fs_store(dir: &std::path::Path) -> DynStore {
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

/// A small PNG made in code: `w`×`h` RGB gradient.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img =
        image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 5) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A PNG that does not compress: `w`×`h` pixels of pseudo-random noise.
pub fn noisy_png(w: u32, h: u32) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let b = state.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

pub fn decode(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).expect("response decodes as an image")
}
