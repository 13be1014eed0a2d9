//! AVIF quality against Sharp's at the same `q`: two photos (`tests/fixtures/avif-quality/`,
//! Sharp's lossless resizes) encoded by us, decoded again and scored by colour SSIM against
//! the PNG, beside Sharp's bytes and SSIM for the same PNG and `q` (`sharp.json`, from
//! `node tools/sharp/avif-quality.js fixture …`, which scores the same way). The old
//! encoder (`q` passed straight to ravif at speed 9) fails the same bounds.
#![cfg(feature = "avif-decode")]

use std::path::PathBuf;

use image::DynamicImage;
use serde::Deserialize;

use super::decode;
use super::encode::{encode, encode_with, Settings};
use crate::codecs::Limits;

/// Our SSIM may be this much below Sharp's: the two decoders' YUV→RGB rounding differs by
/// about 0.001, and on the measured set the map lands within −0.017…+0.040 of Sharp.
const SSIM_TOLERANCE: f64 = 0.006;
/// Our bytes may be this many times Sharp's: rav1e needs 1.04–1.28× libaom's bytes for the
/// same SSIM (see `encode`), more on small pictures (1.43× on the 320 px photo here).
const MAX_BYTES_RATIO: f64 = 1.5;

#[derive(Deserialize)]
struct SharpFigures {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    image: String,
    q: u8,
    bytes: usize,
    ssim: f64,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/avif-quality")
}

fn sharp_figures() -> Vec<Case> {
    let json = std::fs::read_to_string(fixture_dir().join("sharp.json")).unwrap();
    serde_json::from_str::<SharpFigures>(&json).unwrap().cases
}

/// Mean SSIM of the R, G and B planes (8×8 windows, stride 4), as the Sharp script scores.
fn ssim_rgb(a: &DynamicImage, b: &DynamicImage) -> f64 {
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    assert_eq!(a.dimensions(), b.dimensions());
    let (w, h) = (a.width() as usize, a.height() as usize);
    let plane = |img: &image::RgbImage, c: usize| -> Vec<f64> {
        img.pixels().map(|p| f64::from(p[c])).collect()
    };
    (0..3)
        .map(|c| ssim_plane(&plane(&a, c), &plane(&b, c), w, h))
        .sum::<f64>()
        / 3.0
}

fn ssim_plane(a: &[f64], b: &[f64], w: usize, h: usize) -> f64 {
    const WIN: usize = 8;
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let n = (WIN * WIN) as f64;
    let mut scores = Vec::new();
    for y in (0..=h - WIN).step_by(4) {
        for x in (0..=w - WIN).step_by(4) {
            let window = (y..y + WIN).flat_map(|j| (x..x + WIN).map(move |i| j * w + i));
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for i in window {
                let (pa, pb) = (a[i], b[i]);
                (sa, sb) = (sa + pa, sb + pb);
                (saa, sbb, sab) = (saa + pa * pa, sbb + pb * pb, sab + pa * pb);
            }
            let (ma, mb) = (sa / n, sb / n);
            let (va, vb) = ((saa / n - ma * ma).max(0.0), (sbb / n - mb * mb).max(0.0));
            let cov = sab / n - ma * mb;
            scores.push(
                ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                    / ((ma * ma + mb * mb + c1) * (va + vb + c2)),
            );
        }
    }
    scores.iter().sum::<f64>() / scores.len() as f64
}

/// Bytes and SSIM of an AVIF against the picture it encodes.
fn measure(avif: &[u8], picture: &DynamicImage) -> (usize, f64) {
    let decoded = decode::decode(avif, &Limits::default()).unwrap();
    (avif.len(), ssim_rgb(&decoded.frames[0].image, picture))
}

/// The failures of one encoder against Sharp's figures, printed as it goes.
fn failures(label: &str, encoder: impl Fn(&DynamicImage, u8) -> Vec<u8>) -> Vec<String> {
    let mut failed = Vec::new();
    for case in sharp_figures() {
        let picture = image::open(fixture_dir().join(&case.image)).unwrap();
        let (bytes, ssim) = measure(&encoder(&picture, case.q), &picture);
        let ratio = bytes as f64 / case.bytes as f64;
        eprintln!(
            "{label} {} q{}: {bytes} B ({ratio:.2}× Sharp's {}), SSIM {ssim:.4} (Sharp {:.4})",
            case.image, case.q, case.bytes, case.ssim
        );
        if ssim < case.ssim - SSIM_TOLERANCE || ratio > MAX_BYTES_RATIO {
            failed.push(format!("{} q{}", case.image, case.q));
        }
    }
    failed
}

#[test]
fn equal_q_gives_sharps_quality_within_its_bytes() {
    let ours = failures("ours", |picture, q| {
        encode(picture, Some(q), false).unwrap()
    });
    assert!(
        ours.is_empty(),
        "below Sharp's quality or over its bytes: {ours:?}"
    );
    let old = |picture: &DynamicImage, q: u8| {
        let settings = Settings {
            quality: f32::from(q),
            alpha_quality: f32::from(q),
            speed: 9,
        };
        encode_with(picture, settings).unwrap()
    };
    let old_failures = failures("old (q straight, speed 9)", old);
    let cases = sharp_figures().len();
    assert_eq!(
        old_failures.len(),
        cases,
        "the old encoder passes some: {old_failures:?}"
    );
}
