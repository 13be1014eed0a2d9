//! A bounded load test against `BASE_URL`: `LOAD_CLIENTS` concurrent clients (default 8)
//! send `LOAD_REQUESTS` requests in all (default 600), mixing transforms (60 %),
//! originals (25 %), uploads (10 %) and listings (5 %). Prints throughput, p50/p99
//! latency per kind and, with `LOAD_SERVER_PID`, the server's peak RSS. Fails on any
//! 5xx or unexpected status. Everything it uploads lives under one unique prefix,
//! removed at the end.

use integration_tests::{png, samples, Service, Settings};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Transform,
    Original,
    Upload,
    List,
}

const TRANSFORMS: &[&str] = &[
    "w=300",
    "w=200&h=200&f=cover&fm=webp",
    "w=640&fm=avif&q=50",
    "w=120&bl=2",
    "w=400&r=30&bg=white",
    "w=250&fm=png",
    "w=500&sh=1&q=70",
    "w=64&fm=gif",
];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Some(settings) = Settings::from_env() else {
        // `cargo test` runs this target too: without a service it has nothing to load.
        println!("load: BASE_URL is not set, skipped. Run bin/load-test [BASE_URL].");
        let required = std::env::var("INTEGRATION_REQUIRE_BASE_URL").is_ok_and(|v| v == "1");
        return if required {
            std::process::ExitCode::from(2)
        } else {
            std::process::ExitCode::SUCCESS
        };
    };
    let clients = env_usize("LOAD_CLIENTS", 8);
    let total = env_usize("LOAD_REQUESTS", 600);
    let svc = Arc::new(Service::new(settings));
    let sources = svc.path("src");
    svc.upload(
        &sources,
        &[
            ("data", Some("cat.jpg"), samples::CAT_JPG),
            ("data", Some("bug.png"), samples::BUG_PNG),
        ],
    )
    .await
    .expect(200);

    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..clients {
        let svc = svc.clone();
        let next = next.clone();
        handles.push(tokio::spawn(async move {
            let mut results: Vec<(Kind, u16, Duration)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break results;
                }
                let source = if i.is_multiple_of(2) {
                    "cat.jpg"
                } else {
                    "bug.png"
                };
                let (kind, expected, t0, res) = match i % 20 {
                    0..=11 => {
                        let q = TRANSFORMS[i % TRANSFORMS.len()];
                        let t0 = Instant::now();
                        let r = svc.get(&format!("{}/{source}?{q}", svc.path("src"))).await;
                        (Kind::Transform, 200, t0, r)
                    }
                    12..=16 => {
                        let t0 = Instant::now();
                        let r = svc.get(&format!("{}/{source}", svc.path("src"))).await;
                        (Kind::Original, 200, t0, r)
                    }
                    17 | 18 => {
                        let img = png(64, 48, i as u8);
                        let name = format!("u{i}.png");
                        let t0 = Instant::now();
                        let r = svc
                            .upload(&svc.path("up"), &[("data", Some(name.as_str()), &img)])
                            .await;
                        (Kind::Upload, 200, t0, r)
                    }
                    _ => {
                        let t0 = Instant::now();
                        let r = svc
                            .get(&format!("/?prefix={}/&max-keys=50", svc.prefix))
                            .await;
                        (Kind::List, 200, t0, r)
                    }
                };
                let elapsed = t0.elapsed();
                if res.status != expected {
                    eprintln!(
                        "load: {kind:?} {} answered {} (expected {expected}): {}",
                        res.url,
                        res.status,
                        String::from_utf8_lossy(&res.body[..res.body.len().min(300)])
                    );
                }
                results.push((kind, res.status, elapsed));
            }
        }));
    }
    let mut results = Vec::new();
    for h in handles {
        results.extend(h.await.expect("a load client panicked"));
    }
    let wall = started.elapsed();
    let cleaned = svc.cleanup().await;

    println!(
        "\nload: {} requests, {clients} concurrent clients, {:.1} s, {:.1} requests/s",
        results.len(),
        wall.as_secs_f64(),
        results.len() as f64 / wall.as_secs_f64()
    );
    println!("| kind | requests | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    for kind in [Kind::Transform, Kind::Original, Kind::Upload, Kind::List] {
        let mut d: Vec<Duration> = results
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, _, d)| *d)
            .collect();
        d.sort();
        println!(
            "| {kind:?} | {} | {:.1} | {:.1} | {:.1} |",
            d.len(),
            percentile(&d, 0.5),
            percentile(&d, 0.99),
            percentile(&d, 1.0)
        );
    }
    if let Ok(pid) = std::env::var("LOAD_SERVER_PID") {
        match pid
            .parse()
            .ok()
            .and_then(|pid| test_support::peak_rss_mb(Some(pid)))
        {
            Some(mb) => println!("server peak RSS: {mb:.0} MB"),
            None => println!("server peak RSS: unknown (pid {pid})"),
        }
    }
    let server_errors = results.iter().filter(|(_, s, _)| *s >= 500).count();
    let unexpected = results.iter().filter(|(_, s, _)| *s != 200).count();
    println!(
        "5xx: {server_errors}, other unexpected statuses: {}",
        unexpected - server_errors
    );
    if let Err(e) = cleaned {
        eprintln!("load: cleanup failed: {e}");
        return std::process::ExitCode::FAILURE;
    }
    if unexpected > 0 {
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
