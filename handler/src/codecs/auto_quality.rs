//! `q=auto`: the lowest quality whose result keeps a SSIMULACRA2 score of at least a
//! target against the pixels it encodes, for the lossy formats (JPEG, WebP, AVIF).
//!
//! The search is bounded three ways:
//! - **Encodes**: a binary search over [`CANDIDATES`] (30, 34, …, 90: 16 steps), so at
//!   most five trial encodes, each decoded again and scored. The answer is the lowest
//!   candidate that scores at or above the target; the candidate one step below it was
//!   tried and scored under it (or the answer is the floor, 30). When none reaches the
//!   target the top, 90, is the answer.
//! - **Pixels**: the trials encode a copy scaled to at most [`SAMPLE_SIDE`] px on its
//!   longest side (an image that fits is used as it is, and its chosen trial is the
//!   answer's bytes); the full image is then encoded once at the chosen quality. The
//!   metric costs about 200 ms of CPU at 512 px (most of a trial), about 1.2 s at 1 MP.
//!   The scaled copy is smoother than the full image, so its score runs a little high:
//!   on the sample corpus at `w=1200` the full image at the chosen quality scored up to
//!   2.6 under the target (`examples/auto_quality.rs`; see the README).
//! - **Time**: before each trial, the trials the search may still need are timed at the
//!   slowest one so far; when they could end past the budget (or the request's
//!   deadline) the search stops and the answer is the format's fixed default (JPEG 80,
//!   WebP 80, AVIF 50). So a search that cannot finish stops after one trial instead of
//!   spending the budget first. The budget is wall-clock time, so a loaded machine may
//!   fall back where an idle one would not; the result cache keeps whichever answer
//!   came first.
//!
//! Animations, `tc=cmyk` and AVIF without the decoder (feature `avif-decode` off) also
//! use the fixed default. PNG, GIF and TIFF, and any lossless output (`ll`), are encoded
//! as without `q`. What was decided is reported ([`Choice::header_value`]) in
//! [`QUALITY_HEADER`].
//!
//! Alpha: both images are composited onto black and onto white and the lower score
//! counts, so errors hidden by one background show on the other.

use std::time::{Duration, Instant};

use fast_image_resize as fr;
use image::{DynamicImage, GenericImageView};
use ssimulacra2::{
    compute_frame_ssimulacra2, ColorPrimaries, LinearRgb, Rgb, TransferCharacteristic,
};

use super::{EncodeOptions, Frame, Limits, OutputFormat};
use crate::error::Error;

/// The response header that says which quality `q=auto` chose and how.
pub const QUALITY_HEADER: &str = "x-image-quality";

// The settings' defaults and range live with the settings (config is plain data).
pub use crate::config::{
    AUTO_QUALITY_DEFAULT_BUDGET_MS as DEFAULT_BUDGET_MS,
    AUTO_QUALITY_DEFAULT_TARGET as DEFAULT_TARGET, AUTO_QUALITY_TARGET_RANGE as TARGET_RANGE,
};

/// The qualities a search may choose, lowest first.
pub const CANDIDATES: [u8; 16] = [
    30, 34, 38, 42, 46, 50, 54, 58, 62, 66, 70, 74, 78, 82, 86, 90,
];
/// Longest side of the copy the trials encode and score.
pub const SAMPLE_SIDE: u32 = 512;

/// What a search aims at, and for how long it may try.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Search {
    /// The lowest SSIMULACRA2 score accepted.
    pub target: f64,
    pub budget: Duration,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            target: DEFAULT_TARGET,
            budget: Duration::from_millis(DEFAULT_BUDGET_MS),
        }
    }
}

/// One trial encode of the sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trial {
    pub quality: u8,
    pub score: f64,
}

/// How the quality was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The search's answer.
    Searched,
    /// The fixed default: the budget ran out before the search ended.
    OverBudget,
    /// The fixed default: an animation (each frame would need its own search).
    Animated,
    /// The fixed default: CMYK output is not scored.
    Cmyk,
    /// The fixed default: the output cannot be decoded here (AVIF without the decoder)
    /// or the image is under 8 px, the metric's smallest.
    Unscorable,
}

impl Basis {
    fn reason(self) -> Option<&'static str> {
        match self {
            Basis::Searched => None,
            Basis::OverBudget => Some("over-budget"),
            Basis::Animated => Some("animated"),
            Basis::Cmyk => Some("cmyk"),
            Basis::Unscorable => Some("unscorable"),
        }
    }
}

/// The quality `q=auto` chose for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub quality: u8,
    pub basis: Basis,
    /// The trials in the order they ran (empty for a fixed default before any trial).
    pub trials: Vec<Trial>,
}

impl Choice {
    /// [`QUALITY_HEADER`]'s value: `62; auto` for a searched answer, `80;
    /// auto-fallback=over-budget` (or `animated`, `cmyk`, `unscorable`) for the default.
    pub fn header_value(&self) -> String {
        match self.basis.reason() {
            None => format!("{}; auto", self.quality),
            Some(reason) => format!("{}; auto-fallback={reason}", self.quality),
        }
    }

    /// The score of the chosen quality's trial, if it ran.
    pub fn score(&self) -> Option<f64> {
        self.trials
            .iter()
            .find(|t| t.quality == self.quality)
            .map(|t| t.score)
    }
}

/// The format's quality when `q` is absent.
pub fn default_quality(format: OutputFormat) -> Option<u8> {
    match format {
        OutputFormat::Jpeg => Some(super::jpeg::DEFAULT_QUALITY),
        OutputFormat::Webp => Some(super::webp::DEFAULT_QUALITY),
        OutputFormat::Avif => Some(super::avif::DEFAULT_QUALITY),
        OutputFormat::Png | OutputFormat::Gif | OutputFormat::Tiff => None,
    }
}

/// Encodes `frames` as [`super::encode`] does with `q=auto` (`opts.quality` is not
/// read): the chosen quality with how it was chosen, or no choice where quality does
/// not apply (PNG, GIF, TIFF, lossless). `deadline` is the request's: no trial runs
/// past it.
pub fn encode(
    frames: &[Frame],
    loop_count: u16,
    opts: &EncodeOptions,
    search: &Search,
    deadline: Option<Instant>,
) -> Result<(Vec<u8>, Option<Choice>), Error> {
    let plain = EncodeOptions {
        quality: None,
        ..*opts
    };
    let default = match default_quality(opts.format) {
        Some(q) if !opts.lossless => q,
        _ => return Ok((super::encode(frames, loop_count, &plain)?, None)),
    };
    let fixed = |basis| Choice {
        quality: default,
        basis,
        trials: Vec::new(),
    };
    let (choice, bytes) = match frames {
        [] => return Err(Error::Internal("encode called with no frames".into())),
        _ if opts.cmyk => (fixed(Basis::Cmyk), None),
        [_, _, ..] => (fixed(Basis::Animated), None),
        [frame] => {
            let stop_at = stop_time(Instant::now(), search.budget, deadline);
            let found = choose(&frame.image, opts.format, search.target, stop_at)?;
            (found.choice, found.bytes)
        }
    };
    let bytes = match bytes {
        Some(bytes) => bytes,
        None => super::encode(
            frames,
            loop_count,
            &EncodeOptions {
                quality: Some(choice.quality),
                ..plain
            },
        )?,
    };
    Ok((bytes, Some(choice)))
}

/// The earlier of the budget's end and the deadline.
fn stop_time(now: Instant, budget: Duration, deadline: Option<Instant>) -> Instant {
    let end = now + budget;
    deadline.map_or(end, |d| d.min(end))
}

/// A search's answer, with the chosen trial's bytes when the sample was the image.
pub struct Found {
    pub choice: Choice,
    pub bytes: Option<Vec<u8>>,
}

/// Searches [`CANDIDATES`] for the lowest quality whose encode of `image` (or of its
/// sample) scores at least `target`, stopping before a trial that would end after
/// `stop_at`.
pub fn choose(
    image: &DynamicImage,
    format: OutputFormat,
    target: f64,
    stop_at: Instant,
) -> Result<Found, Error> {
    let default = default_quality(format)
        .ok_or_else(|| Error::Internal(format!("no quality search for {}", format.name())))?;
    let fallback = |basis, trials| Found {
        choice: Choice {
            quality: default,
            basis,
            trials,
        },
        bytes: None,
    };
    if Instant::now() >= stop_at {
        return Ok(fallback(Basis::OverBudget, Vec::new()));
    }
    if !can_decode(format) || image.width() < 8 || image.height() < 8 {
        return Ok(fallback(Basis::Unscorable, Vec::new()));
    }
    let sample = Sample::of(image)?;
    let mut trials = Vec::new();
    // With a whole-image sample, the trials' bytes: the answer's is the output.
    let mut encodes = Vec::new();
    let mut slowest = Duration::ZERO;
    // The lowest index that passes lies in lo..=hi; hi == CANDIDATES.len() means none.
    let (mut lo, mut hi) = (0, CANDIDATES.len());
    while lo < hi {
        // Give up as soon as the trials still needed cannot end in time, rather than
        // spend the budget and then use the default anyway.
        if Instant::now() + slowest * trials_left(hi - lo) > stop_at {
            return Ok(fallback(Basis::OverBudget, trials));
        }
        let began = Instant::now();
        let mid = (lo + hi) / 2;
        let quality = CANDIDATES[mid];
        let bytes = sample.encode(format, quality)?;
        let score = sample.score(format, &bytes)?;
        trials.push(Trial { quality, score });
        if sample.is_whole {
            encodes.push((quality, bytes));
        }
        if score >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
        slowest = slowest.max(began.elapsed());
    }
    // None passed: the top, which was the last trial.
    let quality = CANDIDATES[lo.min(CANDIDATES.len() - 1)];
    let bytes = encodes
        .into_iter()
        .find(|(q, _)| *q == quality)
        .map(|(_, bytes)| bytes);
    Ok(Found {
        choice: Choice {
            quality,
            basis: Basis::Searched,
            trials,
        },
        bytes,
    })
}

/// The most trials a binary search needs to tell apart `span + 1` outcomes.
fn trials_left(span: usize) -> u32 {
    (span + 1).next_power_of_two().trailing_zeros()
}

/// Whether this build can decode `format` again to score it.
fn can_decode(format: OutputFormat) -> bool {
    format != OutputFormat::Avif || cfg!(feature = "avif-decode")
}

/// The pixels the trials encode, and what their decodes are scored against.
struct Sample {
    image: DynamicImage,
    /// The sample is the image itself (it fits in [`SAMPLE_SIDE`]).
    is_whole: bool,
    /// The sample in linear light, once per background (one for an opaque sample).
    references: Vec<LinearRgb>,
}

/// The backgrounds an image with alpha is scored on.
const BACKGROUNDS: [u8; 2] = [0, 255];

impl Sample {
    fn of(image: &DynamicImage) -> Result<Sample, Error> {
        let (w, h) = image.dimensions();
        let longest = w.max(h);
        let (image, is_whole) = if longest <= SAMPLE_SIDE {
            (image.clone(), true)
        } else {
            let scale = f64::from(SAMPLE_SIDE) / f64::from(longest);
            let size = (
                ((f64::from(w) * scale).round() as u32).max(8),
                ((f64::from(h) * scale).round() as u32).max(8),
            );
            let filter = fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3);
            (crate::ops::resize::resample(image, size, filter)?, false)
        };
        let references = linear_versions(&image)?;
        Ok(Sample {
            image,
            is_whole,
            references,
        })
    }

    fn encode(&self, format: OutputFormat, quality: u8) -> Result<Vec<u8>, Error> {
        let frame = Frame {
            image: self.image.clone(),
            delay_ms: 0,
        };
        let opts = EncodeOptions {
            format,
            quality: Some(quality),
            lossless: false,
            palette: None,
            cmyk: false,
        };
        super::encode(std::slice::from_ref(&frame), 0, &opts)
    }

    /// The lowest SSIMULACRA2 score of `encoded`'s decode against the sample.
    fn score(&self, format: OutputFormat, encoded: &[u8]) -> Result<f64, Error> {
        let decoded = decode_own(format, encoded)?;
        let distorted = linear_versions(&decoded)?;
        if distorted.len() != self.references.len() {
            // The encoder dropped an alpha channel that was all opaque: score opaque.
            let flat = linear_versions(&DynamicImage::ImageRgb8(decoded.to_rgb8()))?;
            let reference = linear_versions(&DynamicImage::ImageRgb8(self.image.to_rgb8()))?;
            return score_pairs(&reference, &flat);
        }
        score_pairs(&self.references, &distorted)
    }
}

/// SSIMULACRA2 of `distorted` against `reference` (same size), alpha composited as the
/// search does: for measurements and tests.
pub fn ssimulacra2(reference: &DynamicImage, distorted: &DynamicImage) -> Result<f64, Error> {
    let (reference, distorted) = if reference.color().has_alpha() == distorted.color().has_alpha() {
        (linear_versions(reference)?, linear_versions(distorted)?)
    } else {
        let opaque = |i: &DynamicImage| linear_versions(&DynamicImage::ImageRgb8(i.to_rgb8()));
        (opaque(reference)?, opaque(distorted)?)
    };
    score_pairs(&reference, &distorted)
}

fn score_pairs(references: &[LinearRgb], distorted: &[LinearRgb]) -> Result<f64, Error> {
    let mut lowest = f64::INFINITY;
    for (reference, distorted) in references.iter().zip(distorted) {
        let score = compute_frame_ssimulacra2(reference.clone(), distorted.clone())
            .map_err(|e| Error::Internal(format!("SSIMULACRA2: {e}")))?;
        lowest = lowest.min(score);
    }
    Ok(lowest)
}

/// Decodes an encode of ours (not an upload: AVIF is decoded in this process).
fn decode_own(format: OutputFormat, bytes: &[u8]) -> Result<DynamicImage, Error> {
    let limits = Limits::default();
    let raw = match format {
        OutputFormat::Jpeg => super::jpeg::decode(bytes, &limits, None)?,
        OutputFormat::Webp => super::webp::decode(bytes, &limits)?,
        OutputFormat::Avif => super::avif::decode_in_process(bytes, &limits)?,
        other => {
            return Err(Error::Internal(format!(
                "no quality search for {}",
                other.name()
            )))
        }
    };
    raw.frames
        .into_iter()
        .next()
        .map(|f| f.image)
        .ok_or_else(|| Error::Internal("a trial encode decoded to no frames".into()))
}

/// `image` in linear-light sRGB: as it is when opaque, else once composited onto each
/// of [`BACKGROUNDS`].
fn linear_versions(image: &DynamicImage) -> Result<Vec<LinearRgb>, Error> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let to_linear = |data: Vec<[f32; 3]>| {
        let rgb = Rgb::new(
            data,
            w,
            h,
            TransferCharacteristic::SRGB,
            ColorPrimaries::BT709,
        )
        .map_err(|e| Error::Internal(format!("SSIMULACRA2 input: {e:?}")))?;
        LinearRgb::try_from(rgb).map_err(|e| Error::Internal(format!("SSIMULACRA2 input: {e:?}")))
    };
    if !image.color().has_alpha() || super::is_opaque(image) {
        let rgb = image.to_rgb8();
        let data = rgb.pixels().map(|p| p.0.map(unit)).collect();
        return Ok(vec![to_linear(data)?]);
    }
    let rgba = image.to_rgba8();
    BACKGROUNDS
        .iter()
        .map(|&bg| {
            let data = rgba
                .pixels()
                .map(|p| {
                    let a = f32::from(p[3]) / 255.0;
                    [0, 1, 2].map(|c| unit(p[c]) * a + unit(bg) * (1.0 - a))
                })
                .collect();
            to_linear(data)
        })
        .collect()
}

fn unit(v: u8) -> f32 {
    f32::from(v) / 255.0
}

#[cfg(test)]
mod tests;
