//! What only a deployed stage shows: CloudFront's cache, `Cache-Control` as configured
//! and the HTTPS redirect. Run when `BASE_URL` is https (or `INTEGRATION_EDGE=1`).

use crate::{test, Svc, Test};
use integration_tests::Method;
use std::time::Duration;

pub fn tests() -> Vec<Test> {
    vec![
        test!(edge cloudfront_serves_a_repeated_transform_from_cache),
        test!(edge cache_control_as_configured),
        test!(edge http_redirects_to_https),
    ]
}

async fn cloudfront_serves_a_repeated_transform_from_cache(svc: Svc) {
    // A variant nobody asked for before: this run's own original.
    let path = svc.path("src/cat.jpg?w=123&fm=webp");
    let first = svc.get(&path).await;
    first.expect(200);
    let x_cache = first.need("x-cache").to_string();
    assert!(
        x_cache.to_ascii_lowercase().contains("cloudfront"),
        "X-Cache {x_cache}: not served by CloudFront?"
    );
    // The same edge location normally answers the next request; allow a few tries for
    // a second edge or a request-collapsing race.
    let mut last = String::new();
    for attempt in 0..5 {
        tokio::time::sleep(Duration::from_millis(300 * attempt)).await;
        let again = svc.get(&path).await;
        again.expect(200);
        assert!(
            again.body == first.body,
            "a cached variant must be the same bytes"
        );
        last = again.header("x-cache").unwrap_or_default().to_string();
        if last.starts_with("Hit") || last.starts_with("RefreshHit") {
            let age: u64 = again.need("age").parse().expect("Age is an integer");
            assert!(age < svc.settings.cache_max_age, "Age {age}");
            return;
        }
    }
    panic!("a repeated transformed GET was never a CloudFront hit (last X-Cache: {last})");
}

async fn cache_control_as_configured(svc: Svc) {
    let want = format!("public, max-age={}", svc.settings.cache_max_age);
    for path in [svc.path("src/cat.jpg"), svc.path("src/cat.jpg?w=77")] {
        let res = svc.get(&path).await;
        res.expect(200);
        assert_eq!(res.need("cache-control"), want, "{path}");
    }
}

async fn http_redirects_to_https(svc: Svc) {
    let https = svc.url(&svc.path("src/cat.jpg"));
    let http = https.replacen("https://", "http://", 1);
    assert!(
        http.starts_with("http://"),
        "BASE_URL is not https: {https}"
    );
    let res = svc.send(Method::GET, &http, &[], None).await;
    assert!(
        matches!(res.status, 301 | 302 | 307 | 308),
        "GET {http}: {} (want a redirect)",
        res.status
    );
    assert_eq!(res.need("location"), https, "redirect target");
}
