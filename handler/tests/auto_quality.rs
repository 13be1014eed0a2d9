//! `q=auto` through the router: the chosen quality is said in `X-Image-Quality`, kept
//! with the result so a cache hit says it again without searching (no decode or encode
//! in `Server-Timing`), the deployment setting makes it the default for lossy output
//! only, an exhausted budget says so, and a bad `q` is still a 400 naming it.

use image_service::Config;
use test_support::*;

const CAT: &[u8] = include_bytes!("../../assets/samples/progressive_3.jpg");
const BUG: &[u8] = include_bytes!("../../assets/samples/blackbug.png");

fn timing_has(r: &TestResponse, phase: &str) -> bool {
    r.header("server-timing").is_some_and(|t| {
        t.split(',')
            .any(|p| p.trim().starts_with(&format!("{phase};")))
    })
}

/// The quality of a searched answer, from `62; auto`.
fn searched_quality(r: &TestResponse) -> u8 {
    let value = r
        .header("x-image-quality")
        .expect("an X-Image-Quality header");
    let q = value
        .strip_suffix("; auto")
        .unwrap_or_else(|| panic!("not a searched answer: {value}"));
    q.parse().unwrap()
}

/// The default settings with time for every trial, whatever the machine's load (the
/// request's deadline still applies).
fn unhurried() -> Config {
    Config {
        auto_quality_budget_ms: 600_000,
        ..Config::default()
    }
}

async fn with_cat(app: TestApp) -> TestApp {
    app.put("cat.jpg", CAT.to_vec(), "image/jpeg").await;
    app.put("bug.png", BUG.to_vec(), "image/png").await;
    app
}

#[tokio::test]
async fn a_hit_says_the_chosen_quality_again_without_searching() {
    let app = with_cat(TestApp::cached(unhurried())).await;
    let path = "/cat.jpg?w=300&fm=webp&q=auto";
    let first = app.get(path).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.header("x-result-cache"), Some("miss"));
    assert!(timing_has(&first, "encode"));
    let q = searched_quality(&first);
    assert!((30..=90).contains(&q), "{q}");

    let second = app.get(path).await;
    assert_eq!(second.header("x-result-cache"), Some("hit"));
    for phase in ["decode", "encode"] {
        assert!(!timing_has(&second, phase), "a hit ran {phase}");
    }
    assert_eq!(
        second.header("x-image-quality"),
        first.header("x-image-quality")
    );
    assert_eq!(second.body, first.body);

    // The same bytes as the fixed quality it names, and not the default's.
    let fixed = app.get(&format!("/cat.jpg?w=300&fm=webp&q={q}")).await;
    assert_eq!(fixed.body, first.body);
    assert_eq!(fixed.header("x-image-quality"), None);
    assert_ne!(fixed.header("etag"), first.header("etag"));
    if q != 80 {
        let default = app.get("/cat.jpg?w=300&fm=webp").await;
        assert_ne!(default.body, first.body);
    }
}

#[tokio::test]
async fn the_setting_makes_auto_the_default_for_lossy_output_only() {
    let app = with_cat(TestApp::open(Config {
        auto_quality: true,
        ..unhurried()
    }))
    .await;
    for query in ["w=200", "w=200&fm=webp", "w=200&fm=avif"] {
        let r = app.get(&format!("/cat.jpg?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        searched_quality(&r);
        let explicit = app.get(&format!("/cat.jpg?{query}&q=auto")).await;
        assert_eq!(explicit.header("etag"), r.header("etag"), "{query}");
    }
    for query in [
        "w=200&q=75",
        "w=200&fm=webp&ll",
        "w=200&fm=png",
        "w=200&fm=gif",
    ] {
        let r = app.get(&format!("/cat.jpg?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        assert_eq!(r.header("x-image-quality"), None, "{query}");
    }
    // PNG with q=auto stays truecolour, as without q (an integer q would palette it).
    let auto = app.get("/bug.png?w=100&fm=png&q=auto").await;
    let plain = app.get("/bug.png?w=100&fm=png").await;
    assert_eq!(auto.body, plain.body);
    let paletted = app.get("/bug.png?w=100&fm=png&q=80").await;
    assert_ne!(paletted.body, plain.body);
    // The original is served as stored.
    let original = app.get("/cat.jpg").await;
    assert_eq!(original.body, CAT);
    assert_eq!(original.header("x-image-quality"), None);
    // Off (the default), an absent q is the format's default.
    let off = with_cat(TestApp::open(Config::default())).await;
    assert_eq!(
        off.get("/cat.jpg?w=200").await.header("x-image-quality"),
        None
    );
}

#[tokio::test]
async fn with_no_budget_the_default_is_used_and_said() {
    let app = with_cat(TestApp::open(Config {
        auto_quality_budget_ms: 0,
        ..Config::default()
    }))
    .await;
    let r = app.get("/cat.jpg?w=200&fm=webp&q=auto").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("x-image-quality"),
        Some("80; auto-fallback=over-budget")
    );
    let default = app.get("/cat.jpg?w=200&fm=webp").await;
    assert_eq!(r.body, default.body);
}

#[tokio::test]
async fn a_higher_target_gives_a_higher_quality() {
    let quality_at = |target: f64| async move {
        let app = with_cat(TestApp::open(Config {
            auto_quality_target: target,
            ..unhurried()
        }))
        .await;
        searched_quality(&app.get("/cat.jpg?w=300&q=auto").await)
    };
    let (low, high) = (quality_at(55.0).await, quality_at(85.0).await);
    assert!(low < high, "target 55: q{low}, target 85: q{high}");
}

#[tokio::test]
async fn a_bad_q_is_a_400_naming_q() {
    let app = with_cat(TestApp::open(Config::default())).await;
    for query in ["q=aut", "q=0", "q=101", "q=auto1", "q="] {
        let r = app.get(&format!("/cat.jpg?w=100&{query}")).await;
        assert_eq!(r.status, 400, "{query}");
        let text = r.text();
        assert!(text.contains("'q'"), "{query}: {text}");
        assert!(text.contains("1-100 or auto"), "{query}: {text}");
    }
}
