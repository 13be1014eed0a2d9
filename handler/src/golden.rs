//! Golden-image tests of the whole pipeline (bytes in → bytes out), one case per entry
//! of `tests/golden/cases.json`. Each case checks two things by decoded pixels:
//!
//! - against our own committed output `tests/golden/<name>.png` (a regression check:
//!   mean channel difference ≤ 1.5, same size). `IMAGE_SERVICE_UPDATE_GOLDEN=1 cargo test
//!   golden` rewrites those files after a deliberate change;
//! - against Sharp's output for the same query, `tests/fixtures/sharp/<name>.<ext>`
//!   (made by `tools/sharp/make-references.sh`): same size, SSIM ≥ 0.95 unless the case
//!   names a lower bound and why, and for lossy formats no more than 1.5× Sharp's bytes;
//!   our output mirrored left↔right must fail the SSIM bound (a wrong answer is caught).
//!
//! The README states these bounds and every exception from this file and `cases.json`.

use std::path::PathBuf;

use image::DynamicImage;
use serde::Deserialize;

use crate::codecs::{self, DecodeOptions};
use crate::ops::testutil::{fixture_path, mean_channel_diff, ssim};
use crate::params::Params;
use crate::pipeline::{render_params, Limits};

/// SSIM against Sharp's output unless a case names a lower bound.
const DEFAULT_MIN_SSIM: f64 = 0.95;
/// Mean channel difference from our own committed golden.
const MAX_GOLDEN_DRIFT: f64 = 1.5;
/// Output bytes against Sharp's for lossy formats.
const MAX_BYTES_RATIO: f64 = 1.5;

#[derive(Deserialize)]
struct Case {
    name: String,
    input: String,
    query: String,
    ext: String,
    min_ssim: Option<f64>,
    why: Option<String>,
    /// The wrong answer that must fail the SSIM bound: `fliph` (default), `flipv` or
    /// `invert`, for images that look the same mirrored.
    null: Option<String>,
    why_null: Option<String>,
}

impl Case {
    fn null_model(&self, ours: &DynamicImage) -> DynamicImage {
        match self.null.as_deref() {
            None | Some("fliph") => ours.fliph(),
            Some("flipv") => ours.flipv(),
            Some("invert") => {
                let mut inverted = ours.clone();
                inverted.invert();
                inverted
            }
            Some(other) => panic!("{}: unknown null model {other}", self.name),
        }
    }
}

fn cases() -> Vec<Case> {
    serde_json::from_slice(&std::fs::read(dir("golden").join("cases.json")).unwrap()).unwrap()
}

/// The README's statement of the golden bounds, with each case that has its own.
fn bounds_markdown() -> String {
    let mut out = format!(
        "\nEach golden case (`handler/tests/golden/cases.json`) must have Sharp's size, SSIM ≥ \
         {DEFAULT_MIN_SSIM} against Sharp's output, at most {MAX_BYTES_RATIO}× Sharp's bytes \
         for lossy formats, a mean difference ≤ {MAX_GOLDEN_DRIFT} levels from our committed \
         golden, and a wrong answer (our output mirrored left↔right) must fail its SSIM \
         bound. Cases with their own bound or wrong answer:\n\n\
         | case | query | SSIM ≥ | why | wrong answer |\n|---|---|---:|---|---|\n"
    );
    let own = |c: &&Case| c.min_ssim.is_some() || c.null.is_some();
    for case in cases().iter().filter(own) {
        let min = case.min_ssim.unwrap_or(DEFAULT_MIN_SSIM);
        let wrong = match (min > 0.0, case.null.as_deref()) {
            (false, _) => "none: only the size is checked".to_string(),
            (true, None) => "mirrored left↔right".to_string(),
            (true, Some(null)) => {
                format!("{null} ({})", case.why_null.as_deref().unwrap_or(""))
            }
        };
        out.push_str(&format!(
            "| `{}` | `{}` | {min} | {} | {wrong} |\n",
            case.name,
            case.query,
            case.why.as_deref().unwrap_or("")
        ));
    }
    out.trim_end().to_string()
}

#[test]
fn readme_states_the_golden_bounds() {
    crate::readme::check_section("golden-bounds", "handler/src/golden.rs", &bounds_markdown());
}

fn dir(sub: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(sub)
}

fn first_frame(bytes: &[u8]) -> DynamicImage {
    let decoded = codecs::decode(bytes, &DecodeOptions::default()).expect("decodes");
    decoded.frames.into_iter().next().expect("a frame").image
}

#[test]
fn golden_cases_match_our_goldens_and_sharp() {
    let cases = cases();
    let update = std::env::var_os("IMAGE_SERVICE_UPDATE_GOLDEN").is_some();
    let limits = Limits {
        max_input_frames: 1000,
        ..Limits::default()
    };
    let mut failures = Vec::new();
    for case in &cases {
        let input = std::fs::read(fixture_path(&case.input)).unwrap();
        let params = Params::parse(&case.query).unwrap();
        let rendered = render_params(&input, &params, limits)
            .unwrap_or_else(|e| panic!("{}: render failed: {e}", case.name));
        assert_eq!(
            codecs::sniff(&rendered.bytes).map(|f| f.mime()),
            Some(rendered.mime),
            "{}: Content-Type must match the bytes",
            case.name
        );
        let ours = first_frame(&rendered.bytes);

        let golden_path = dir("golden").join(format!("{}.png", case.name));
        if update {
            ours.to_rgba8().save(&golden_path).unwrap();
        }
        let golden = image::open(&golden_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (IMAGE_SERVICE_UPDATE_GOLDEN=1 makes it)",
                case.name
            )
        });
        if (golden.width(), golden.height()) != (ours.width(), ours.height()) {
            failures.push(format!(
                "{}: golden is {}x{}, ours {}x{}",
                case.name,
                golden.width(),
                golden.height(),
                ours.width(),
                ours.height()
            ));
            continue;
        }
        let drift = mean_channel_diff(&golden, &ours);
        if drift > MAX_GOLDEN_DRIFT {
            failures.push(format!(
                "{}: mean difference from golden {drift:.2}",
                case.name
            ));
        }

        let sharp_bytes =
            std::fs::read(dir("fixtures/sharp").join(format!("{}.{}", case.name, case.ext)))
                .unwrap();
        let sharp = first_frame(&sharp_bytes);
        if (sharp.width(), sharp.height()) != (ours.width(), ours.height()) {
            failures.push(format!(
                "{}: Sharp gives {}x{}, ours {}x{}",
                case.name,
                sharp.width(),
                sharp.height(),
                ours.width(),
                ours.height()
            ));
            continue;
        }
        let score = ssim(&sharp, &ours);
        let min = case.min_ssim.unwrap_or(DEFAULT_MIN_SSIM);
        if score < min {
            failures.push(format!("{}: SSIM vs Sharp {score:.3} < {min}", case.name));
        }
        // The null model: a wrong answer (ours mirrored) must fail the same bound.
        let wrong = ssim(&sharp, &case.null_model(&ours));
        if min > 0.0 && wrong >= min {
            failures.push(format!(
                "{}: a wrong answer still scores {wrong:.3} ≥ {min}: the bound proves nothing",
                case.name
            ));
        }
        let lossy =
            matches!(case.ext.as_str(), "jpg" | "webp" | "avif") && !case.query.contains("ll=true");
        let ratio = rendered.bytes.len() as f64 / sharp_bytes.len() as f64;
        if lossy && ratio > MAX_BYTES_RATIO {
            failures.push(format!(
                "{}: {} bytes, {ratio:.2}x Sharp's {}",
                case.name,
                rendered.bytes.len(),
                sharp_bytes.len()
            ));
        }
        eprintln!(
            "{:<16} ssim {score:.3}  bytes {:>6} vs Sharp {:>6}",
            case.name,
            rendered.bytes.len(),
            sharp_bytes.len()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
