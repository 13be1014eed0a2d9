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

pub(crate) fn parse_quality(raw: RawValue) -> Result<u8, Error> {
    let n = integer_in(&raw, 1, 100, "an integer 1-100")?;
    Ok(n as u8)
}
