//! The end-to-end suite: the public HTTP contract of the service at `BASE_URL`.
//!
//! Its own runner (not libtest) so the whole run shares one unique prefix and one
//! teardown: originals are uploaded under `{prefix}/src/` first, every test writes
//! below `{prefix}/`, and the prefix is emptied at the end whatever failed.
//!
//! `cargo test -p integration-tests --test e2e [-- FILTER...]`; without `BASE_URL` it
//! skips (and fails when `INTEGRATION_REQUIRE_BASE_URL=1`). `bin/integration-test`
//! starts local targets and sets both.

mod cache;
mod contract;
mod edge;
mod large;
mod transforms;

use integration_tests::{samples, Service, Settings};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub type Svc = Arc<Service>;
type TestFn = fn(Svc) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// One test: name, function, whether it needs a deployed stage.
pub struct Test {
    pub name: &'static str,
    pub run: TestFn,
    pub edge_only: bool,
}

/// `test!(module::function)` or `test!(edge module::function)`.
#[macro_export]
macro_rules! test {
    (edge $($path:ident)::+) => {
        $crate::Test { name: stringify!($($path)::+), run: |s| Box::pin($($path)::+(s)), edge_only: true }
    };
    ($($path:ident)::+) => {
        $crate::Test { name: stringify!($($path)::+), run: |s| Box::pin($($path)::+(s)), edge_only: false }
    };
}

/// The originals every test may read, uploaded once under `{prefix}/src/`.
pub const SOURCES: &[(&str, &[u8])] = &[
    ("cat.jpg", samples::CAT_JPG),
    ("bug.png", samples::BUG_PNG),
    ("squares.gif", samples::SQUARES_GIF),
];

fn all_tests() -> Vec<Test> {
    let mut tests = contract::tests();
    tests.extend(transforms::tests());
    tests.extend(edge::tests());
    tests.extend(cache::tests());
    tests.extend(large::tests());
    tests
}

async fn setup(svc: &Service) {
    let parts: Vec<integration_tests::Part<'_>> = SOURCES
        .iter()
        .map(|(name, bytes)| ("data", Some(*name), *bytes))
        .collect();
    let res = svc.upload(&svc.path("src"), &parts).await;
    res.expect(200);
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let list_only = std::env::args().any(|a| a == "--list");
    let tests: Vec<Test> = all_tests()
        .into_iter()
        .filter(|t| filters.is_empty() || filters.iter().any(|f| t.name.contains(f)))
        .collect();
    if list_only {
        for t in &tests {
            println!("{}: test", t.name);
        }
        return std::process::ExitCode::SUCCESS;
    }
    let Some(settings) = Settings::from_env() else {
        let required = std::env::var("INTEGRATION_REQUIRE_BASE_URL").is_ok_and(|v| v == "1");
        eprintln!(
            "integration-tests: BASE_URL is not set, {} skipped ({} tests). Run bin/integration-test [BASE_URL].",
            if required { "nothing can run" } else { "the suite is" },
            tests.len()
        );
        return if required {
            std::process::ExitCode::FAILURE
        } else {
            std::process::ExitCode::SUCCESS
        };
    };
    // One line per panic (the message is shown in the summary), not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        if let Some(at) = info.location() {
            println!("    panicked at {at}");
        }
    }));
    let edge = settings.edge;
    let svc = Arc::new(Service::new(settings));
    println!(
        "\nintegration-tests against {} (prefix {}/, edge checks {})",
        svc.url(""),
        svc.prefix,
        if edge { "on" } else { "off" }
    );

    let started = Instant::now();
    let mut failed: Vec<(&str, String)> = Vec::new();
    let (mut passed, mut skipped) = (0, 0);

    let setup_result = tokio::spawn({
        let svc = svc.clone();
        async move { setup(&svc).await }
    })
    .await;
    if let Err(e) = setup_result {
        failed.push(("setup (uploading the originals)", panic_text(e)));
    } else {
        for t in &tests {
            if t.edge_only && !edge {
                println!("test {} ... skipped (needs a deployed stage: an https BASE_URL or INTEGRATION_EDGE=1)", t.name);
                skipped += 1;
                continue;
            }
            let t0 = Instant::now();
            let fut = (t.run)(svc.clone());
            let outcome = tokio::time::timeout(Duration::from_secs(300), tokio::spawn(fut)).await;
            let ms = t0.elapsed().as_millis();
            match outcome {
                Ok(Ok(())) => {
                    println!("test {} ... ok ({ms} ms)", t.name);
                    passed += 1;
                }
                Ok(Err(e)) => {
                    println!("test {} ... FAILED ({ms} ms)", t.name);
                    failed.push((t.name, panic_text(e)));
                }
                Err(_) => {
                    println!("test {} ... FAILED (timed out after {ms} ms)", t.name);
                    failed.push((t.name, "timed out".into()));
                }
            }
        }
    }

    // Teardown, whatever happened above.
    match tokio::spawn({
        let svc = svc.clone();
        async move { svc.cleanup().await }
    })
    .await
    {
        Ok(Ok(n)) => println!(
            "cleanup: removed {n} objects under {}/, none left",
            svc.prefix
        ),
        Ok(Err(e)) => failed.push(("cleanup", e)),
        Err(e) => failed.push(("cleanup", panic_text(e))),
    }

    for (name, why) in &failed {
        println!("\n---- {name} ----\n{why}");
    }
    println!(
        "\ntest result: {}. {passed} passed; {} failed; {skipped} skipped; finished in {:.1}s\n",
        if failed.is_empty() { "ok" } else { "FAILED" },
        failed.len(),
        started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

fn panic_text(e: tokio::task::JoinError) -> String {
    match e.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".into()),
        Err(e) => e.to_string(),
    }
}
