//! `image-service serve`: the router on a local address, over the filesystem store
//! (default `fs:./data`, seeded with sample images when empty) or S3.

use image_service::secrets::{Secrets, SharedSecrets};
use image_service::{router, storage, AppState, Config};
use std::process::ExitCode;

const USAGE: &str = "\
usage: image-service serve [--addr HOST:PORT] [--store fs:<dir>|s3://<bucket>]
       image-service sign '<path?query>' [--expires-in SECONDS | --expires UNIX_TIME]

  serve         run the service
    --addr      address to listen on (env IMAGE_SERVICE_ADDR, default 127.0.0.1:8080)
    --store     where originals live (env IMAGE_SERVICE_STORE, default fs:./data)
  sign          print the signed path and query of a URL, signed with the first key of
                IMAGE_SERVICE_SIGNING_KEYS (keyid:secret,...)
    --expires-in / --expires
                the URL stops working then (covered by the signature)

Other settings come from IMAGE_SERVICE_* variables; see the README.";

struct Args {
    addr: Option<String>,
    store: Option<String>,
    /// `sign`: the path and query to sign.
    sign: Option<String>,
    expires: Option<u64>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        addr: None,
        store: None,
        sign: None,
        expires: None,
    };
    match args.next().as_deref() {
        Some("serve") | None => {}
        Some("sign") => {
            parsed.sign = Some(args.next().ok_or("sign needs a '<path?query>'")?);
        }
        Some("-h" | "--help" | "help") => return Err(String::new()),
        Some(other) => return Err(format!("unknown command '{other}'")),
    }
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (flag.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{name} needs a value"))
        };
        let seconds = |v: String| -> Result<u64, String> {
            v.parse()
                .map_err(|_| format!("{name} expects whole seconds, not {v:?}"))
        };
        match name.as_str() {
            "--addr" if parsed.sign.is_none() => parsed.addr = Some(value()?),
            "--store" if parsed.sign.is_none() => parsed.store = Some(value()?),
            "--expires-in" if parsed.sign.is_some() => {
                parsed.expires = Some(now().saturating_add(seconds(value()?)?))
            }
            "--expires" if parsed.sign.is_some() => parsed.expires = Some(seconds(value()?)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(parsed)
}

/// `image-service sign '<path?query>'`: one line, the signed path and query.
fn sign(secrets: &Secrets, url: &str, expires: Option<u64>) -> ExitCode {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let key = match image_service::keys::key_from_path(path) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let pairs = image_service::params::query::pairs(query);
    match image_service::auth::signing::sign(&secrets.signing_keys, &key, &pairs, expires) {
        Ok(signed) => {
            println!("{signed}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    // First, while this is the only thread: an AVIF decoder child decodes and exits here,
    // without the async runtime below.
    image_service::codecs::isolate::install();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

async fn run() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,aws_config=warn".into()),
        )
        .init();

    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}\n");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // With IMAGE_SERVICE_SECRETS_ID, one read of the secret before anything else.
    let secrets = match SharedSecrets::from_env(&config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("secrets error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(url) = &args.sign {
        return sign(&secrets.current(), url, args.expires);
    }
    // Local development: with no token configured the management routes stay open,
    // and the log says so.
    config.open_without_tokens = true;
    // The console is on locally unless IMAGE_SERVICE_CONSOLE says otherwise.
    config.console.get_or_insert(true);
    if secrets.current().write_tokens.is_empty() {
        tracing::warn!(
            "NO WRITE TOKENS: uploads, deletes and the listing are open to anyone who can reach this server. Set IMAGE_SERVICE_WRITE_TOKENS before exposing it."
        );
    }
    if let Some(s) = args.store {
        config.store = s;
    }
    let addr = args
        .addr
        .or_else(|| std::env::var("IMAGE_SERVICE_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:8080".into());

    let store = match storage::open(&config.store).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let seed = std::env::var("IMAGE_SERVICE_SEED_SAMPLES")
        .map(|v| v != "false" && v != "0")
        .unwrap_or(true);
    if seed && store.kind() == "fs" {
        match image_service::samples::seed_if_empty(store.as_ref()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!("seeded the empty store with {n} sample images"),
            Err(e) => tracing::warn!("could not seed sample images: {e}"),
        }
    }

    let listener = match tokio::net::TcpListener::bind(&addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            return ExitCode::from(1);
        }
    };
    let local = listener.local_addr().map(|a| a.to_string()).unwrap_or(addr);
    let results = match image_service::result_cache::ResultCache::open(&config).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(r) = &results {
        tracing::info!(results = %r.spec, "result cache on");
    }
    let app = router(
        AppState::new(store, config.clone())
            .with_secrets(secrets)
            .with_result_cache(results),
    );
    tracing::info!(store = %config.store, "image-service listening on http://{local}");
    // A line on stdout too, so scripts can wait for it.
    println!("listening on http://{local}");
    if config.console_enabled() {
        println!("console at http://{local}/_/console/");
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("error: server failed: {e}");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
