//! `fp=x,y`: a focal point a CMS stores per image, as fractions of the width and height
//! of the image as delivered (upright), from 0 (left, top) to 1 (right, bottom).

use super::value::{format_f64, normalise_zero, RawValue};
use crate::error::Error;

/// A point in the image, `x` and `y` each 0-1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FocalPoint {
    pub x: f64,
    pub y: f64,
}

impl FocalPoint {
    /// The middle of the image: what centre gravity keeps.
    pub const CENTRE: FocalPoint = FocalPoint { x: 0.5, y: 0.5 };

    /// The point in pixels of an image of `size`.
    pub fn in_pixels(self, size: (u32, u32)) -> (f64, f64) {
        (self.x * f64::from(size.0), self.y * f64::from(size.1))
    }
}

const EXPECTED: &str =
    "two numbers 0-1 separated by a comma, x (from the left) then y (from the top), e.g. 0.3,0.7";

pub(crate) fn parse_focal_point(raw: RawValue) -> Result<FocalPoint, Error> {
    let (x, y) = raw
        .text()
        .split_once(',')
        .ok_or_else(|| raw.invalid(EXPECTED))?;
    let fraction = |text: &str| match text.trim().parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(normalise_zero(v)),
        _ => Err(raw.invalid(EXPECTED)),
    };
    Ok(FocalPoint {
        x: fraction(x)?,
        y: fraction(y)?,
    })
}

/// The canonical text, `x,y`.
impl std::fmt::Display for FocalPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", format_f64(self.x), format_f64(self.y))
    }
}

pub(crate) fn render_focal_point(point: &FocalPoint) -> String {
    point.to_string()
}
