//! Uploads cut short by a crash (issue 15): the local server is killed with SIGKILL in
//! the middle of six-file uploads — while the body is still arriving, and at points
//! spread over the time the server takes to store the files — and started again on the
//! same store. Whatever a crash left, no object is ever a damaged copy, the client's
//! retry of the same upload is a 200 with every object byte for byte what was sent, and
//! other bytes under a stored name stay a 409. On the filesystem the temporary files a
//! crash leaves under `_/tmp` are swept at the next start once they are older than the
//! sweep age. Both stores: the filesystem and S3 (moto, as the storage contract).
//!
//! The server is the real binary (the crate's own build, `CARGO_BIN_EXE_image-service`,
//! so never a stale copy from a shared target dir). The S3 case needs
//! `IMAGE_SERVICE_TEST_S3_ENDPOINT`; without it it is skipped with a message, unless
//! `IMAGE_SERVICE_REQUIRE_S3=1` (set by `bin/test`), which makes that a failure.

use image_service::storage::fs::STALE_TMP_AGE;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};
use test_support::server::{begin_request, read_response, request, LocalServer};
use test_support::*;

const TOKEN: &str = "tok-interrupted-0123456789";
/// Kills at points spread over one upload's time, each on a folder of its own.
const ROUNDS: u32 = 8;

/// Where the server keeps originals, and how to look at it from outside.
enum Store {
    Fs(tempfile::TempDir),
    S3 { endpoint: String, bucket: String },
}

impl Store {
    fn spec(&self) -> String {
        match self {
            Store::Fs(dir) => format!("fs:{}", dir.path().display()),
            Store::S3 { bucket, .. } => format!("s3://{bucket}"),
        }
    }

    fn start(&self) -> LocalServer {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_image-service"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn")
            .env("IMAGE_SERVICE_SEED_SAMPLES", "false")
            .env("IMAGE_SERVICE_WRITE_TOKENS", TOKEN)
            .args(["serve", "--addr", "127.0.0.1:0", "--store", &self.spec()]);
        if let Store::S3 { endpoint, .. } = self {
            cmd.env("AWS_ENDPOINT_URL", endpoint)
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_REGION", "us-east-1")
                .env("AWS_EC2_METADATA_DISABLED", "true");
        }
        let mut server = LocalServer::start(&mut cmd);
        server.discard_stdout();
        server
    }
}

/// Six PNGs of noise (they do not compress, so storing them takes a while), other
/// bytes for each `seed`.
fn six_files(seed: u64) -> Vec<(String, Vec<u8>)> {
    (0..6u64)
        .map(|i| {
            let name = format!("part-{i}.png");
            (
                name,
                noisy_png_seeded(300 + 10 * i as u32, 260, seed * 31 + i),
            )
        })
        .collect()
}

fn body_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    files_body(&refs)
}

fn auth() -> String {
    format!("Bearer {TOKEN}")
}

fn upload_headers(auth: &str) -> [(&'static str, String); 2] {
    [
        ("Content-Type", multipart_content_type()),
        ("Authorization", auth.to_string()),
    ]
}

fn upload(server: &LocalServer, folder: &str, files: &[(String, Vec<u8>)]) -> TestResponse {
    let auth = auth();
    let headers = upload_headers(&auth);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    request(&server.addr, "POST", folder, &headers, &body_of(files))
}

/// How many of `files` are stored under `folder`; panics on any object that is not
/// byte for byte what was sent (a damaged or foreign object).
fn stored(server: &LocalServer, folder: &str, files: &[(String, Vec<u8>)]) -> usize {
    let mut n = 0;
    for (name, bytes) in files {
        let path = format!("{folder}/{name}");
        let r = request(&server.addr, "GET", &path, &[], b"");
        match r.status {
            404 => {}
            200 => {
                assert!(
                    r.body == *bytes,
                    "{path}: stored bytes differ from the upload's"
                );
                n += 1;
            }
            s => panic!("GET {path}: {s} {}", r.text()),
        }
    }
    n
}

/// The retry rule after a crash: the same upload again is a 200 and stores everything,
/// a second retry is a 200 too, and other bytes under one of the names are a 409 that
/// changes nothing.
fn retry_succeeds(server: &LocalServer, folder: &str, files: &[(String, Vec<u8>)]) {
    let r = upload(server, folder, files);
    assert_eq!(r.status, 200, "retry of {folder}: {}", r.text());
    assert_eq!(
        r.json()["ETags"].as_array().map(Vec::len),
        Some(files.len())
    );
    assert_eq!(stored(server, folder, files), files.len(), "{folder}");
    let again = upload(server, folder, files);
    assert_eq!(again.status, 200, "{folder}: {}", again.text());
    assert_eq!(again.json()["ETags"], r.json()["ETags"], "{folder}");
    let mut other = files.to_vec();
    other[2].1 = noisy_png_seeded(40, 40, 0xbad);
    let r = upload(server, folder, &other);
    assert_eq!(r.status, 409, "{folder}: {}", r.text());
    assert_eq!(r.error_code(), "already-exists");
    assert_eq!(stored(server, folder, files), files.len(), "{folder}");
}

/// Runs the whole scenario on `store`; `tmp` is the fs store's `_/tmp`.
fn interrupted_uploads(store: &Store, tmp: Option<&Path>) {
    let mut server = store.start();

    // One upload to the end: how long storing six files takes here.
    let files = six_files(0);
    let t0 = Instant::now();
    let r = upload(&server, "/whole", &files);
    let took = t0.elapsed();
    assert_eq!(r.status, 200, "{}", r.text());

    // Killed while the body is still arriving: nothing is stored.
    let files = six_files(1);
    let body = body_of(&files);
    let auth = auth();
    let headers = upload_headers(&auth);
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let mut conn = begin_request(&server.addr, "POST", "/cut", &headers, body.len());
    for chunk in body[..body.len() / 2].chunks(64 * 1024) {
        conn.write_all(chunk).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    assert!(
        read_response(conn).is_err(),
        "a killed server answered a half-sent upload"
    );
    server = store.start();
    assert_eq!(stored(&server, "/cut", &files), 0);
    retry_succeeds(&server, "/cut", &files);

    // Killed at points spread over the time storing takes, once the whole body is sent:
    // before the first write, between writes, after the last.
    let mut left = Vec::new();
    for round in 0..ROUNDS {
        let folder = format!("/kill-{round}");
        let files = six_files(10 + u64::from(round));
        let body = body_of(&files);
        let mut conn = begin_request(&server.addr, "POST", &folder, &headers, body.len());
        conn.write_all(&body).unwrap();
        std::thread::sleep(took * round / ROUNDS);
        server.kill();
        drop(conn);
        server = store.start();
        left.push(stored(&server, &folder, &files));
        retry_succeeds(&server, &folder, &files);
    }
    println!("files stored when the server was killed, per round: {left:?} of 6");

    // What a crash that stored some of the files leaves, made for sure (the kills above
    // land where they land): the retry of the whole upload is still a 200.
    let files = six_files(99);
    let r = upload(&server, "/half", &files[..3]);
    assert_eq!(r.status, 200, "{}", r.text());
    retry_succeeds(&server, "/half", &files);

    let Some(tmp) = tmp else { return };
    // Temporary files: whatever the kills left, plus one written now as a crash would
    // leave it. Older than the sweep age, they are gone after a restart; a young one
    // may be a write in progress of another process and stays.
    server.kill();
    std::fs::write(tmp.join("crash-leftover"), b"half an image").unwrap();
    let old = SystemTime::now() - STALE_TMP_AGE - Duration::from_secs(60);
    let leftovers: Vec<_> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    println!("temporary files before the restart: {}", leftovers.len());
    for path in &leftovers {
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(old).unwrap();
    }
    std::fs::write(tmp.join("young"), b"a write in progress").unwrap();
    server = store.start();
    let names: Vec<String> = std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["young"], "old temporary files survived the restart");
    // And nothing was lost by the sweep.
    assert_eq!(stored(&server, "/half", &files), files.len());
}

#[test]
fn fs_store_survives_kills_mid_upload() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("_/tmp");
    let store = Store::Fs(dir);
    interrupted_uploads(&store, Some(&tmp));
}

#[test]
fn s3_store_survives_kills_mid_upload() {
    let Some(endpoint) = s3_endpoint("S3 interrupted-upload case") else {
        return;
    };
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let bucket = format!("interrupted-{}-{nanos}", std::process::id());
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let r = request(host, "PUT", &format!("/{bucket}"), &[], b"");
    assert_eq!(r.status, 200, "create bucket {bucket}: {}", r.text());
    interrupted_uploads(&Store::S3 { endpoint, bucket }, None);
}
