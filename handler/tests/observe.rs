//! What operators see: one JSON log line per request, one EMF metrics line when a
//! namespace is configured, and `Server-Timing` on image responses. The lines are
//! captured through the state's log sink, exactly as the service writes them.

use axum::body::Body;
use axum::http::Request;
use image_service::auth::signing::{parse_keys, sign};
use image_service::auth::tokens::WriteTokens;
use image_service::auth::SigningMode;
use image_service::Config;
use serde_json::Value;
use test_support::*;

const TOKEN: &str = "tok-observe-0123456789";
const KEY: &str = "k1:signing-secret-0123456789";

/// `cat.png` served with `config` as given; the log lines are kept by the app.
async fn fixture(config: Config) -> TestApp {
    let f = TestApp::exact(config);
    f.put("cat.png", png(64, 48), "image/png").await;
    f
}

fn metered() -> Config {
    Config {
        metrics_namespace: Some("ImageService/test".into()),
        open_without_tokens: true,
        ..Config::default()
    }
}

/// The one log line and the one EMF line of a request.
fn split(lines: &[Value]) -> (&Value, &Value) {
    assert_eq!(lines.len(), 2, "{lines:?}");
    let log = lines
        .iter()
        .find(|l| l["msg"] == "request")
        .expect("log line");
    let emf = lines
        .iter()
        .find(|l| l.get("_aws").is_some())
        .expect("EMF line");
    (log, emf)
}

fn metric_names(emf: &Value, directive: usize) -> Vec<String> {
    emf["_aws"]["CloudWatchMetrics"][directive]["Metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap().to_string())
        .collect()
}

fn ms(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is not a number: {v}"))
}

#[tokio::test]
async fn a_transform_logs_its_phases_and_metrics_and_sends_server_timing() {
    let f = fixture(metered()).await;
    let (r, lines) = f.send_logged(get("/cat.png?w=32&fm=webp")).await;
    assert_eq!(r.status, 200);
    let (log, emf) = split(&lines);
    assert_eq!(log["route"], "transform");
    assert_eq!(
        (log["method"].as_str(), log["status"].as_u64()),
        (Some("GET"), Some(200))
    );
    assert_eq!(log["code"], Value::Null);
    assert_eq!(log["bytes_out"].as_u64(), Some(r.body.len() as u64));
    assert_eq!(log["bytes_in"].as_u64(), Some(0));
    assert!(uuid::Uuid::parse_str(log["request_id"].as_str().unwrap()).is_ok());
    for field in ["ms_store", "ms_decode", "ms_ops", "ms_encode"] {
        assert!(ms(log, field) > 0.0, "{field}: {log}");
        assert!(ms(log, field) <= ms(log, "ms_total"), "{field}: {log}");
    }

    let ns = &emf["_aws"]["CloudWatchMetrics"];
    assert_eq!(
        ns.as_array().unwrap().len(),
        2,
        "no error directive on a 200"
    );
    assert_eq!(ns[0]["Namespace"], "ImageService/test");
    assert_eq!(ns[0]["Dimensions"], serde_json::json!([["Route"]]));
    assert_eq!(ns[1]["Dimensions"], serde_json::json!([[]]));
    assert_eq!(emf["Route"], "transform");
    for name in metric_names(emf, 0).iter().chain(&metric_names(emf, 1)) {
        assert!(emf[name].is_number(), "{name}: {emf}");
    }
    assert!(ms(emf, "DecodeTime") > 0.0 && ms(emf, "EncodeTime") > 0.0);
    assert_eq!(emf["Requests"], 1);
    assert_eq!(
        (emf["Errors4xx"].as_u64(), emf["Errors5xx"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(emf["request_id"], log["request_id"]);

    let timing = r
        .header("server-timing")
        .expect("Server-Timing on a transform");
    let names: Vec<&str> = timing
        .split(", ")
        .map(|p| {
            let (name, dur) = p.split_once(";dur=").unwrap();
            assert!(dur.parse::<f64>().is_ok(), "{p}");
            name
        })
        .collect();
    assert_eq!(names, ["store", "decode", "ops", "encode", "total"]);

    // A revalidation (304) is an image response too: the store was read, nothing decoded.
    let etag = r.header("etag").unwrap().to_string();
    let mut req = get("/cat.png?w=32&fm=webp");
    req.headers_mut()
        .insert("if-none-match", etag.parse().unwrap());
    let (r, lines) = f.send_logged(req).await;
    assert_eq!(r.status, 304);
    let timing = r.header("server-timing").unwrap();
    assert!(
        timing.starts_with("store;dur=") && !timing.contains("decode"),
        "{timing}"
    );
    assert_eq!(split(&lines).0["ms_decode"], 0.0);
}

#[tokio::test]
async fn an_original_reads_the_store_only() {
    let f = fixture(metered()).await;
    let (r, lines) = f.send_logged(get("/cat.png")).await;
    assert_eq!(r.status, 200);
    let (log, emf) = split(&lines);
    assert_eq!(log["route"], "original");
    assert!(ms(log, "ms_store") > 0.0);
    for field in ["ms_decode", "ms_ops", "ms_encode"] {
        assert_eq!(ms(log, field), 0.0, "{field}");
    }
    assert_eq!(emf["Route"], "original");
    let timing = r.header("server-timing").unwrap();
    assert!(
        timing.starts_with("store;dur=") && timing.contains("total;dur="),
        "{timing}"
    );
    assert!(
        !timing.contains("decode") && !timing.contains("encode"),
        "{timing}"
    );
}

#[tokio::test]
async fn an_error_logs_its_code_and_counts_it() {
    let f = fixture(metered()).await;
    let (r, lines) = f.send_logged(get("/missing.png?w=10")).await;
    assert_eq!(r.status, 404);
    let (log, emf) = split(&lines);
    assert_eq!(
        (log["route"].as_str(), log["status"].as_u64()),
        (Some("transform"), Some(404))
    );
    assert_eq!(log["code"], "not-found");
    assert!(ms(log, "ms_store") > 0.0, "the store was asked: {log}");
    assert!(
        r.header("server-timing").is_none(),
        "errors are not image responses"
    );
    let directives = emf["_aws"]["CloudWatchMetrics"].as_array().unwrap();
    assert_eq!(directives.len(), 3);
    assert_eq!(directives[2]["Dimensions"], serde_json::json!([["Code"]]));
    assert_eq!(metric_names(emf, 2), ["Errors"]);
    assert_eq!(
        (emf["Code"].as_str(), emf["Errors"].as_u64()),
        (Some("not-found"), Some(1))
    );
    assert_eq!(
        (emf["Errors4xx"].as_u64(), emf["Errors5xx"].as_u64()),
        (Some(1), Some(0))
    );

    // Refused before any work: the parameter error names its route and code.
    let (r, lines) = f.send_logged(get("/cat.png?w=-3")).await;
    assert_eq!(r.status, 400);
    let (log, emf) = split(&lines);
    assert_eq!(
        (log["route"].as_str(), log["code"].as_str()),
        (Some("transform"), Some("invalid-parameter"))
    );
    assert_eq!(log["ms_store"], 0.0);
    assert_eq!(emf["Code"], "invalid-parameter");
}

#[tokio::test]
async fn every_route_has_its_name() {
    let f = fixture(metered()).await;
    let upload = upload_request("/up", multipart(&[("data", Some("x.png"), &png(4, 4))]));
    let upload_len = upload
        .headers()
        .get("content-length")
        .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
    for (req, route, status) in [
        (get("/"), "list", 200),
        (upload, "upload", 200),
        (
            delete_request("/up", r#"{"images":["x.png"]}"#),
            "delete",
            200,
        ),
        (get("/_/health"), "health", 200),
        (
            Request::options("/cat.png").body(Body::empty()).unwrap(),
            "preflight",
            405,
        ),
        (
            Request::put("/cat.png").body(Body::empty()).unwrap(),
            "other",
            405,
        ),
    ] {
        let (r, lines) = f.send_logged(req).await;
        assert_eq!(r.status, status, "{route}");
        let (log, emf) = split(&lines);
        assert_eq!(log["route"], route);
        assert_eq!(emf["Route"], route);
        if route == "upload" {
            // The multipart body's size, from the body itself when no header says it.
            let n = log["bytes_in"].as_u64().unwrap();
            assert!(n > 100, "{log}");
            if let Some(len) = upload_len {
                assert_eq!(n, len);
            }
        }
    }
}

#[tokio::test]
async fn no_metrics_line_without_a_namespace() {
    let f = fixture(Config::default()).await;
    let (_, lines) = f.send_logged(get("/cat.png")).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["msg"], "request");
}

/// Tokens, signatures and key ids never reach either line, whether the request is
/// accepted or refused.
#[tokio::test]
async fn no_credential_is_ever_logged() {
    let keys = parse_keys(KEY).unwrap();
    let f = fixture(Config {
        signing: SigningMode::Required,
        signing_keys: keys.clone(),
        write_tokens: WriteTokens::parse(TOKEN).unwrap(),
        ..metered()
    })
    .await;
    let pairs = image_service::http::query_pairs("w=16");
    let signed = sign(&keys, "cat.png", &pairs, Some(4_000_000_000)).unwrap();
    let signature = signed.rsplit_once("s=").unwrap().1.to_string();
    let bearer = |mut req: Request<Body>, token: &str| {
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        req
    };
    for (req, status) in [
        (bearer(get(&signed), TOKEN), 200),
        (bearer(get(&signed.replace("w=16", "w=17")), TOKEN), 403),
        (bearer(get("/"), TOKEN), 200),
        (bearer(get("/"), "tok-wrong-but-long-enough"), 403),
        (
            bearer(
                upload_request("/n", multipart(&[("data", Some("x.png"), &png(4, 4))])),
                TOKEN,
            ),
            200,
        ),
    ] {
        let (r, lines) = f.send_logged(req).await;
        assert_eq!(r.status, status);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            let text = line.to_string();
            for secret in [
                TOKEN,
                "tok-wrong-but-long-enough",
                &signature,
                "signing-secret",
            ] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
            assert!(!text.to_ascii_lowercase().contains("bearer"), "{text}");
        }
        let (log, _) = split(&lines);
        if log["route"] == "transform" {
            let query = log["query"].as_str().unwrap();
            assert!(
                query.contains("w=1") && query.contains("s=-") && query.contains("kid=-"),
                "{query}"
            );
        }
    }
}
