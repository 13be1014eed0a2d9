//! SGI LogLuv, 32-bit form (photometric 32845 with the SGILOG compression 34676), written
//! from Greg Ward Larson's description of the encoding ("LogLuv encoding for full-gamut,
//! high-dynamic-range images", 1998, and libtiff's TIFF technical note on it):
//!
//! - each row is stored as four byte planes, most significant first, each run-length
//!   coded: a control byte n ≥ 128 repeats the next byte n − 126 times, n < 128 copies
//!   the next n bytes;
//! - a pixel is sign (1 bit), Le (15 bits), ue (8 bits), ve (8 bits):
//!   Y = 2^((Le + ½)/256 − 64) (0 when Le = 0), u′ = (ue + ½)/410, v′ = (ve + ½)/410.
//!
//! The result is CIE XYZ as 32-bit floats (Y = 1 white), in the file's byte order, so
//! the sample reader takes it as three float samples.

use super::bad;
use crate::error::Error;

/// Photometric interpretation and compression of the 32-bit LogLuv form.
pub(super) const LOGLUV: u16 = 32845;
pub(super) const SGILOG: u16 = 34676;

/// One strip/tile of `width` × `rows` pixels → XYZ float triplets (12 bytes a pixel).
pub(super) fn decode(
    data: &[u8],
    width: u32,
    rows: u32,
    little_endian: bool,
) -> Result<Vec<u8>, Error> {
    let w = width as usize;
    let mut out = Vec::with_capacity(w * rows as usize * 12);
    let mut words = vec![0u32; w];
    let mut at = 0;
    for _ in 0..rows {
        words.iter_mut().for_each(|p| *p = 0);
        for shift in [24, 16, 8, 0] {
            at = unrle_plane(data, at, &mut words, shift)?;
        }
        for &p in &words {
            for v in xyz(p) {
                let b = if little_endian {
                    v.to_le_bytes()
                } else {
                    v.to_be_bytes()
                };
                out.extend_from_slice(&b);
            }
        }
        if at >= data.len() {
            break; // short data: the rest stays zero (black), as libtiff pads
        }
    }
    Ok(out)
}

/// Decodes one byte plane of a row into bits `shift..shift + 8` of `words`; returns the
/// position after it.
fn unrle_plane(data: &[u8], mut at: usize, words: &mut [u32], shift: u32) -> Result<usize, Error> {
    let mut x = 0;
    while x < words.len() {
        let Some(&control) = data.get(at) else {
            return Ok(at);
        };
        at += 1;
        if control >= 128 {
            let value = *data.get(at).ok_or_else(|| bad("LogLuv run ends early"))?;
            at += 1;
            for _ in 0..usize::from(control) - 126 {
                if x < words.len() {
                    words[x] |= u32::from(value) << shift;
                    x += 1;
                }
            }
        } else {
            for _ in 0..control {
                let Some(&value) = data.get(at) else {
                    return Ok(at);
                };
                at += 1;
                if x < words.len() {
                    words[x] |= u32::from(value) << shift;
                    x += 1;
                }
            }
        }
    }
    Ok(at)
}

/// One 32-bit LogLuv pixel → CIE XYZ.
fn xyz(p: u32) -> [f32; 3] {
    let le = (p >> 16) & 0x7fff;
    if le == 0 {
        return [0.0; 3];
    }
    let sign = if p >> 31 == 1 { -1.0 } else { 1.0 };
    let y = sign * ((f64::from(le) + 0.5) / 256.0 - 64.0).exp2();
    let u = (f64::from((p >> 8) & 0xff) + 0.5) / 410.0;
    let v = (f64::from(p & 0xff) + 0.5) / 410.0;
    // u′v′ → xy chromaticity → XYZ at luminance Y.
    let d = 6.0 * u - 16.0 * v + 12.0;
    let (cx, cy) = (9.0 * u / d, 4.0 * v / d);
    [cx / cy * y, y, (1.0 - cx - cy) / cy * y].map(|c| c as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_literals_fill_a_plane() {
        // 5 pixels: a run of 3 × 0xAB (129 − 126), then 2 literals.
        let mut words = [0u32; 5];
        let end = unrle_plane(&[129, 0xAB, 2, 1, 2], 0, &mut words, 8).unwrap();
        assert_eq!(end, 5);
        assert_eq!(words, [0xAB00, 0xAB00, 0xAB00, 0x100, 0x200]);
    }

    #[test]
    fn white_point_and_black() {
        // Le for Y = 1 is 64·256 = 16384 (minus the ½ step); D65 white is u′ 0.1978, v′ 0.4683.
        let p = (16384u32 << 16) | (81 << 8) | 191;
        let [x, y, z] = xyz(p);
        assert!((y - 1.0).abs() < 0.01, "{y}");
        assert!(
            (x - 0.95).abs() < 0.02 && (z - 1.09).abs() < 0.03,
            "{x} {z}"
        );
        assert_eq!(xyz(0x1234), [0.0; 3]);
    }
}
