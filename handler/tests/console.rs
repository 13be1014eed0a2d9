//! The console (issue 19) through the router: its page and modules with their headers,
//! the on/off setting, `GET /_/params`, `POST /_/sign` (token, signing on, off, and
//! required without a key), and the parameter builder's URLs checked against the
//! service's own parser (the builder's JavaScript run under node).

use axum::body::Body;
use axum::http::Request;
use image_service::auth::signing;
use image_service::config::credentials::{parse_keys, WriteTokens};
use image_service::config::SigningMode;
use image_service::http::console::{asset_names, CONTENT_SECURITY_POLICY};
use image_service::params::docs::EXAMPLES;
use image_service::params::{Params, KEYS};
use image_service::samples::sample;
use image_service::Config;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;
use test_support::*;

const TOKEN: &str = "console-token-0123456789";

fn on() -> Config {
    Config {
        console: Some(true),
        watermarks_dir: repo_root().join("assets/watermarks"),
        ..Config::default()
    }
}

fn with_token(config: Config) -> Config {
    Config {
        write_tokens: WriteTokens::parse(TOKEN).unwrap(),
        ..config
    }
}

fn signing_on(config: Config) -> Config {
    Config {
        signing: SigningMode::Required,
        signing_keys: parse_keys("k1:0123456789abcdef-console").unwrap(),
        ..config
    }
}

fn sign_request(body: &Value, token: Option<&str>) -> Request<Body> {
    let mut req = Request::post("/_/sign")
        .header("content-type", "application/json")
        .header("host", "images.test");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    req.body(Body::from(body.to_string())).unwrap()
}

fn assert_hardened(r: &TestResponse, what: &str) {
    assert_eq!(
        r.header("content-security-policy"),
        Some(CONTENT_SECURITY_POLICY),
        "{what}"
    );
    assert_eq!(r.header("cache-control"), Some("no-store"), "{what}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
}

#[tokio::test]
async fn page_and_modules_are_served_with_strict_headers() {
    let f = TestApp::open(on());
    let r = f.get("/_/console").await;
    assert_eq!((r.status, r.header("location")), (308, Some("console/")));
    assert_hardened(&r, "redirect");

    let page = f.get("/_/console/").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page
        .text()
        .contains(r#"<script type="module" src="console.js">"#));
    assert_hardened(&page, "page");

    let names: Vec<&str> = asset_names().collect();
    assert!(names.len() >= 7, "{names:?}");
    for name in names {
        let r = f.get(&format!("/_/console/{name}")).await;
        assert_eq!(r.status, 200, "{name}");
        let expected = match name.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            other => panic!("unexpected asset type {other:?}"),
        };
        assert_eq!(r.header("content-type"), Some(expected), "{name}");
        assert!(!r.body.is_empty(), "{name}");
        assert_hardened(&r, name);
        let head = f
            .send(
                Request::head(format!("/_/console/{name}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(head.status, 200, "HEAD {name}");
    }

    // The policy lets the page load its own files only, and nothing runs inline.
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(CONTENT_SECURITY_POLICY.contains(part), "{part}");
    }
    assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    assert!(!page.text().contains("<script>") && !page.text().contains(" style="));

    let missing = f.get("/_/console/secrets.js").await;
    assert_eq!(
        (missing.status, missing.error_code().as_str()),
        (404, "not-found")
    );
    assert_hardened(&missing, "a missing file");
}

#[tokio::test]
async fn off_answers_404_on_every_console_route() {
    let on_paths = TestApp::open(with_token(on()));
    for config in [
        Config::default(),
        Config {
            console: Some(false),
            ..on()
        },
    ] {
        let f = TestApp::open(with_token(config));
        for path in [
            "/_/console",
            "/_/console/",
            "/_/console/console.js",
            "/_/params",
        ] {
            let r = f.get(path).await;
            assert_eq!(
                (r.status, r.error_code().as_str()),
                (404, "not-found"),
                "{path}"
            );
            // The same path answers where the console is on.
            assert_ne!(on_paths.get(path).await.status, 404, "{path}");
        }
        let r = f
            .send(sign_request(&json!({"paths": []}), Some(TOKEN)))
            .await;
        assert_eq!((r.status, r.error_code().as_str()), (404, "not-found"));
        let r = on_paths
            .send(sign_request(&json!({"paths": []}), Some(TOKEN)))
            .await;
        assert_eq!(r.status, 200);
    }
    // Health is not part of the console.
    assert_eq!(TestApp::new().get("/_/health").await.status, 200);
}

#[tokio::test]
async fn params_json_is_the_key_table() {
    let f = TestApp::open(on());
    let r = f.get("/_/params").await;
    assert_eq!(r.status, 200);
    assert_hardened(&r, "/_/params");
    let j = r.json();
    let keys = j["keys"].as_array().unwrap();
    assert_eq!(keys.len(), KEYS.len());
    for (entry, spec) in keys.iter().zip(KEYS) {
        assert_eq!(entry["name"], spec.name);
        assert_eq!(entry["doc"], spec.doc);
        assert_eq!(entry["group"], spec.group.title());
        assert_eq!(entry["kindLabel"], spec.kind.label());
        assert_eq!(entry["bare"].as_str(), spec.bare);
        let example = EXAMPLES.iter().find(|(k, _)| *k == spec.name).unwrap().1;
        assert_eq!(entry["example"], example);
        assert!(entry["kind"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '-'));
    }
    let key = |name: &str| keys.iter().find(|k| k["name"] == name).unwrap();
    let values = |name: &str| -> Vec<String> {
        key(name)["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(key("w")["kind"], "integer");
    assert!(key("w")["values"].is_null());
    assert_eq!(key("flip")["kind"], "boolean");
    assert_eq!(key("ex")["kind"], "integer-or-object");
    assert!(
        values("fm").contains(&"webp".to_string()) && values("fm").contains(&"auto".to_string())
    );
    assert!(!values("pc").contains(&"lab".to_string()));
    assert!(values("f").contains(&"cover".to_string()));
    assert!(values("wm").contains(&"image-service.png".to_string()));
    assert!(!values("wm").iter().any(|w| w.ends_with(".md")));

    let presets = j["presets"].as_array().unwrap();
    let thumb = presets.iter().find(|p| p["name"] == "thumb").unwrap();
    assert_eq!(thumb["query"], "f=cover&h=200&w=200");
    let d = &j["deployment"];
    assert_eq!(d["signing"], "off");
    assert_eq!(d["routes"], json!(["list", "get", "upload", "delete"]));
    assert_eq!(d["maxUploadBytes"], 10 * 1024 * 1024);
    let signed = TestApp::open(signing_on(on()))
        .get("/_/params")
        .await
        .json();
    assert_eq!(signed["deployment"]["signing"], "required");
}

#[tokio::test]
async fn sign_needs_a_write_token() {
    let f = TestApp::exact(with_token(signing_on(on())));
    let body = json!({"paths": ["/cat.jpg?w=10"]});
    let r = f.send(sign_request(&body, None)).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "unauthorized"));
    assert_hardened(&r, "401");
    let r = f
        .send(sign_request(&body, Some("not-the-token-0123456789")))
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "invalid-token"));
    assert_eq!(f.send(sign_request(&body, Some(TOKEN))).await.status, 200);

    // A deployed stage without tokens refuses it, as it refuses uploads.
    let f = TestApp::exact(signing_on(on()));
    let r = f.send(sign_request(&body, Some(TOKEN))).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "writes-disabled")
    );
}

#[tokio::test]
async fn signed_urls_are_answered_and_unsigned_ones_refused() {
    let f = TestApp::exact(with_token(signing_on(on())));
    f.put(
        "albums/cat one.jpg",
        sample("progressive_3.jpg").to_vec(),
        "image/jpeg",
    )
    .await;
    let path = "/albums/cat%20one.jpg?w=120&fm=webp";
    let unsigned = f.get(path).await;
    assert_eq!(
        (unsigned.status, unsigned.error_code().as_str()),
        (403, "invalid-signature")
    );

    let r = f
        .send(sign_request(
            &json!({"path": path, "expiresIn": 600}),
            Some(TOKEN),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(
        (j["signing"].as_str(), j["signed"].as_bool()),
        (Some("required"), Some(true))
    );
    let signed = j["urls"][0]["path"].as_str().unwrap();
    assert!(
        signed.contains("kid=k1") && signed.contains("&s="),
        "{signed}"
    );
    assert_eq!(j["url"], format!("http://images.test{signed}"));
    let expires = j["expires"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!((now + 590..=now + 610).contains(&expires), "{expires}");
    assert!(signed.contains(&format!("exp={expires}")));

    let image = f.get(signed).await;
    assert_eq!(image.status, 200, "{}", image.text());
    assert_eq!(image.header("content-type"), Some("image/webp"));
    assert_eq!(decode(&image.body).width(), 120);
    // One changed parameter and the signature no longer holds.
    let tampered = f.get(&signed.replace("w=120", "w=121")).await;
    assert_eq!(tampered.status, 403);

    // Many at once, in order (the console signs a page of thumbnails in one request).
    let many: Vec<String> = (1..=3).map(|w| format!("/a.jpg?w={w}")).collect();
    let j = f
        .send(sign_request(&json!({"paths": many}), Some(TOKEN)))
        .await
        .json();
    let urls = j["urls"].as_array().unwrap();
    assert_eq!(urls.len(), 3);
    let keys = parse_keys("k1:0123456789abcdef-console").unwrap();
    for (i, u) in urls.iter().enumerate() {
        let p = u["path"].as_str().unwrap();
        assert!(p.contains(&format!("w={}", i + 1)), "{p}");
        let (_, q) = p.split_once('?').unwrap();
        let pairs = image_service::params::query::pairs(q);
        assert!(signing::verify(&keys, "a.jpg", &pairs, 0).is_ok(), "{p}");
    }
    assert!(j.get("url").is_none(), "url only for one path");
}

#[tokio::test]
async fn signing_off_gives_the_urls_unsigned() {
    let f = TestApp::exact(with_token(on()));
    let j = f
        .send(sign_request(
            &json!({"paths": ["/albums/a%20b.jpg?w=10&bg=%23ff0000"]}),
            Some(TOKEN),
        ))
        .await
        .json();
    assert_eq!(
        (j["signing"].as_str(), j["signed"].as_bool()),
        (Some("off"), Some(false))
    );
    assert_eq!(j["urls"][0]["path"], "/albums/a%20b.jpg?w=10&bg=%23ff0000");
    assert_eq!(
        j["url"],
        "http://images.test/albums/a%20b.jpg?w=10&bg=%23ff0000"
    );
    assert!(j["urls"][0].get("cli").is_none());
    assert!(j["expires"].is_null());
}

#[tokio::test]
async fn signing_required_without_a_key_answers_cli_commands() {
    // Possible with a secret that lacks signingKeys: the keys in force are none.
    let config = Config {
        signing: SigningMode::Required,
        ..with_token(on())
    };
    let f = TestApp::exact(config);
    let j = f
        .send(sign_request(
            &json!({"path": "/cat.jpg?w=10", "expiresIn": 60}),
            Some(TOKEN),
        ))
        .await
        .json();
    assert_eq!(
        (j["signing"].as_str(), j["signed"].as_bool()),
        (Some("required"), Some(false))
    );
    assert_eq!(
        j["urls"][0]["cli"],
        "image-service sign '/cat.jpg?w=10' --expires-in 60"
    );
    assert!(j["message"]
        .as_str()
        .unwrap()
        .contains("IMAGE_SERVICE_SIGNING_KEYS"));
}

#[tokio::test]
async fn sign_checks_what_it_signs_like_a_get() {
    let f = TestApp::exact(with_token(signing_on(on())));
    for (body, status, code, mentions) in [
        (
            json!({"path": "/cat.jpg?w=-3"}),
            400,
            "invalid-parameter",
            "'w'",
        ),
        (
            json!({"path": "/cat.jpg?pc=lab"}),
            400,
            "invalid-parameter",
            "pc",
        ),
        (
            json!({"path": "/cat.jpg?preset=nope"}),
            400,
            "invalid-parameter",
            "preset",
        ),
        (json!({"path": "/_/x.jpg?w=1"}), 400, "reserved-key", "_/"),
        (json!({"path": "/a//b.jpg"}), 400, "invalid-key", "empty"),
        (
            json!({"path": "https://evil.example/cat.jpg"}),
            400,
            "invalid-body",
            "start with '/'",
        ),
        (
            json!({"path": "/a.jpg", "paths": ["/b.jpg"]}),
            400,
            "invalid-body",
            "either",
        ),
        (json!({}), 400, "invalid-body", "either"),
        (
            json!({"paths": ["/a.jpg"], "expiresIn": 0}),
            400,
            "invalid-body",
            "expiresIn",
        ),
        (json!({"paths": "/a.jpg"}), 400, "invalid-body", "paths"),
        (
            json!({"paths": ["/a.jpg"], "extra": 1}),
            400,
            "invalid-body",
            "extra",
        ),
        (
            json!({"paths": vec!["/a.jpg"; 1001]}),
            400,
            "invalid-body",
            "1000",
        ),
    ] {
        let r = f.send(sign_request(&body, Some(TOKEN))).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (status, code),
            "{body}"
        );
        let message = r.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(mentions), "{body}: {message}");
    }
    let r = f
        .send(
            Request::post("/_/sign")
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(Body::from("not json"))
                .unwrap(),
        )
        .await;
    assert_eq!((r.status, r.error_code().as_str()), (400, "invalid-body"));
}

// ---- the builder's URLs against the parser ------------------------------------------

/// Queries as a URL carries them, chosen so that writing values or keys unescaped
/// breaks them: `#` starts a fragment, `&` splits a value, `+` becomes a space, `%41` is `A`.
const TRICKY: &[(&str, &str)] = &[
    ("photos/cat.jpg", "w=10&h=10&f=contain&bg=%23ff0000"),
    ("photos/cat.jpg", "jc=%5B%22a%26b.png%22%5D"),
    (
        "photos/cat.jpg",
        "bo=%7B%22operator%22%3A%22and%22%2C%22operand%22%3A%22a%2Bb.png%22%7D",
    ),
    ("albums/a b#1?.jpg", "w=10"),
    ("100%41/ü+x.png", "w=10&p=right+top"),
];

/// The store key and canonical query of a path a browser would request: the fragment
/// is not sent, the path is decoded once, the query parsed as the service parses it.
fn as_requested(path: &str) -> Result<(String, String), String> {
    let sent = path.split('#').next().unwrap();
    let (p, q) = sent.split_once('?').unwrap_or((sent, ""));
    let key = image_service::keys::key_from_path(p).map_err(|e| e.to_string())?;
    let params = Params::parse(q).map_err(|e| e.to_string())?;
    Ok((key, params.canonical()))
}

fn run_builder(table: &Value, cases: &[(String, String)], encoder: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.json");
    let cases: Vec<Value> = cases
        .iter()
        .map(|(key, query)| json!({"key": key, "query": query}))
        .collect();
    std::fs::write(
        &input,
        json!({"table": table, "cases": cases, "encoder": encoder}).to_string(),
    )
    .unwrap();
    let out = Command::new("node")
        .arg(console_dir().join("builder-cases.mjs"))
        .arg(&input)
        .output()
        .expect("node must be installed (the console's JavaScript is checked with it)");
    assert!(
        out.status.success(),
        "builder-cases.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("console")
}

/// Which cases the builder's paths get wrong: (case, why).
fn mismatches(cases: &[(String, String)], paths: &[String]) -> Vec<(usize, String)> {
    assert_eq!(cases.len(), paths.len());
    let mut wrong = Vec::new();
    for (i, ((key, query), path)) in cases.iter().zip(paths).enumerate() {
        let wanted = Params::parse(query).unwrap().canonical();
        match as_requested(path) {
            Ok((k, canonical)) if k == *key && canonical == wanted => {}
            Ok((k, canonical)) => {
                wrong.push((i, format!("{path}: {k} {canonical} ≠ {key} {wanted}")))
            }
            Err(e) => wrong.push((i, format!("{path}: {e}"))),
        }
    }
    wrong
}

#[tokio::test]
async fn builder_urls_parse_to_the_canonical_form_of_every_example() {
    let f = TestApp::open(on());
    let table = f.get("/_/params").await.json();
    // Every key's README example, from the JSON the console reads, then the tricky ones.
    let mut cases: Vec<(String, String)> = table["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                "photos/cat.jpg".to_string(),
                k["example"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(cases.len(), KEYS.len());
    let examples = cases.len();
    cases.extend(TRICKY.iter().map(|(k, q)| (k.to_string(), q.to_string())));

    let paths = run_builder(&table, &cases, "builder");
    let wrong = mismatches(&cases, &paths);
    assert!(
        wrong.is_empty(),
        "the builder's URLs do not parse back: {wrong:#?}"
    );
    // Each example's key is in its path (the builder dropped none).
    for ((_, query), path) in cases.iter().zip(&paths).take(examples) {
        let first = query.split(['=', '&']).next().unwrap();
        assert!(
            path.contains(&format!("?{first}")) || path.contains(&format!("&{first}")),
            "{path}"
        );
    }

    // The same check catches a wrong generator: values and keys written unescaped break
    // every tricky case.
    let raw = run_builder(&table, &cases, "raw");
    let wrong: Vec<usize> = mismatches(&cases, &raw)
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    let tricky: Vec<usize> = (examples..cases.len()).collect();
    assert_eq!(
        wrong
            .iter()
            .filter(|i| **i >= examples)
            .copied()
            .collect::<Vec<_>>(),
        tricky,
        "every tricky case must fail with the raw generator"
    );
}

#[test]
fn the_builders_own_tests_pass_under_node() {
    let out = Command::new("node")
        .arg("--test")
        .arg(console_dir().join("builder.test.mjs"))
        .output()
        .expect("node must be installed");
    assert!(
        out.status.success(),
        "node --test failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("# fail 0") && !text.contains("# pass 0"),
        "{text}"
    );
}
