//! sRGB ↔ CIE Lab / LCh (D65), as libvips converts for Sharp's sharpen, normalise,
//! modulate and tint, through the one transfer function of [`super::srgb`]. Inputs and
//! outputs are on the 8-bit scale (0–255); L is 0–100.

use super::srgb::{encode, grey, Linearise};

/// libvips' D65 white point (X, Y, Z ×100).
const WHITE: [f32; 3] = [95.047, 100.0, 108.883];

#[inline]
fn f(t: f32) -> f32 {
    const E: f32 = 216.0 / 24389.0;
    const K: f32 = 24389.0 / 27.0;
    if t > E {
        t.cbrt()
    } else {
        (K * t + 16.0) / 116.0
    }
}

#[inline]
fn f_inv(t: f32) -> f32 {
    const K: f32 = 24389.0 / 27.0;
    let t3 = t * t * t;
    if t3 > 216.0 / 24389.0 {
        t3
    } else {
        (116.0 * t - 16.0) / K
    }
}

/// 8-bit-scale sRGB to Lab.
#[inline]
pub fn srgb_to_lab(lin: &Linearise, rgb: [f32; 3]) -> [f32; 3] {
    let [r, g, b] = rgb.map(|v| lin.get(v));
    let x = (0.412_456_4 * r + 0.357_576_1 * g + 0.180_437_5 * b) * 100.0;
    let y = (0.212_672_9 * r + 0.715_152_2 * g + 0.072_175 * b) * 100.0;
    let z = (0.019_333_9 * r + 0.119_192 * g + 0.950_304_1 * b) * 100.0;
    let (fx, fy, fz) = (f(x / WHITE[0]), f(y / WHITE[1]), f(z / WHITE[2]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// Lab to 8-bit-scale sRGB (not clamped: the caller's write-back clamps).
#[inline]
pub fn lab_to_srgb(lab: [f32; 3]) -> [f32; 3] {
    let fy = (lab[0] + 16.0) / 116.0;
    let fx = fy + lab[1] / 500.0;
    let fz = fy - lab[2] / 200.0;
    let x = f_inv(fx) * WHITE[0] / 100.0;
    let y = f_inv(fy) * WHITE[1] / 100.0;
    let z = f_inv(fz) * WHITE[2] / 100.0;
    let r = 3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z;
    let g = -0.969_266 * x + 1.876_010_8 * y + 0.041_556 * z;
    let b = 0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z;
    [encode(r), encode(g), encode(b)]
}

/// Lab to LCh, h in degrees 0–360.
#[inline]
pub fn lab_to_lch(lab: [f32; 3]) -> [f32; 3] {
    let c = lab[1].hypot(lab[2]);
    let h = lab[2].atan2(lab[1]).to_degrees().rem_euclid(360.0);
    [lab[0], c, h]
}

#[inline]
pub fn lch_to_lab(lch: [f32; 3]) -> [f32; 3] {
    let h = lch[2].to_radians();
    [lch[0], lch[1] * h.cos(), lch[1] * h.sin()]
}

/// The colour channels of a pixel as RGB (grey images repeat their one channel).
#[inline]
pub fn rgb_of(colour: &[f32]) -> [f32; 3] {
    match colour {
        [v] => [*v; 3],
        [r, g, b, ..] => [*r, *g, *b],
        _ => [0.0; 3],
    }
}

/// Writes RGB back to 1 (grey, via [`super::srgb::grey`]) or 3 colour channels.
#[inline]
pub fn set_rgb(lin: &Linearise, colour: &mut [f32], rgb: [f32; 3]) {
    match colour {
        [v] => *v = grey(lin, rgb.map(|c| c.clamp(0.0, 255.0))),
        [r, g, b, ..] => {
            *r = rgb[0];
            *g = rgb[1];
            *b = rgb[2];
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_values() {
        let lin = Linearise::new();
        let white = srgb_to_lab(&lin, [255.0; 3]);
        assert!(
            (white[0] - 100.0).abs() < 0.01 && white[1].abs() < 0.05,
            "{white:?}"
        );
        let black = srgb_to_lab(&lin, [0.0; 3]);
        assert!(black[0].abs() < 0.01);
        for rgb in [[12.0, 200.0, 77.0], [255.0, 0.0, 0.0], [1.0, 2.0, 3.0]] {
            let back = lab_to_srgb(lab_to_lab(srgb_to_lab(&lin, rgb)));
            for c in 0..3 {
                assert!((back[c] - rgb[c]).abs() < 0.05, "{rgb:?} {back:?}");
            }
        }
    }

    fn lab_to_lab(lab: [f32; 3]) -> [f32; 3] {
        lch_to_lab(lab_to_lch(lab))
    }
}
