//! `bhc`: how many BlurHash components to keep across and down, written `XxY`.

use super::value::RawValue;
use crate::error::Error;

/// The most components BlurHash can encode on either axis (its size flag holds 9×9).
pub const MAX_BLURHASH_COMPONENTS: u8 = 9;

/// BlurHash components across (`x`) and down (`y`), each 1-9; the default 4x3 is
/// BlurHash's own suggestion for landscape images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlurComponents {
    pub x: u8,
    pub y: u8,
}

impl Default for BlurComponents {
    fn default() -> Self {
        BlurComponents { x: 4, y: 3 }
    }
}

const EXPECTED: &str = "components across and down as XxY, each 1-9 (e.g. 4x3)";

pub(crate) fn parse_blur_components(raw: RawValue) -> Result<BlurComponents, Error> {
    let text = raw.text();
    let (x, y) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| raw.invalid(EXPECTED))?;
    let component = |part: &str| match part.trim().as_bytes() {
        [digit @ b'1'..=b'9'] => Some(digit - b'0'),
        _ => None,
    };
    match (component(x), component(y)) {
        (Some(x), Some(y)) => Ok(BlurComponents { x, y }),
        _ => Err(raw.invalid(EXPECTED)),
    }
}

pub(crate) fn render_blur_components(components: &BlurComponents) -> String {
    format!("{}x{}", components.x, components.y)
}
