//! Credentials from Secrets Manager, against moto's Secrets Manager on the same
//! moto_server as the S3 cases: one read at start, a rotated value in force after the
//! TTL, a failed refresh keeping the last good values, a missing secret stopping the
//! start (the library call and both binaries), and the secret's tokens and origin
//! values enforced through the router.
//!
//! They need `IMAGE_SERVICE_TEST_S3_ENDPOINT` (the moto base URL). Without it they are
//! skipped with a message, unless `IMAGE_SERVICE_REQUIRE_S3=1` (set by `bin/test`),
//! which turns the missing endpoint into a failure.

use aws_sdk_secretsmanager::config::{Credentials, Region};
use aws_sdk_secretsmanager::Client;
use image_service::auth::tokens::{OriginSecrets, WriteTokens};
use image_service::secrets::{ReadCounts, SharedSecrets};
use image_service::Config;
use std::io::BufRead;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use test_support::*;

const ENV_TOKEN: &str = "tok-from-the-environment-01";
const TOKEN_1: &str = "tok-secret-first-0123456789";
const TOKEN_2: &str = "tok-secret-second-012345678";
const ORIGIN_1: &str = "origin-first-0123456789";
const ORIGIN_2: &str = "origin-second-0123456789";

fn endpoint() -> Option<String> {
    s3_endpoint("Secrets Manager case")
}

fn client(endpoint: &str) -> Client {
    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version_latest()
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .build();
    Client::from_conf(conf)
}

/// A new secret with this SecretString; returns its name.
async fn create_secret(client: &Client, value: &str) -> String {
    let name = format!("image-service/test-{}", uuid::Uuid::new_v4().simple());
    client
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("create the secret on moto");
    name
}

async fn put(client: &Client, name: &str, value: &str) {
    client
        .put_secret_value()
        .secret_id(name)
        .secret_string(value)
        .send()
        .await
        .expect("put a new secret value");
}

fn secret_json(token: &str, origin: &str, previous: &str) -> String {
    serde_json::json!({
        "writeTokens": token,
        "originSecret": origin,
        "previousOriginSecrets": previous,
    })
    .to_string()
}

fn config(secret: &str, ttl: Duration) -> Config {
    Config {
        secrets_id: Some(secret.to_string()),
        secrets_ttl: ttl,
        // Replaced by the secret's writeTokens.
        write_tokens: WriteTokens::parse(ENV_TOKEN).unwrap(),
        ..Config::default()
    }
}

/// `cat.png` served with `config` as given and the secret's values, which the test
/// watches being read.
struct WithSecrets {
    app: TestApp,
    secrets: Arc<SharedSecrets>,
}

async fn fixture(config: Config, client: Client) -> WithSecrets {
    let secrets = SharedSecrets::load(&config, client).await.unwrap();
    let app = TestApp::exact_with(config, |state| state.with_secrets(secrets.clone()));
    app.put("cat.png", png(8, 8), "image/png").await;
    WithSecrets { app, secrets }
}

impl WithSecrets {
    /// Status of a listing (token-protected) with this token and origin value.
    async fn list(&self, token: &str, origin: Option<&str>) -> u16 {
        let mut req = get("/");
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        if let Some(o) = origin {
            req.headers_mut()
                .insert("x-origin-verify", o.parse().unwrap());
        }
        self.app.send(req).await.status
    }

    /// Lets the values age past `ttl`, sends the request that starts a read, and waits
    /// for that read to end with `counts`.
    async fn next_read(&self, ttl: Duration, counts: ReadCounts) {
        tokio::time::sleep(ttl).await;
        self.list("tok-any-0123456789abcdef", None).await;
        self.wait_for(counts).await;
    }

    /// Waits (at most 10 s) until the background reads reach `counts`.
    async fn wait_for(&self, counts: ReadCounts) {
        for _ in 0..200 {
            if self.secrets.read_counts() == counts {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "read counts stayed {:?}, expected {counts:?}",
            self.secrets.read_counts()
        );
    }
}

#[tokio::test]
async fn the_secret_is_read_once_and_its_values_are_enforced() {
    let Some(endpoint) = endpoint() else { return };
    let sm = client(&endpoint);
    let name = create_secret(&sm, &secret_json(TOKEN_1, ORIGIN_1, ORIGIN_2)).await;
    let f = fixture(config(&name, Duration::from_secs(300)), sm).await;
    assert_eq!(
        f.secrets.read_counts(),
        ReadCounts {
            reads: 1,
            failures: 0
        }
    );

    // Origin values from the secret: the current and the previous one.
    assert_eq!(f.list(TOKEN_1, None).await, 403);
    assert_eq!(
        f.list(TOKEN_1, Some("origin-unknown-0123456789")).await,
        403
    );
    assert_eq!(f.list(TOKEN_1, Some(ORIGIN_1)).await, 200);
    assert_eq!(f.list(TOKEN_1, Some(ORIGIN_2)).await, 200);
    // Only the secret's tokens authorise: the environment's token was replaced.
    assert_eq!(f.list(ENV_TOKEN, Some(ORIGIN_1)).await, 403);
    let upload = |token: &str| {
        let mut req = upload_request("/s", multipart(&[("data", Some("x.png"), &png(4, 4))]));
        req.headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        req.headers_mut()
            .insert("x-origin-verify", ORIGIN_1.parse().unwrap());
        req
    };
    let r = f.app.send(upload(ENV_TOKEN)).await;
    assert_eq!((r.status, r.error_code().as_str()), (403, "invalid-token"));
    assert_eq!(f.app.send(upload(TOKEN_1)).await.status, 200);
    // Many requests, still one read (the TTL is long).
    for _ in 0..5 {
        f.list(TOKEN_1, Some(ORIGIN_1)).await;
    }
    assert_eq!(f.secrets.read_counts().reads, 1);
}

#[tokio::test]
async fn a_rotated_secret_takes_effect_after_the_ttl_and_a_failed_read_keeps_the_last_values() {
    let Some(endpoint) = endpoint() else { return };
    let sm = client(&endpoint);
    let name = create_secret(&sm, &secret_json(TOKEN_1, ORIGIN_1, "")).await;
    let ttl = Duration::from_millis(300);
    let f = fixture(config(&name, ttl), sm.clone()).await;
    assert_eq!(f.list(TOKEN_1, Some(ORIGIN_1)).await, 200);

    // Rotation: new token and origin value, the old origin value kept as previous.
    put(&sm, &name, &secret_json(TOKEN_2, ORIGIN_2, ORIGIN_1)).await;
    // Within the TTL the old values stay in force and nothing is read.
    assert_eq!(f.list(TOKEN_2, Some(ORIGIN_2)).await, 403);
    assert_eq!(f.secrets.read_counts().reads, 1);
    tokio::time::sleep(ttl).await;
    // The first request after the TTL starts the read and is answered with what is there.
    assert_eq!(f.list(TOKEN_1, Some(ORIGIN_1)).await, 200);
    f.wait_for(ReadCounts {
        reads: 2,
        failures: 0,
    })
    .await;
    assert_eq!(f.list(TOKEN_2, Some(ORIGIN_2)).await, 200);
    assert_eq!(
        f.list(TOKEN_2, Some(ORIGIN_1)).await,
        200,
        "previous origin value"
    );
    assert_eq!(
        f.list(TOKEN_1, Some(ORIGIN_2)).await,
        403,
        "old token retired"
    );
    // Dropping the previous value retires it too.
    put(&sm, &name, &secret_json(TOKEN_2, ORIGIN_2, "")).await;
    f.next_read(
        ttl,
        ReadCounts {
            reads: 3,
            failures: 0,
        },
    )
    .await;
    assert_eq!(f.list(TOKEN_2, Some(ORIGIN_1)).await, 403);

    // A broken value: the read fails, the last good values stay.
    put(&sm, &name, "{not json").await;
    f.next_read(
        ttl,
        ReadCounts {
            reads: 3,
            failures: 1,
        },
    )
    .await;
    assert_eq!(f.list(TOKEN_2, Some(ORIGIN_2)).await, 200);
    // A secret that is gone: the same.
    sm.delete_secret()
        .secret_id(&name)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    f.next_read(
        ttl,
        ReadCounts {
            reads: 3,
            failures: 2,
        },
    )
    .await;
    assert_eq!(f.list(TOKEN_2, Some(ORIGIN_2)).await, 200);
    assert_eq!(f.list(TOKEN_2, None).await, 403);
}

#[tokio::test]
async fn a_zero_ttl_never_reads_again() {
    let Some(endpoint) = endpoint() else { return };
    let sm = client(&endpoint);
    let name = create_secret(&sm, &secret_json(TOKEN_1, ORIGIN_1, "")).await;
    let f = fixture(config(&name, Duration::ZERO), sm.clone()).await;
    put(&sm, &name, &secret_json(TOKEN_2, ORIGIN_2, "")).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(f.list(TOKEN_1, Some(ORIGIN_1)).await, 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(f.secrets.read_counts().reads, 1);
    assert_eq!(f.list(TOKEN_2, Some(ORIGIN_2)).await, 403);
}

#[tokio::test]
async fn a_missing_or_unusable_secret_stops_the_start() {
    let Some(endpoint) = endpoint() else { return };
    let sm = client(&endpoint);
    let missing = format!("image-service/missing-{}", uuid::Uuid::new_v4().simple());
    let e = SharedSecrets::load(&config(&missing, Duration::ZERO), sm.clone())
        .await
        .unwrap_err();
    assert!(
        e.contains(&format!("IMAGE_SERVICE_SECRETS_ID={missing}"))
            && e.contains("cannot read the secret"),
        "{e}"
    );
    assert!(
        e.contains("ResourceNotFound"),
        "the service's own reason: {e}"
    );

    let broken = create_secret(&sm, r#"{"writeTokens": "short"}"#).await;
    let e = SharedSecrets::load(&config(&broken, Duration::ZERO), sm.clone())
        .await
        .unwrap_err();
    assert!(e.contains("writeTokens") && !e.contains("short\""), "{e}");

    // Deployed stages require an origin secret.
    let no_origin = create_secret(
        &sm,
        &serde_json::json!({"writeTokens": TOKEN_1}).to_string(),
    )
    .await;
    let strict = Config {
        require_origin_secret: true,
        ..config(&no_origin, Duration::ZERO)
    };
    let e = SharedSecrets::load(&strict, sm.clone()).await.unwrap_err();
    assert!(e.contains("originSecret"), "{e}");
    // The environment's origin values satisfy it too.
    let env_origin = Config {
        origin_secrets: OriginSecrets::parse(ORIGIN_2).unwrap(),
        ..strict
    };
    SharedSecrets::load(&env_origin, sm).await.unwrap();
}

/// The environment the binaries get: the standard AWS variables point the SDK at moto.
fn binary(name: &str, endpoint: &str, secret: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(name);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("IMAGE_SERVICE_SECRETS_ID", secret)
        .env("IMAGE_SERVICE_STORE", format!("fs:{}", dir.display()))
        .env("IMAGE_SERVICE_SEED_SAMPLES", "false")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A GET on a fresh connection, with the origin header or not; the status code.
fn http_status(addr: &str, path: &str, origin: Option<&str>) -> u16 {
    let headers: Vec<(&str, &str)> = origin.map(|o| ("X-Origin-Verify", o)).into_iter().collect();
    server::request(addr, "GET", path, &headers, b"").status
}

#[tokio::test]
async fn the_binaries_read_the_secret_before_serving() {
    let Some(endpoint) = endpoint() else { return };
    let sm = client(&endpoint);
    let dir = tempfile::tempdir().unwrap();
    let local = env!("CARGO_BIN_EXE_image-service");
    let lambda = env!("CARGO_BIN_EXE_image-service-lambda");

    // A missing secret: both binaries stop with a message naming it, the Lambda one
    // before it looks for the Runtime API.
    let missing = format!("image-service/missing-{}", uuid::Uuid::new_v4().simple());
    for (exe, args) in [
        (local, &["serve", "--addr", "127.0.0.1:0"][..]),
        (lambda, &[][..]),
    ] {
        let out = binary(exe, &endpoint, &missing, dir.path())
            .args(args)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.status.success(), "{exe}: {text}");
        assert!(
            text.contains(&format!(
                "IMAGE_SERVICE_SECRETS_ID={missing}: cannot read the secret"
            )),
            "{exe}: {text}"
        );
        assert!(!text.contains("AWS_LAMBDA_RUNTIME_API"), "{exe}: {text}");
    }

    // The local server with a secret: its origin value is required, its token works.
    let name = create_secret(&sm, &secret_json(TOKEN_1, ORIGIN_1, "")).await;
    let mut server =
        server::LocalServer::start(binary(local, &endpoint, &name, dir.path()).args([
            "serve",
            "--addr",
            "127.0.0.1:0",
        ]));
    let addr = server.addr.clone();
    let statuses = (
        http_status(&addr, "/_/health", None),
        http_status(&addr, "/_/health", Some(ORIGIN_1)),
    );
    // The request log lines are on stdout, one JSON object each.
    let mut logged = Vec::new();
    let mut line = String::new();
    while logged.len() < 2 && server.stdout().read_line(&mut line).unwrap() > 0 {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line.trim()) {
            if v["msg"] == "request" {
                logged.push(v);
            }
        }
        line.clear();
    }
    server.kill();
    assert_eq!(statuses, (403, 200));
    assert_eq!(logged.len(), 2);
    assert_eq!(
        (logged[0]["route"].as_str(), logged[0]["code"].as_str()),
        (Some("health"), Some("forbidden-origin"))
    );
    assert_eq!(logged[1]["status"], 200);
}
