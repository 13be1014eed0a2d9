//! A result past the 6 MB a buffered Lambda answer can carry: on Lambda every response is
//! streamed (up to 199 MB), so a ~20 MB image must arrive whole from every target.

use crate::{test, Svc, Test};
use std::time::Instant;

pub fn tests() -> Vec<Test> {
    vec![test!(a_20_mb_result_arrives_whole)]
}

/// A 1000 x 1000 noise PNG (about 3 MB: noise does not compress, and every byte value
/// occurs, NUL runs included) with `ex=800` around it as an uncompressed TIFF:
/// 2600 x 2600 x 3 bytes, about 20.3 MB.
const SIDE: u32 = 1000;
const EX: u32 = 800;

/// Why `body` is not the expected result (None when it is).
fn problem(body: &[u8], noise: &image::RgbImage) -> Option<String> {
    test_support::margined_tiff_problem(body, noise, EX)
}

async fn a_20_mb_result_arrives_whole(svc: Svc) {
    let png = test_support::noisy_png(SIDE, SIDE);
    let noise = test_support::decode(&png).to_rgb8();
    svc.upload(&svc.path("large"), &[("data", Some("noise.png"), &png)])
        .await
        .expect(200);
    let started = Instant::now();
    let res = svc
        .get(&svc.path(&format!("large/noise.png?ex={EX}&fm=tiff")))
        .await;
    let seconds = started.elapsed().as_secs_f64();
    res.expect(200);
    assert_eq!(res.header("content-type"), Some("image/tiff"));
    assert!(res.body.len() > 6_000_000 * 3, "{} bytes", res.body.len());
    assert_eq!(res.declared_length(), res.body.len().to_string());
    assert_eq!(problem(&res.body, &noise), None);
    // The comparison can fail: a body cut in half, or other pixels, is refused.
    assert!(problem(&res.body[..res.body.len() / 2], &noise).is_some());
    let mut other = noise.clone();
    other.get_pixel_mut(SIDE / 2, SIDE / 2).0[0] ^= 0xff;
    assert!(problem(&res.body, &other).is_some());
    println!(
        "    {} bytes (largest result in the suite) in {seconds:.2} s",
        res.body.len()
    );
}
