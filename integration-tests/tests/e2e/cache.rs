//! The result cache: a repeated transform is served from the result store without a
//! decode (`X-Result-Cache: hit`, no `decode` in `Server-Timing`), and a replaced
//! original gives a new result. `INTEGRATION_RESULT_CACHE=0` says the target runs
//! with the cache off (`X-Result-Cache: off`). Behind CloudFront a repeat may be an
//! edge hit carrying the first answer's header, so there only the bytes are compared.

use crate::{test, Svc, Test};
use integration_tests::samples;

pub fn tests() -> Vec<Test> {
    vec![test!(result_cache_hit_on_repeat)]
}

fn expect_cache_on() -> bool {
    std::env::var("INTEGRATION_RESULT_CACHE").map_or(true, |v| v != "0")
}

fn decoded(res: &integration_tests::Res) -> bool {
    res.header("server-timing")
        .is_some_and(|t| t.split(',').any(|p| p.trim().starts_with("decode;")))
}

async fn result_cache_hit_on_repeat(svc: Svc) {
    let folder = svc.path("cache");
    svc.upload(&folder, &[("data", Some("photo.jpg"), samples::CAT_JPG)])
        .await
        .expect(200);
    let path = svc.path("cache/photo.jpg?w=160&fm=webp");
    let first = svc.get(&path).await;
    first.expect(200);
    let second = svc.get(&path).await;
    second.expect(200);
    assert!(second.body == first.body, "a repeat is the same bytes");
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(second.need("content-type"), "image/webp");
    let edge = svc.settings.edge;
    if !edge {
        let on = expect_cache_on();
        let (want_first, want_second) = if on { ("miss", "hit") } else { ("off", "off") };
        assert_eq!(first.need("x-result-cache"), want_first, "first request");
        assert!(
            decoded(&first),
            "a render decodes: {:?}",
            first.header("server-timing")
        );
        assert_eq!(second.need("x-result-cache"), want_second, "repeat");
        assert_eq!(
            decoded(&second),
            !on,
            "a hit does not decode: {:?}",
            second.header("server-timing")
        );
        // Revalidation still answers 304 before the cache is read.
        svc.get_with(&path, &[("if-none-match", first.need("etag"))])
            .await
            .expect(304);
    }
    // A replaced original (delete + upload of other bytes) is a new result.
    svc.delete(&folder, &["photo.jpg"]).await.expect(200);
    svc.upload(&folder, &[("data", Some("photo.jpg"), samples::BUG_PNG)])
        .await
        .expect(200);
    let replaced = svc.get(&path).await;
    replaced.expect(200);
    assert!(
        replaced.body != first.body,
        "the replaced original's result"
    );
    assert_ne!(replaced.header("etag"), first.header("etag"));
    if !edge && expect_cache_on() {
        assert_eq!(replaced.need("x-result-cache"), "miss");
        assert_eq!(svc.get(&path).await.need("x-result-cache"), "hit");
    }
    svc.delete(&folder, &["photo.jpg"]).await.expect(200);
}
