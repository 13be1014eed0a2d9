//! CMYK: the profile we ship, sRGB → CMYK for `tc=cmyk`, and the profile assumed for
//! CMYK inputs that carry none.
//!
//! The profile is `CGATS001Compat-v2-micro.icc` from saucecontrol/Compact-ICC-Profiles
//! (CC0 1.0, 8464 bytes; `cmyk_profile.icc`, see `CMYK_PROFILE.md`): a SWOP-like press
//! characterisation (CGATS TR 001) whose one table, A2B0, maps CMYK to Lab. It is small
//! enough to embed in every CMYK output, so any colour-managed reader shows the colours we
//! meant. libvips' own CMYK profile (ArgyllCMS' "Chemical proof", public domain by its
//! copyright tag) is 940 KB, too large to put in each output, so Sharp writes its CMYK files
//! without one; we do not use it.
//!
//! The profile has no B2A (Lab → CMYK) table, so it cannot convert *to* CMYK by itself.
//! [`Separation`] inverts its A2B0 once per process: for each point of a grid over sRGB it
//! solves for the inks whose Lab is closest to the point's (damped Gauss-Newton, started
//! from the naive formula), with a grey-component rule choosing how much black to use (a
//! soft constraint, so colours the rule cannot reach still come out right). Pixels are then
//! interpolated in that grid. Colours outside the press gamut end up at the closest
//! printable colour in Lab, as a colorimetric clip would.

use std::sync::OnceLock;

use image::DynamicImage;
use moxcms::{CmsError, ColorProfile, Layout, TransformOptions};

use super::{EncodeOptions, Frame, OutputFormat};
use crate::error::Error;

/// The shipped CMYK profile (CC0): embedded in CMYK outputs, assumed for CMYK inputs
/// without a profile.
pub(super) const PROFILE: &[u8] = include_bytes!("cmyk_profile.icc");

/// Grid points per sRGB axis of the inverse table.
const GRID: usize = 33;
/// Gauss-Newton steps per grid point.
const ITERATIONS: usize = 24;
/// Lab units one unit of black away from the rule costs: small, so reaching the colour
/// wins over the rule.
const BLACK_WEIGHT: f32 = 4.0;

/// CIE Lab (D50) of ProPhoto RGB values: the space the solver measures distance in.
/// ProPhoto's gamut holds every press colour, so nothing is clipped on the way.
struct LabOfProPhoto {
    to_xyz: [[f32; 3]; 3],
    white: [f32; 3],
}

impl LabOfProPhoto {
    fn new(prophoto: &ColorProfile) -> LabOfProPhoto {
        let m = prophoto
            .rgb_to_xyz_matrix()
            .v
            .map(|row| row.map(|v| v as f32));
        let white = std::array::from_fn(|i| m[i].iter().sum());
        LabOfProPhoto { to_xyz: m, white }
    }

    fn lab(&self, rgb: &[f32]) -> [f32; 3] {
        // ProPhoto's transfer function is a pure 1.8 power.
        let linear: [f32; 3] = std::array::from_fn(|i| rgb[i].max(0.0).powf(1.8));
        let f = |i: usize| {
            let t: f32 = (0..3).map(|j| self.to_xyz[i][j] * linear[j]).sum::<f32>() / self.white[i];
            if t > 216.0 / 24389.0 {
                t.cbrt()
            } else {
                (24389.0 / 27.0 * t + 16.0) / 116.0
            }
        };
        let (fx, fy, fz) = (f(0), f(1), f(2));
        [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
    }

    fn lab_all(&self, rgb: &[f32]) -> Vec<f32> {
        rgb.chunks_exact(3).flat_map(|c| self.lab(c)).collect()
    }
}

/// sRGB → CMYK: the inks (0–1) at each grid point, r slowest, b fastest.
struct Separation {
    inks: Vec<[f32; 4]>,
}

fn transform_options() -> TransformOptions {
    TransformOptions {
        prefer_fixed_point: false,
        ..TransformOptions::default()
    }
}

/// How much black the rule puts in a colour: none for light colours, then rising to full
/// black, from the naive black (1 − the largest sRGB component).
fn black_rule(rgb: [f32; 3]) -> f32 {
    let naive = 1.0 - rgb[0].max(rgb[1]).max(rgb[2]);
    ((naive - 0.25) / 0.75).clamp(0.0, 1.0)
}

/// The naive separation with the rule's black: the solver's starting point.
fn first_guess(rgb: [f32; 3]) -> [f32; 4] {
    let k = black_rule(rgb);
    let ink = |c: f32| ((1.0 - c - k) / (1.0 - k).max(1e-3)).clamp(0.0, 1.0);
    [ink(rgb[0]), ink(rgb[1]), ink(rgb[2]), k]
}

/// Solves `a x = b` (4×4) by Gaussian elimination with partial pivoting.
fn solve4(mut a: [[f32; 4]; 4], mut b: [f32; 4]) -> Option<[f32; 4]> {
    for col in 0..4 {
        let pivot = (col..4).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..4 {
            let f = a[row][col] / pivot_row[col];
            for (v, p) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *v -= f * p;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0f32; 4];
    for row in (0..4).rev() {
        let sum: f32 = (row + 1..4).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - sum) / a[row][row];
    }
    Some(x)
}

/// One damped Gauss-Newton step for one grid point. `lab` holds the Lab of the inks and of
/// the inks with each channel moved by `steps[c]` (5 × 3 values).
fn refine(inks: [f32; 4], steps: [f32; 4], lab: &[f32], target: &[f32], black: f32) -> [f32; 4] {
    let at = |probe: usize, c: usize| lab[probe * 3 + c];
    // Residuals: the Lab error, and the black rule as a fourth, weighted equation.
    let mut r = [0f32; 4];
    let mut j = [[0f32; 4]; 4];
    for c in 0..3 {
        r[c] = at(0, c) - target[c];
        for (ink, step) in steps.iter().enumerate() {
            j[c][ink] = (at(ink + 1, c) - at(0, c)) / step;
        }
    }
    r[3] = BLACK_WEIGHT * (inks[3] - black);
    j[3][3] = BLACK_WEIGHT;
    // Normal equations with Levenberg damping: (JᵀJ + μ) δ = −Jᵀr.
    let mut a = [[0f32; 4]; 4];
    let mut g = [0f32; 4];
    for p in 0..4 {
        for q in 0..4 {
            a[p][q] = (0..4).map(|row| j[row][p] * j[row][q]).sum();
        }
        g[p] = -(0..4).map(|row| j[row][p] * r[row]).sum::<f32>();
    }
    let damping = 1e-3 * (0..4).map(|i| a[i][i]).fold(0.0, f32::max) + 1e-6;
    (0..4).for_each(|i| a[i][i] += damping);
    let Some(delta) = solve4(a, g) else {
        return inks;
    };
    // Long steps overshoot where the table bends; a quarter of the range is plenty.
    std::array::from_fn(|i| (inks[i] + delta[i].clamp(-0.25, 0.25)).clamp(0.0, 1.0))
}

impl Separation {
    fn build() -> Result<Separation, CmsError> {
        let profile = ColorProfile::new_from_slice(PROFILE)?;
        let prophoto = ColorProfile::new_pro_photo_rgb();
        let lab = LabOfProPhoto::new(&prophoto);
        let inks_to_wide = profile.create_transform_f32(
            Layout::Rgba,
            &prophoto,
            Layout::Rgb,
            transform_options(),
        )?;
        let srgb_to_wide = ColorProfile::new_srgb().create_transform_f32(
            Layout::Rgb,
            &prophoto,
            Layout::Rgb,
            transform_options(),
        )?;
        let points = GRID * GRID * GRID;
        let unit = |i: usize| i as f32 / (GRID - 1) as f32;
        let rgb: Vec<[f32; 3]> = (0..points)
            .map(|i| {
                [
                    unit(i / (GRID * GRID)),
                    unit(i / GRID % GRID),
                    unit(i % GRID),
                ]
            })
            .collect();
        let mut wide = vec![0f32; points * 3];
        srgb_to_wide.transform(rgb.as_flattened(), &mut wide)?;
        let target = lab.lab_all(&wide);
        let black: Vec<f32> = rgb.iter().map(|&c| black_rule(c)).collect();
        let mut inks: Vec<[f32; 4]> = rgb.iter().map(|&c| first_guess(c)).collect();
        // Each step evaluates every point and its four nudged copies in one call.
        let mut probes = vec![0f32; points * 5 * 4];
        let mut probe_wide = vec![0f32; points * 5 * 3];
        let mut steps = vec![[0f32; 4]; points];
        for _ in 0..ITERATIONS {
            for (i, ink) in inks.iter().enumerate() {
                let out = &mut probes[i * 20..i * 20 + 20];
                out[..4].copy_from_slice(ink);
                for c in 0..4 {
                    // Nudge inwards at the top of the range.
                    let step = if ink[c] > 0.99 { -0.01 } else { 0.01 };
                    steps[i][c] = step;
                    let probe = &mut out[4 + c * 4..8 + c * 4];
                    probe.copy_from_slice(ink);
                    probe[c] += step;
                }
            }
            inks_to_wide.transform(&probes, &mut probe_wide)?;
            let probe_lab = lab.lab_all(&probe_wide);
            for (i, ink) in inks.iter_mut().enumerate() {
                let lab = &probe_lab[i * 15..i * 15 + 15];
                *ink = refine(*ink, steps[i], lab, &target[i * 3..i * 3 + 3], black[i]);
            }
        }
        Ok(Separation { inks })
    }

    /// The inks (0 = none, 255 = full) for an 8-bit sRGB colour, trilinear in the grid.
    fn inks(&self, rgb: [u8; 3]) -> [u8; 4] {
        let scale = (GRID - 1) as f32 / 255.0;
        let pos = rgb.map(|v| f32::from(v) * scale);
        let base = pos.map(|p| (p as usize).min(GRID - 2));
        let frac: [f32; 3] = std::array::from_fn(|i| pos[i] - base[i] as f32);
        let mut sum = [0f32; 4];
        for corner in 0..8 {
            let bit = |axis: usize| (corner >> (2 - axis)) & 1;
            let weight: f32 = (0..3)
                .map(|a| if bit(a) == 1 { frac[a] } else { 1.0 - frac[a] })
                .product();
            let index =
                (base[0] + bit(0)) * GRID * GRID + (base[1] + bit(1)) * GRID + base[2] + bit(2);
            let ink = self.inks[index];
            (0..4).for_each(|c| sum[c] += weight * ink[c]);
        }
        sum.map(|v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
    }
}

/// The separation table, built once, on first use.
fn separation() -> Result<&'static Separation, Error> {
    static TABLE: OnceLock<Result<Separation, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| Separation::build().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Internal(format!("the CMYK separation table: {e}")))
}

/// An image separated into inks (4 a pixel, 0 = no ink) and its alpha, if any.
pub(super) struct Inks {
    pub width: u32,
    pub height: u32,
    pub ink: Vec<u8>,
    pub alpha: Option<Vec<u8>>,
}

/// Separates an (s)RGB or grey image into the shipped profile's inks.
pub(super) fn separate(image: &DynamicImage) -> Result<Inks, Error> {
    let table = separation()?;
    let rgba = image.to_rgba8();
    let alpha = image
        .color()
        .has_alpha()
        .then(|| rgba.pixels().map(|p| p[3]).collect());
    let ink = rgba
        .pixels()
        .flat_map(|p| table.inks([p[0], p[1], p[2]]))
        .collect();
    Ok(Inks {
        width: image.width(),
        height: image.height(),
        ink,
        alpha,
    })
}

impl Inks {
    /// Alpha flattened in ink, onto bare paper (ink × alpha), and dropped: what Sharp
    /// writes for CMYK JPEG with alpha.
    pub fn flattened(mut self) -> Vec<u8> {
        if let Some(alpha) = self.alpha.take() {
            for (px, a) in self.ink.chunks_exact_mut(4).zip(alpha) {
                px.iter_mut()
                    .for_each(|v| *v = ((u32::from(*v) * u32::from(a) + 127) / 255) as u8);
            }
        }
        self.ink
    }
}

/// CMYK (0 = no ink) → sRGB bytes through `icc`.
pub(super) fn to_srgb(cmyk: &[u8], icc: &[u8]) -> Result<Vec<u8>, CmsError> {
    let profile = ColorProfile::new_from_slice(icc)?;
    if profile.color_space != moxcms::DataColorSpace::Cmyk {
        return Err(CmsError::UnsupportedProfileConnection);
    }
    // moxcms reads 8-bit CMYK with the RGBA layout.
    let transform = profile.create_transform_8bit(
        Layout::Rgba,
        &ColorProfile::new_srgb(),
        Layout::Rgb,
        TransformOptions::default(),
    )?;
    let mut rgb = vec![0u8; cmyk.len() / 4 * 3];
    transform.transform(cmyk, &mut rgb)?;
    Ok(rgb)
}

/// Replaces the colours with what a CMYK round trip leaves (separated with the shipped
/// profile and read back through it): Sharp's output for `tc=cmyk` in formats that cannot
/// hold CMYK. Alpha is kept.
pub(super) fn round_trip(image: &DynamicImage) -> Result<DynamicImage, Error> {
    let inks = separate(image)?;
    let rgb = to_srgb(&inks.ink, PROFILE)
        .map_err(|e| Error::Internal(format!("CMYK round trip: {e}")))?;
    let (w, h) = (inks.width, inks.height);
    let bad = || Error::Internal("CMYK round trip: buffer size".into());
    Ok(match inks.alpha {
        None => DynamicImage::ImageRgb8(image::RgbImage::from_raw(w, h, rgb).ok_or_else(bad)?),
        Some(alpha) => {
            let rgba = rgb
                .chunks_exact(3)
                .zip(alpha)
                .flat_map(|(c, a)| [c[0], c[1], c[2], a])
                .collect();
            DynamicImage::ImageRgba8(image::RgbaImage::from_raw(w, h, rgba).ok_or_else(bad)?)
        }
    })
}

/// `tc=cmyk`: separated into inks for JPEG and TIFF (alpha flattened in ink for JPEG,
/// kept as an extra sample in TIFF, as Sharp does), round-tripped through CMYK for the rest.
pub(super) fn encode(
    frames: &[Frame],
    loop_count: u16,
    opts: &EncodeOptions,
) -> Result<Vec<u8>, Error> {
    let first = &frames[0].image;
    match opts.format {
        OutputFormat::Jpeg => {
            let inks = separate(first)?;
            let (w, h) = (inks.width, inks.height);
            let ink = inks.flattened();
            super::jpeg::encode_cmyk(w, h, &ink, opts.quality, opts.lossless, PROFILE)
        }
        OutputFormat::Tiff => {
            let inks = separate(first)?;
            let alpha = inks.alpha.as_deref();
            super::tiff::encode_cmyk(inks.width, inks.height, &inks.ink, alpha, PROFILE)
        }
        _ => {
            let printed = frames
                .iter()
                .map(|f| {
                    Ok(Frame {
                        image: round_trip(&f.image)?,
                        delay_ms: f.delay_ms,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let srgb = EncodeOptions {
                cmyk: false,
                ..*opts
            };
            super::encode(&printed, loop_count, &srgb)
        }
    }
}

#[cfg(test)]
mod tests;
