//! Parameters whose value is a single number, with their bounds.

use super::value::{integer_in, number_in, RawValue};
use crate::error::Error;

/// Largest `w`, `h`, extend side and crop size. Also Sharp's default input limit
/// (0x3FFF² pixels), so no single parameter can ask for more than ~1 GiB of RGBA.
pub const MAX_DIMENSION: u32 = 16_384;
/// Bare `tr`: Sharp's default trim threshold.
pub const DEFAULT_TRIM_THRESHOLD: u8 = 10;
/// Bare `md`: a 3×3 median.
pub const DEFAULT_MEDIAN_SIZE: u32 = 3;
/// Largest median window side: the cost grows with its square.
pub const MAX_MEDIAN_SIZE: u32 = 51;
/// Blur sigma range (Sharp's).
pub const MIN_BLUR_SIGMA: f32 = 0.3;
pub const MAX_BLUR_SIGMA: f32 = 1000.0;
/// Bare `th`: Sharp's default threshold.
pub const DEFAULT_THRESHOLD: u8 = 128;
/// Bare `ea`: an opaque alpha channel.
pub const DEFAULT_ALPHA: f64 = 1.0;

/// A device pixel ratio 1.0–4.0 in tenths, so the canonical form is exact (`dpr=1.50`
/// and `dpr=1.5` are one cache entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dpr(u8);

impl Dpr {
    const EXPECTED: &'static str =
        "a device pixel ratio 1-4 with at most one decimal (e.g. 2 or 1.5)";

    /// `side` × the ratio, rounded half up, at most [`MAX_DIMENSION`].
    pub fn scale(self, side: u32) -> u32 {
        let tenths = u64::from(side) * u64::from(self.0);
        ((tenths + 5) / 10).min(u64::from(MAX_DIMENSION)) as u32
    }
}

pub(crate) fn parse_dpr(raw: RawValue) -> Result<Dpr, Error> {
    let text = raw.text();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, "0"));
    if fraction.is_empty() {
        return Err(raw.invalid(Dpr::EXPECTED));
    }
    let digits = |s: &str, max_len: usize| {
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    // One decimal, or trailing zeros after it (`1.50`): more precision is refused, not rounded.
    let fraction = fraction.trim_end_matches('0');
    if !digits(whole, 1) || !(fraction.is_empty() || digits(fraction, 1)) {
        return Err(raw.invalid(Dpr::EXPECTED));
    }
    let tenths = whole.parse::<u8>().unwrap_or(0) * 10 + fraction.parse::<u8>().unwrap_or(0);
    if (10..=40).contains(&tenths) {
        Ok(Dpr(tenths))
    } else {
        Err(raw.invalid(Dpr::EXPECTED))
    }
}

pub(crate) fn render_dpr(dpr: &Dpr) -> String {
    match dpr.0 % 10 {
        0 => (dpr.0 / 10).to_string(),
        tenth => format!("{}.{tenth}", dpr.0 / 10),
    }
}

pub(crate) fn parse_dimension(raw: RawValue) -> Result<u32, Error> {
    let n = integer_in(
        &raw,
        1,
        i64::from(MAX_DIMENSION),
        "a positive integer (1-16384)",
    )?;
    Ok(n as u32)
}

pub(crate) fn parse_trim(raw: RawValue) -> Result<u8, Error> {
    if raw.is_bare() {
        return Ok(DEFAULT_TRIM_THRESHOLD);
    }
    let n = integer_in(&raw, 0, 255, "a threshold 0-255 (bare tr means 10)")?;
    Ok(n as u8)
}

/// Any whole number of degrees (within ±9.2e18), normalised to 0-359: `-90` is `270`.
pub(crate) fn parse_rotation(raw: RawValue) -> Result<i32, Error> {
    let n = integer_in(
        &raw,
        i64::MIN,
        i64::MAX,
        "an integer number of degrees (negative turns counter-clockwise)",
    )?;
    Ok(n.rem_euclid(360) as i32)
}

pub(crate) fn parse_median(raw: RawValue) -> Result<u32, Error> {
    if raw.is_bare() {
        return Ok(DEFAULT_MEDIAN_SIZE);
    }
    let n = integer_in(
        &raw,
        1,
        i64::from(MAX_MEDIAN_SIZE),
        "a window size 1-51 (bare md means 3)",
    )?;
    Ok(n as u32)
}

pub(crate) fn parse_blur(raw: RawValue) -> Result<f32, Error> {
    match raw.text().parse::<f32>() {
        Ok(sigma) if (MIN_BLUR_SIGMA..=MAX_BLUR_SIGMA).contains(&sigma) => Ok(sigma),
        _ => Err(raw.invalid("a sigma 0.3-1000")),
    }
}

pub(crate) fn parse_threshold(raw: RawValue) -> Result<u8, Error> {
    if raw.is_bare() {
        return Ok(DEFAULT_THRESHOLD);
    }
    let n = integer_in(&raw, 0, 255, "an integer 0-255 (bare th means 128)")?;
    Ok(n as u8)
}

pub(crate) fn parse_alpha(raw: RawValue) -> Result<f64, Error> {
    if raw.is_bare() {
        return Ok(DEFAULT_ALPHA);
    }
    number_in(&raw, 0.0, 1.0, "an alpha 0-1 (bare ea means 1)")
}

/// `q`: a fixed encoder quality, or `auto` (the lowest that meets a perceptual target,
/// chosen when the image is encoded; see `codecs::auto_quality`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quality {
    /// 1-100.
    Fixed(u8),
    Auto,
}

/// The keyword for [`Quality::Auto`], also its canonical text.
const AUTO_QUALITY: &str = "auto";

pub(crate) fn parse_quality(raw: RawValue) -> Result<Quality, Error> {
    const EXPECTED: &str = "an integer 1-100 or auto";
    if raw.text().eq_ignore_ascii_case(AUTO_QUALITY) {
        return Ok(Quality::Auto);
    }
    let n = integer_in(&raw, 1, 100, EXPECTED)?;
    Ok(Quality::Fixed(n as u8))
}

pub(crate) fn render_quality(quality: &Quality) -> String {
    match quality {
        Quality::Fixed(n) => n.to_string(),
        Quality::Auto => AUTO_QUALITY.to_string(),
    }
}
