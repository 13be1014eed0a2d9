//! The search against the metric computed again from the encoder's own bytes, so a
//! wrong choice (too low, or lower than needed) fails: the chosen quality scores at or
//! above the target, the step below it under; a flat picture needs less than a photo;
//! a higher target never gives a lower quality; past the budget the bytes are exactly
//! the default's.

use std::time::{Duration, Instant};

use image::{DynamicImage, GenericImageView, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;
use crate::codecs::{self, DecodeOptions};

const PHOTO: &[u8] = include_bytes!("../../../tests/fixtures/avif-quality/progressive_3.w320.png");
const LARGE_PHOTO: &[u8] = include_bytes!("../../../../assets/samples/Landscape_6.jpg");
const LOSSY: [OutputFormat; 3] = [OutputFormat::Jpeg, OutputFormat::Webp, OutputFormat::Avif];

fn photo() -> DynamicImage {
    image::load_from_memory(PHOTO).unwrap()
}

/// Two flat colours with one straight edge: almost nothing for an encoder to lose.
fn flat() -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(320, 240, |x, _| {
        if x < 160 {
            Rgb([40, 90, 160])
        } else {
            Rgb([230, 220, 200])
        }
    }))
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

/// The default target with time for every trial, whatever the machine's load.
fn unhurried() -> Search {
    Search {
        target: DEFAULT_TARGET,
        budget: Duration::from_secs(600),
    }
}

fn frames(image: DynamicImage) -> Vec<Frame> {
    vec![Frame { image, delay_ms: 0 }]
}

fn opts(format: OutputFormat) -> EncodeOptions<'static> {
    EncodeOptions {
        format,
        quality: None,
        lossless: false,
        palette: None,
        cmyk: false,
    }
}

/// SSIMULACRA2 of `image` encoded by the public encoder at `quality`, decoded by the
/// public decoder: nothing of the search's own bookkeeping.
fn independent_score(image: &DynamicImage, format: OutputFormat, quality: u8) -> f64 {
    let encoded = codecs::encode(
        &frames(image.clone()),
        0,
        &EncodeOptions {
            quality: Some(quality),
            ..opts(format)
        },
    )
    .unwrap();
    let decoded = codecs::decode(&encoded, &DecodeOptions::default()).unwrap();
    let linear = |img: &DynamicImage| linear_versions(img).unwrap().remove(0);
    compute_frame_ssimulacra2(linear(image), linear(&decoded.frames[0].image)).unwrap()
}

fn search(image: &DynamicImage, format: OutputFormat, target: f64) -> Choice {
    let found = choose(image, format, target, far_future()).unwrap();
    assert_eq!(found.choice.basis, Basis::Searched, "{format:?}");
    found.choice
}

#[test]
fn the_chosen_quality_meets_the_target_and_the_step_below_does_not() {
    let image = photo();
    for format in LOSSY {
        let choice = search(&image, format, DEFAULT_TARGET);
        let q = choice.quality;
        eprintln!("{format:?}: q{q}, trials {:?}", choice.trials);
        assert!(choice.trials.len() <= 5, "{:?}", choice.trials);
        assert!(choice.score().unwrap() >= DEFAULT_TARGET);
        let at = independent_score(&image, format, q);
        assert!(at >= DEFAULT_TARGET, "{format:?} q{q} scores {at}");
        // The photo needs more than the floor, so the step below was tried and failed,
        // and an encoder that always answered the floor would fail here.
        assert!(
            q > CANDIDATES[0],
            "{format:?}: the floor passes on a photo?"
        );
        let below = q - 4;
        let tried = choice.trials.iter().find(|t| t.quality == below);
        assert!(
            tried.is_some_and(|t| t.score < DEFAULT_TARGET),
            "{format:?}: {below} not tried or passing: {:?}",
            choice.trials
        );
        let under = independent_score(&image, format, below);
        assert!(under < DEFAULT_TARGET, "{format:?} q{below} scores {under}");
    }
}

#[test]
fn a_flat_picture_gets_a_lower_quality_than_a_photo() {
    for format in LOSSY {
        let flat_q = search(&flat(), format, DEFAULT_TARGET).quality;
        let photo_q = search(&photo(), format, DEFAULT_TARGET).quality;
        assert!(
            flat_q < photo_q,
            "{format:?}: flat q{flat_q}, photo q{photo_q}"
        );
    }
}

#[test]
fn a_higher_target_never_gives_a_lower_quality() {
    let image = photo();
    for format in LOSSY {
        let qualities: Vec<u8> = [50.0, 65.0, 75.0, 85.0]
            .iter()
            .map(|&target| search(&image, format, target).quality)
            .collect();
        assert!(
            qualities.windows(2).all(|w| w[0] <= w[1]),
            "{format:?}: {qualities:?}"
        );
        assert!(
            qualities[0] < qualities[3],
            "{format:?}: the target changes nothing: {qualities:?}"
        );
    }
}

#[test]
fn past_the_budget_the_format_default_is_used_byte_for_byte() {
    let none = Search {
        target: DEFAULT_TARGET,
        budget: Duration::ZERO,
    };
    for format in LOSSY {
        let (bytes, choice) = encode(&frames(photo()), 0, &opts(format), &none, None).unwrap();
        let choice = choice.unwrap();
        assert_eq!(choice.basis, Basis::OverBudget);
        assert_eq!(Some(choice.quality), default_quality(format));
        assert!(choice.trials.is_empty());
        let default = codecs::encode(&frames(photo()), 0, &opts(format)).unwrap();
        assert_eq!(bytes, default, "{format:?}");
        // With time, the answer is a search, and not the default's bytes.
        let (searched, choice) =
            encode(&frames(photo()), 0, &opts(format), &unhurried(), None).unwrap();
        assert_eq!(choice.unwrap().basis, Basis::Searched);
        assert_ne!(searched, default, "{format:?}");
    }
    // A deadline already passed stops the search the same way, whatever the budget.
    let late = Some(Instant::now());
    let (_, choice) = encode(
        &frames(photo()),
        0,
        &opts(OutputFormat::Webp),
        &unhurried(),
        late,
    )
    .unwrap();
    assert_eq!(choice.unwrap().basis, Basis::OverBudget);
}

/// A budget that ends during the first trial (an AVIF trial takes far longer than a
/// millisecond) stops the search after it: one trial at most, then the default.
#[test]
fn the_search_stops_at_the_budget_not_after_all_trials() {
    let image = photo();
    let stop_at = Instant::now() + Duration::from_millis(1);
    let found = choose(&image, OutputFormat::Avif, DEFAULT_TARGET, stop_at).unwrap();
    assert_eq!(found.choice.basis, Basis::OverBudget);
    assert!(found.choice.trials.len() <= 1, "{:?}", found.choice.trials);
    assert_eq!(found.choice.quality, 50);
    let unbounded = choose(&image, OutputFormat::Avif, DEFAULT_TARGET, far_future()).unwrap();
    assert!(unbounded.choice.trials.len() >= 4);
}

#[test]
fn a_large_image_is_searched_on_a_sample_and_encoded_whole() {
    let large = image::load_from_memory(LARGE_PHOTO).unwrap();
    assert!(large.width().max(large.height()) > SAMPLE_SIDE);
    let sample = Sample::of(&large).unwrap();
    assert!(!sample.is_whole);
    assert_eq!(sample.image.width().max(sample.image.height()), SAMPLE_SIDE);
    let (bytes, choice) = encode(
        &frames(large.clone()),
        0,
        &opts(OutputFormat::Jpeg),
        &unhurried(),
        None,
    )
    .unwrap();
    let choice = choice.unwrap();
    assert_eq!(choice.basis, Basis::Searched);
    let out = codecs::decode(&bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(out.frames[0].image.dimensions(), large.dimensions());
    let fixed = codecs::encode(
        &frames(large),
        0,
        &EncodeOptions {
            quality: Some(choice.quality),
            ..opts(OutputFormat::Jpeg)
        },
    )
    .unwrap();
    assert_eq!(
        bytes, fixed,
        "the output is the full image at the chosen quality"
    );
}

#[test]
fn transparency_is_scored_on_black_and_on_white() {
    // A photo whose left half is transparent: its hidden colours must not count, and
    // its visible half must meet the target on both backgrounds.
    let photo = photo().to_rgba8();
    let image =
        DynamicImage::ImageRgba8(RgbaImage::from_fn(photo.width(), photo.height(), |x, y| {
            let p = photo.get_pixel(x, y);
            let alpha = if x < photo.width() / 2 { 0 } else { 255 };
            Rgba([p[0], p[1], p[2], alpha])
        }));
    assert_eq!(linear_versions(&image).unwrap().len(), 2);
    let choice = search(&image, OutputFormat::Webp, DEFAULT_TARGET);
    assert!(choice.score().unwrap() >= DEFAULT_TARGET);
}

#[test]
fn formats_without_a_search_encode_as_without_q() {
    let image = photo();
    for format in [OutputFormat::Png, OutputFormat::Gif, OutputFormat::Tiff] {
        let (bytes, choice) =
            encode(&frames(image.clone()), 0, &opts(format), &unhurried(), None).unwrap();
        assert_eq!(choice, None, "{format:?}");
        assert_eq!(
            bytes,
            codecs::encode(&frames(image.clone()), 0, &opts(format)).unwrap()
        );
    }
    let lossless = EncodeOptions {
        lossless: true,
        ..opts(OutputFormat::Webp)
    };
    let (_, choice) = encode(&frames(image.clone()), 0, &lossless, &unhurried(), None).unwrap();
    assert_eq!(choice, None);
}

#[test]
fn animations_and_cmyk_use_the_default_and_say_why() {
    let two = vec![
        Frame {
            image: flat(),
            delay_ms: 100,
        },
        Frame {
            image: photo().resize_exact(320, 240, image::imageops::FilterType::Triangle),
            delay_ms: 100,
        },
    ];
    let (_, choice) = encode(&two, 0, &opts(OutputFormat::Webp), &unhurried(), None).unwrap();
    let choice = choice.unwrap();
    assert_eq!((choice.quality, choice.basis), (80, Basis::Animated));
    assert_eq!(choice.header_value(), "80; auto-fallback=animated");
    let cmyk = EncodeOptions {
        cmyk: true,
        ..opts(OutputFormat::Jpeg)
    };
    let (_, choice) = encode(&frames(photo()), 0, &cmyk, &unhurried(), None).unwrap();
    assert_eq!(choice.unwrap().header_value(), "80; auto-fallback=cmyk");
}

#[test]
fn header_values() {
    let choice = |quality, basis| Choice {
        quality,
        basis,
        trials: Vec::new(),
    };
    assert_eq!(choice(62, Basis::Searched).header_value(), "62; auto");
    assert_eq!(
        choice(50, Basis::OverBudget).header_value(),
        "50; auto-fallback=over-budget"
    );
    assert_eq!(
        choice(80, Basis::Unscorable).header_value(),
        "80; auto-fallback=unscorable"
    );
}

#[test]
fn a_picture_under_the_metric_minimum_is_not_scored() {
    let tiny = DynamicImage::ImageRgb8(RgbImage::from_pixel(7, 20, Rgb([1, 2, 3])));
    let found = choose(&tiny, OutputFormat::Jpeg, DEFAULT_TARGET, far_future()).unwrap();
    assert_eq!(found.choice.basis, Basis::Unscorable);
    assert_eq!(found.choice.quality, 80);
}
