//! Results past the 6 MB a buffered Lambda answer can carry, end to end: a ~20 MB TIFF
//! through the local server (axum over TCP, as `image-service serve` runs it) and through
//! `lambda_http`'s streaming adapter (what the Lambda binary runs) with a REST v1 event;
//! and `output-too-large` only past the configured ceiling.

use futures::StreamExt;
use image_service::config::LAMBDA_MAX_OUTPUT_BYTES;
use image_service::Config;
use lambda_http::request::LambdaRequest;
use lambda_http::{Context, LambdaEvent, Service, StreamAdapter};
use serde_json::Value;
use std::time::{Duration, Instant};
use test_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A 1000 x 1000 noise PNG (every byte value, NUL runs included) with `ex=800` around it
/// as an uncompressed TIFF: 2600 x 2600 x 3 bytes plus the header, about 20.3 MB.
const SIDE: u32 = 1000;
const EX: u32 = 800;
const QUERY: &str = "ex=800&fm=tiff";

async fn noise_app(config: Config) -> (TestApp, image::RgbImage) {
    let png = noisy_png(SIDE, SIDE);
    let noise = decode(&png).to_rgb8();
    let app = TestApp::open(config);
    app.put("big/noise.png", png, "image/png").await;
    (app, noise)
}

/// Why `body` is not the expected result (None when it is).
fn problem(body: &[u8], noise: &image::RgbImage) -> Option<String> {
    test_support::margined_tiff_problem(body, noise, EX)
}

fn assert_the_result(body: &[u8], noise: &image::RgbImage) {
    assert!(body.len() > 20_000_000, "{} bytes", body.len());
    assert_eq!(problem(body, noise), None);
    // The check can fail: a body cut in half, or other pixels, is refused.
    assert!(problem(&body[..body.len() / 2], noise).is_some());
    let mut other = noise.clone();
    other.get_pixel_mut(SIDE / 2, SIDE / 2).0[1] ^= 0xff;
    assert!(problem(body, &other).is_some());
}

/// One HTTP/1.1 GET over TCP: (status line, headers, body, time to first byte, total).
async fn raw_get(
    addr: std::net::SocketAddr,
    path: &str,
) -> (String, String, Vec<u8>, Duration, Duration) {
    let started = Instant::now();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut first = [0u8; 1];
    tcp.read_exact(&mut first).await.unwrap();
    let ttfb = started.elapsed();
    let mut rest = Vec::new();
    tcp.read_to_end(&mut rest).await.unwrap();
    let total = started.elapsed();
    let mut all = first.to_vec();
    all.extend(rest);
    let end = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8(all[..end].to_vec()).unwrap();
    let (status, headers) = head.split_once("\r\n").unwrap();
    (
        status.into(),
        headers.to_ascii_lowercase(),
        all[end + 4..].to_vec(),
        ttfb,
        total,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_20_mb_result_through_the_local_server() {
    let (app, noise) = noise_app(Config::default()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(std::future::IntoFuture::into_future(axum::serve(
        listener,
        app.app.clone(),
    )));
    let (status, headers, body, ttfb, total) =
        raw_get(addr, &format!("/big/noise.png?{QUERY}")).await;
    server.abort();
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(headers.contains("content-type: image/tiff"), "{headers}");
    // Not chunked: the length is known, and the body is exactly that long.
    assert!(
        headers.contains(&format!("content-length: {}", body.len())),
        "{headers}"
    );
    assert_the_result(&body, &noise);
    println!(
        "local server: {} bytes, first byte after {:.0} ms, whole after {:.0} ms",
        body.len(),
        ttfb.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3
    );
}

/// The REST v1 event of the checked-in fixture, asking for `path?QUERY`.
fn rest_event(path: &str) -> LambdaRequest {
    let mut e: Value =
        serde_json::from_str(include_str!("events/rest_v1_get_transformed.json")).unwrap();
    e["path"] = format!("/{path}").into();
    e["pathParameters"]["proxy"] = path.into();
    e["requestContext"]["path"] = format!("/prod/{path}").into();
    let pairs: Vec<(&str, &str)> = QUERY.split('&').filter_map(|p| p.split_once('=')).collect();
    e["queryStringParameters"] = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(*v)))
        .collect();
    e["multiValueQueryStringParameters"] = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(vec![*v])))
        .collect();
    serde_json::from_value(e).expect("a REST v1 event")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_20_mb_result_through_the_lambda_streaming_adapter() {
    std::env::set_var("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH", "true");
    let (app, noise) = noise_app(Config {
        max_output_bytes: Some(LAMBDA_MAX_OUTPUT_BYTES),
        ..Config::default()
    })
    .await;
    let mut adapter = StreamAdapter::from(app.app.clone());
    let response = adapter
        .call(LambdaEvent::new(
            rest_event("big/noise.png"),
            Context::default(),
        ))
        .await
        .expect("the router never fails");
    // The prelude as lambda_runtime writes it before the 8 NUL bytes: the status, and one
    // string per header name (API Gateway's format).
    let prelude = serde_json::to_value(&response.metadata_prelude).unwrap();
    assert_eq!(prelude["statusCode"], 200, "{prelude}");
    assert_eq!(
        prelude["headers"]["content-type"], "image/tiff",
        "{prelude}"
    );
    let headers = prelude["headers"].as_object().unwrap();
    assert!(headers.values().all(Value::is_string), "{prelude}");
    let mut body = Vec::new();
    let mut stream = response.stream;
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(prelude["headers"]["content-length"], body.len().to_string());
    assert_the_result(&body, &noise);
}

#[tokio::test(flavor = "multi_thread")]
async fn output_too_large_only_past_the_ceiling() {
    // The result is 20,280,xxx bytes: a ceiling just under it refuses it, naming the
    // ceiling; one just over it serves it.
    let (app, _) = noise_app(Config {
        max_output_bytes: Some(20_000_000),
        ..Config::default()
    })
    .await;
    let r = app.get(&format!("/big/noise.png?{QUERY}")).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (413, "output-too-large")
    );
    assert!(r.text().contains("at most 20000000 bytes"), "{}", r.text());
    let (app, noise) = noise_app(Config {
        max_output_bytes: Some(20_300_000),
        ..Config::default()
    })
    .await;
    let r = app.get(&format!("/big/noise.png?{QUERY}")).await;
    assert_eq!(r.status, 200);
    assert_the_result(&r.body, &noise);
}
