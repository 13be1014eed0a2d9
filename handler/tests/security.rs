//! Signed URLs, bearer tokens, the origin secret, CORS and the request limits, through
//! `Router::oneshot`.
//! URLs here are signed by two independent implementations of the scheme, the README's
//! Python and JavaScript examples (tools/signing/), as well as by our own signer.

use axum::body::Body;
use axum::http::Request;
use image_service::auth::signing::{parse_keys, sign};
use image_service::auth::tokens::{OriginSecrets, WriteTokens};
use image_service::auth::SigningMode;
use image_service::config::CorsOrigins;
use image_service::storage::DynStore;
use image_service::Config;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use test_support::*;

const KEYS: &str = "current:secret-current-0123456789,previous:secret-previous-0123456789";
const TOKEN: &str = "tok-0123456789abcdef";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A store holding `cat.png` and `a b/ü.png`, served with `config` exactly as given
/// (no test-only opening of the management routes).
async fn fixture(config: Config) -> TestApp {
    let f = TestApp::exact(config);
    for key in ["cat.png", "a b/ü.png"] {
        f.put(key, png(64, 48), "image/png").await;
    }
    f
}

fn signing_config() -> Config {
    Config {
        signing: SigningMode::Required,
        signing_keys: parse_keys(KEYS).unwrap(),
        ..Config::default()
    }
}

/// Runs one of the independent signers: `python3 sign.py` or `node sign.mjs`.
fn sign_externally(program: &str, script: &str, key: &str, url: &str, exp: Option<u64>) -> String {
    let mut cmd = Command::new(program);
    cmd.arg(repo_root().join("tools/signing").join(script))
        .arg(key)
        .arg(url);
    if let Some(e) = exp {
        cmd.arg(e.to_string());
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (needed by this test): {e}"));
    assert!(
        out.status.success(),
        "{program} {script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn urls_signed_by_python_and_javascript_are_accepted() {
    let f = fixture(signing_config()).await;
    let key = "current:secret-current-0123456789";
    let url = "/a%20b/%C3%BC.png?w=32&bg=%23ff000080&f=contain&h=10&v=3";
    for (program, script) in [("python3", "sign.py"), ("node", "sign.mjs")] {
        for exp in [None, Some(now() + 3600)] {
            let signed = sign_externally(program, script, key, url, exp);
            let r = f.get(&signed).await;
            assert_eq!(r.status, 200, "{script} {signed}: {:?}", r.body);
            assert_eq!(r.header("content-type"), Some("image/png"));
            // The previous key still verifies while it is configured (rotation).
            let old = sign_externally(
                program,
                script,
                "previous:secret-previous-0123456789",
                url,
                exp,
            );
            assert_eq!(f.get(&old).await.status, 200, "{old}");
        }
    }
}

#[tokio::test]
async fn unsigned_tampered_and_expired_urls_are_refused() {
    let f = fixture(signing_config()).await;
    let keys = parse_keys(KEYS).unwrap();
    let pairs = image_service::http::query_pairs("w=32");
    let signed = sign(&keys, "cat.png", &pairs, Some(now() + 600)).unwrap();
    assert_eq!(f.get(&signed).await.status, 200);

    for url in [
        "/cat.png?w=32".to_string(),
        signed.replace("w=32", "w=33"),
        format!("{signed}&h=10"),
        signed.replace("kid=current", "kid=nobody"),
        signed.replace("s=", "s=x"),
    ] {
        let r = f.get(&url).await;
        assert_eq!(r.status, 403, "{url}");
        assert_eq!(r.error_code(), "invalid-signature", "{url}");
    }
    let expired = sign(&keys, "cat.png", &pairs, Some(now() - 1)).unwrap();
    let r = f.get(&expired).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "expired"));
    // Originals stay public unless configured otherwise.
    assert_eq!(f.get("/cat.png").await.status, 200);
}

#[tokio::test]
async fn signatures_do_not_change_the_variant_and_bound_its_cache_life() {
    let f = fixture(signing_config()).await;
    let keys = parse_keys(KEYS).unwrap();
    let pairs = image_service::http::query_pairs("w=32&fm=webp");
    let a = send(
        &f.app,
        get(&sign(&keys, "cat.png", &pairs, Some(now() + 120)).unwrap()),
    )
    .await;
    let b = send(&f.app, get(&sign(&keys, "cat.png", &pairs, None).unwrap())).await;
    assert_eq!((a.status, b.status), (200, 200));
    // Same variant, same ETag: `s`, `kid` and `exp` are not part of the cache key.
    assert_eq!(a.header("etag"), b.header("etag"));
    assert_eq!(a.body, b.body);
    let max_age: u64 = a
        .header("cache-control")
        .and_then(|c| c.strip_prefix("public, max-age="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(max_age <= 120 && max_age > 100, "{max_age}");
    assert_eq!(b.header("cache-control"), Some("public, max-age=2592000"));
}

#[tokio::test]
async fn originals_can_require_signatures_too() {
    let f = fixture(Config {
        sign_originals: true,
        ..signing_config()
    })
    .await;
    let r = f.get("/cat.png").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "invalid-signature")
    );
    let keys = parse_keys(KEYS).unwrap();
    let signed = sign(&keys, "cat.png", &[], None).unwrap();
    assert_eq!(f.get(&signed).await.status, 200);
}

fn with_token(mut req: Request<Body>, token: &str) -> Request<Body> {
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    req
}

async fn keys_in(store: &DynStore) -> Vec<String> {
    let mut keys: Vec<String> = store
        .list("", None, 1000)
        .await
        .unwrap()
        .objects
        .into_iter()
        .map(|o| o.key)
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn management_routes_need_a_valid_bearer_token() {
    let f = fixture(Config {
        write_tokens: WriteTokens::parse(TOKEN).unwrap(),
        ..Config::default()
    })
    .await;
    let before = keys_in(&f.store).await;
    let upload = || upload_request("/new", multipart(&[("data", Some("x.png"), &png(4, 4))]));
    let delete = || delete_request("/", r#"{"images":["cat.png"]}"#);

    let r = send(&f.app, upload()).await;
    assert_eq!((r.status, r.error_code().as_str()), (401, "unauthorized"));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    let r = send(&f.app, with_token(upload(), "tok-wrong-wrong-wrong")).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "invalid-token"));
    let r = send(&f.app, delete()).await;
    assert_eq!(r.status, 401);
    let r = send(&f.app, with_token(delete(), "Bearer")).await;
    assert_eq!(r.status, 403);
    let r = f.get("/").await;
    assert_eq!(r.status, 401);
    // Nothing changed by the refused requests; the body was never needed.
    assert_eq!(keys_in(&f.store).await, before);

    assert_eq!(send(&f.app, with_token(get("/"), TOKEN)).await.status, 200);
    assert_eq!(send(&f.app, with_token(upload(), TOKEN)).await.status, 200);
    assert_eq!(send(&f.app, with_token(delete(), TOKEN)).await.status, 200);
    assert_eq!(
        keys_in(&f.store).await,
        vec!["a b/ü.png".to_string(), "new/x.png".to_string()]
    );
    // Reading images never needs a token.
    assert_eq!(f.get("/new/x.png").await.status, 200);
}

#[tokio::test]
async fn listing_can_stay_public() {
    let f = fixture(Config {
        write_tokens: WriteTokens::parse(TOKEN).unwrap(),
        list_requires_token: false,
        ..Config::default()
    })
    .await;
    assert_eq!(f.get("/").await.status, 200);
}

#[tokio::test]
async fn without_tokens_a_deployment_refuses_writes() {
    // The Lambda's configuration: no tokens, open_without_tokens = false.
    let f = fixture(Config::default()).await;
    let r = send(
        &f.app,
        upload_request("/new", multipart(&[("data", Some("x.png"), &png(4, 4))])),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "writes-disabled")
    );
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("IMAGE_SERVICE_WRITE_TOKENS"));
    assert_eq!(keys_in(&f.store).await.len(), 2);
}

fn preflight(origin: &str, method: &str) -> Request<Body> {
    Request::options("/new")
        .header("origin", origin)
        .header("access-control-request-method", method)
        .header("access-control-request-headers", "authorization")
        .body(Body::empty())
        .unwrap()
}

fn with_origin(mut req: Request<Body>, origin: &str) -> Request<Body> {
    req.headers_mut().insert("origin", origin.parse().unwrap());
    req
}

/// Every value of the response's `Vary` headers.
fn vary(r: &TestResponse) -> Vec<String> {
    r.headers
        .get_all("vary")
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|v| v.trim().to_string())
        .collect()
}

#[tokio::test]
async fn cors_answers_only_configured_origins() {
    let f = fixture(Config {
        cors_origins: CorsOrigins::List(vec!["https://cms.example.com".into()]),
        open_without_tokens: true,
        ..Config::default()
    })
    .await;
    let r = send(&f.app, preflight("https://cms.example.com", "POST")).await;
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://cms.example.com")
    );
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("DELETE"));
    assert!(r
        .header("access-control-allow-headers")
        .unwrap()
        .contains("Authorization"));
    let r = send(&f.app, preflight("https://evil.example.com", "POST")).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (403, "origin-not-allowed")
    );
    assert_eq!(r.header("access-control-allow-origin"), None);

    let r = send(
        &f.app,
        with_origin(get("/cat.png"), "https://cms.example.com"),
    )
    .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://cms.example.com")
    );
    let r = send(
        &f.app,
        with_origin(get("/cat.png"), "https://evil.example.com"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);

    // Without configured origins there are no CORS headers at all.
    let f = fixture(Config::default()).await;
    let r = send(&f.app, preflight("https://cms.example.com", "POST")).await;
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_ne!(r.status, 204);
    let r = send(
        &f.app,
        with_origin(get("/cat.png"), "https://cms.example.com"),
    )
    .await;
    assert!(vary(&r).is_empty(), "{:?}", vary(&r));
}

/// A shared cache may hand any response to any later caller, so with a list every
/// response says it varies by Origin: with or without one, allowed or not, errors and
/// preflights included.
#[tokio::test]
async fn cors_list_sends_vary_origin_on_every_response() {
    let f = fixture(Config {
        cors_origins: CorsOrigins::List(vec!["https://cms.example.com".into()]),
        open_without_tokens: true,
        ..Config::default()
    })
    .await;
    for (what, req) in [
        ("no Origin", get("/cat.png")),
        (
            "allowed",
            with_origin(get("/cat.png?w=8"), "https://cms.example.com"),
        ),
        (
            "not allowed",
            with_origin(get("/cat.png"), "https://evil.example.com"),
        ),
        ("404", get("/missing.png")),
        ("listing", get("/")),
        ("preflight", preflight("https://cms.example.com", "POST")),
        (
            "refused preflight",
            preflight("https://evil.example.com", "POST"),
        ),
    ] {
        let r = send(&f.app, req).await;
        assert_eq!(
            vary(&r).iter().filter(|v| *v == "Origin").count(),
            1,
            "{what}: {:?}",
            r.headers
        );
    }
    let r = f.get("/cat.png").await;
    assert_eq!(r.header("access-control-allow-origin"), None);
}

/// With `*` every response, with or without an Origin header, carries
/// `Access-Control-Allow-Origin: *`: a copy cached from a request without Origin serves
/// a later cross-origin fetch.
#[tokio::test]
async fn cors_any_origin_answers_every_response_with_a_star() {
    let f = fixture(Config {
        cors_origins: CorsOrigins::Any,
        open_without_tokens: true,
        ..Config::default()
    })
    .await;
    for (what, req) in [
        ("no Origin", get("/cat.png")),
        ("transform without Origin", get("/cat.png?w=8")),
        (
            "an Origin",
            with_origin(get("/cat.png"), "https://any.example"),
        ),
        ("404", get("/missing.png")),
        ("listing", get("/")),
    ] {
        let r = send(&f.app, req).await;
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{what}");
        assert!(
            r.header("access-control-expose-headers")
                .is_some_and(|h| h.contains("ETag")),
            "{what}"
        );
        assert!(!vary(&r).contains(&"Origin".to_string()), "{what}");
    }
    let r = send(&f.app, preflight("https://any.example", "DELETE")).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
}

const ORIGIN_A: &str = "origin-current-0123456789";
const ORIGIN_B: &str = "origin-previous-0123456789";

fn with_origin_secret(mut req: Request<Body>, value: &str) -> Request<Body> {
    req.headers_mut()
        .insert("x-origin-verify", value.parse().unwrap());
    req
}

#[tokio::test]
async fn origin_secret_guards_every_route() {
    let f = fixture(Config {
        origin_secrets: OriginSecrets::parse(&format!("{ORIGIN_A},{ORIGIN_B}")).unwrap(),
        cors_origins: CorsOrigins::List(vec!["https://cms.example.com".into()]),
        write_tokens: WriteTokens::parse(TOKEN).unwrap(),
        ..Config::default()
    })
    .await;
    let requests = || {
        vec![
            ("health", get("/_/health"), 200),
            ("original", get("/cat.png"), 200),
            ("transform", get("/cat.png?w=8"), 200),
            ("listing", with_token(get("/"), TOKEN), 200),
            (
                "preflight",
                preflight("https://cms.example.com", "POST"),
                204,
            ),
            (
                "upload",
                with_token(
                    upload_request("/o", multipart(&[("data", Some("x.png"), &png(4, 4))])),
                    TOKEN,
                ),
                200,
            ),
            (
                "unknown route",
                Request::put("/cat.png").body(Body::empty()).unwrap(),
                405,
            ),
        ]
    };
    for (what, req, _) in requests() {
        let r = send(&f.app, req).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "forbidden-origin"),
            "{what} without X-Origin-Verify"
        );
        assert_eq!(r.header("access-control-allow-origin"), None, "{what}");
    }
    for wrong in [
        "origin-current-012345678",
        "origin-current-01234567890",
        "ORIGIN-CURRENT-0123456789",
        "",
    ] {
        let r = send(&f.app, with_origin_secret(get("/_/health"), wrong)).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (403, "forbidden-origin"),
            "{wrong:?}"
        );
    }
    // Both values work (rotation): the current one and the previous one.
    for value in [ORIGIN_A, ORIGIN_B] {
        for (what, req, status) in requests() {
            let r = send(&f.app, with_origin_secret(req, value)).await;
            assert_eq!(
                r.status,
                status,
                "{what} with {value}: {:?}",
                String::from_utf8_lossy(&r.body)
            );
        }
        let _ = f.store.delete_many(&["o/x.png".to_string()]).await;
    }
    // Off when none is configured.
    let f = fixture(Config::default()).await;
    assert_eq!(f.get("/_/health").await.status, 200);
}

#[tokio::test]
async fn limits_answer_clear_errors() {
    let f = fixture(Config {
        max_operations: 2,
        ..Config::default()
    })
    .await;
    let r = f.get("/cat.png?w=10&bl=1&ng=true").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "too-many-operations")
    );

    let f = fixture(Config {
        max_output_bytes: Some(200),
        ..Config::default()
    })
    .await;
    for url in ["/cat.png", "/cat.png?fm=png&ll=true"] {
        let r = f.get(url).await;
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (413, "output-too-large"),
            "{url}"
        );
    }
    assert_eq!(f.get("/cat.png?w=2&fm=gif").await.status, 200);

    let f = fixture(Config {
        max_output_dimension: 100,
        ..Config::default()
    })
    .await;
    let r = f.get("/cat.png?ex=40").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (413, "image-too-large")
    );

    let f = fixture(Config {
        // Already over when the request starts: the pipeline stops before its first step.
        deadline: Duration::ZERO,
        ..Config::default()
    })
    .await;
    let r = f.get("/cat.png?w=32&bl=3").await;
    assert_eq!((r.status, r.error_code().as_str()), (503, "timeout"));
}
