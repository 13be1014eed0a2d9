//! `image-service serve`: the router on a local address, over the filesystem store
//! (default `fs:./data`, seeded with sample images when empty) or S3.

use image_service::{router, storage, AppState, Config};
use std::process::ExitCode;

const USAGE: &str = "\
usage: image-service serve [--addr HOST:PORT] [--store fs:<dir>|s3://<bucket>]

  --addr   address to listen on (env IMAGE_SERVICE_ADDR, default 127.0.0.1:8080)
  --store  where originals live (env IMAGE_SERVICE_STORE, default fs:./data)

Other settings come from IMAGE_SERVICE_* variables; see the README.";

struct Args {
    addr: Option<String>,
    store: Option<String>,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    match args.next().as_deref() {
        Some("serve") | None => {}
        Some("-h" | "--help" | "help") => return Err(String::new()),
        Some(other) => return Err(format!("unknown command '{other}'")),
    }
    let mut parsed = Args {
        addr: None,
        store: None,
    };
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
        match name.as_str() {
            "--addr" => parsed.addr = Some(value()?),
            "--store" => parsed.store = Some(value()?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    Ok(parsed)
}

#[tokio::main]
async fn main() -> ExitCode {
    image_service::codecs::isolate::install();
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
    let app = router(AppState::new(store, config.clone()));
    tracing::info!(store = %config.store, "image-service listening on http://{local}");
    // A line on stdout too, so scripts can wait for it.
    println!("listening on http://{local}");
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
