//! `af`, `afbg`, `afi`: Sharp's `affine([a, b, c, d], {background, interpolator})`,
//! i.e. libvips `affine` with no offsets. Also the engine behind [`super::rotate`].
//!
//! Geometry, as libvips: an input point (x, y) goes to (a·x + b·y, c·x + d·y), with
//! pixel (i, j) at the point (i, j) (no half-pixel shift). The output is the bounding
//! box of the four transformed corners (0,0), (w,0), (0,h), (w,h): left/top are the
//! rounded minima and width/height the rounded extents. Output pixel (x, y) samples the
//! input at the inverse transform of (x + left, y + top). Samples whose integer part is
//! within [-1, size-1] are interpolated with the background standing in for the pixels
//! outside the image (antialiased edges); the rest are background. Images with alpha
//! are interpolated premultiplied. A background with alpha < 255 adds an alpha channel.
//!
//! Interpolators (`afi`, default bicubic as Sharp):
//! - `nearest`, `bilinear`: as libvips.
//! - `bicubic`: Catmull-Rom, as libvips' bicubic.
//! - `lbb` (locally bounded bicubic): approximated by Catmull-Rom clamped to the range
//!   of the 2×2 nearest input pixels, which is the property LBB guarantees (no
//!   overshoot/halo); libvips' exact LBB slopes differ slightly.
//! - `nohalo`: libvips' nohalo is one subdivision step followed by LBB; we use the same
//!   locally bounded bicubic as `lbb` (the closest available; differences are
//!   sub-pixel sharpness on diagonal edges).
//! - `vsqbs` (vertex-split quadratic B-spline): approximated by the quadratic B-spline
//!   (3×3, non-interpolating, slightly smoothing), its closest standard relative.

use crate::error::{Error, Result};
use crate::ops::pixel::canvas::with_alpha_if;
use crate::ops::pixel::{known_variant, Layout, Sample};
use crate::params::{Interpolator, Rgba, MAX_DIMENSION};
use image::{DynamicImage, ImageBuffer};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine {
    /// `[a, b, c, d]`, row by row.
    pub matrix: [f64; 4],
    pub background: Rgba,
    pub interpolator: Interpolator,
}

impl Affine {
    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            let src = std::mem::take(img);
            *img = transform(src, self.matrix, self.background, self.interpolator)?;
        }
        Ok(())
    }
}

/// Where the transformed image lands: (left, top, width, height), as libvips computes
/// its default output area. Errors when a side would exceed [`MAX_DIMENSION`].
pub fn output_area(matrix: [f64; 4], width: u32, height: u32) -> Result<(f64, f64, u32, u32)> {
    let [a, b, c, d] = matrix;
    let (w, h) = (f64::from(width), f64::from(height));
    let corners = [(0.0, 0.0), (w, 0.0), (0.0, h), (w, h)];
    let xs = corners.map(|(x, y)| a * x + b * y);
    let ys = corners.map(|(x, y)| c * x + d * y);
    let min = |v: [f64; 4]| v.into_iter().fold(f64::INFINITY, f64::min);
    let max = |v: [f64; 4]| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
    let (left, right, top, bottom) = (min(xs), max(xs), min(ys), max(ys));
    let side = |extent: f64| -> Result<u32> {
        // libvips rounds half up (VIPS_ROUND_INT); a zero extent still gives one pixel.
        let n = (extent + 0.5).floor();
        if !n.is_finite() || n > f64::from(MAX_DIMENSION) {
            return Err(Error::ImageTooLarge(format!(
                "the transformed image would be {extent:.0} pixels across, over the \
                 {MAX_DIMENSION} limit"
            )));
        }
        Ok((n as u32).max(1))
    };
    let (ow, oh) = (side(right - left)?, side(bottom - top)?);
    Ok(((left + 0.5).floor(), (top + 0.5).floor(), ow, oh))
}

/// Transforms one image. `matrix` must be invertible (the parser guarantees
/// |det| ≥ 1e-6; a singular one is an error here rather than a panic).
pub fn transform(
    img: DynamicImage,
    matrix: [f64; 4],
    background: Rgba,
    interpolator: Interpolator,
) -> Result<DynamicImage> {
    let (img, warp) = prepare(img, matrix, background, interpolator)?;
    warp.apply(&img, true)
}

/// The image (with alpha added when the background needs it) and the warp to apply.
fn prepare(
    img: DynamicImage,
    matrix: [f64; 4],
    background: Rgba,
    interpolator: Interpolator,
) -> Result<(DynamicImage, Warp)> {
    let [a, b, c, d] = matrix;
    let det = a * d - b * c;
    if det == 0.0 || !det.is_finite() {
        return Err(Error::invalid_parameter(
            "af",
            format!("{matrix:?}"),
            "an invertible matrix",
        ));
    }
    let (left, top, ow, oh) = output_area(matrix, img.width(), img.height())?;
    let mut img = with_alpha_if(img, background.a < 255);
    known_variant(&mut img);
    let warp = Warp {
        inverse: [d / det, -b / det, -c / det, a / det],
        left,
        top,
        width: ow,
        height: oh,
        background,
        interpolator,
    };
    Ok((img, warp))
}

struct Warp {
    inverse: [f64; 4],
    left: f64,
    top: f64,
    width: u32,
    height: u32,
    background: Rgba,
    interpolator: Interpolator,
}

/// Separable weights for taps starting at `first`.
#[derive(Clone, Copy)]
struct Taps {
    first: i64,
    n: usize,
    w: [f32; 4],
}

fn taps(interpolator: Interpolator, t: f64) -> Taps {
    let fl = t.floor();
    let f = (t - fl) as f32;
    let i = fl as i64;
    match interpolator {
        Interpolator::Nearest => Taps {
            first: i,
            n: 1,
            w: [1.0, 0.0, 0.0, 0.0],
        },
        Interpolator::Bilinear => Taps {
            first: i,
            n: 2,
            w: [1.0 - f, f, 0.0, 0.0],
        },
        Interpolator::Bicubic | Interpolator::Lbb | Interpolator::Nohalo => {
            // Catmull-Rom (a = -0.5).
            let (f2, f3) = (f * f, f * f * f);
            Taps {
                first: i - 1,
                n: 4,
                w: [
                    -0.5 * f3 + f2 - 0.5 * f,
                    1.5 * f3 - 2.5 * f2 + 1.0,
                    -1.5 * f3 + 2.0 * f2 + 0.5 * f,
                    0.5 * f3 - 0.5 * f2,
                ],
            }
        }
        Interpolator::Vsqbs => {
            // Quadratic B-spline around the nearest pixel.
            let r = (t + 0.5).floor();
            let u = (t - r) as f32;
            Taps {
                first: r as i64 - 1,
                n: 3,
                w: [
                    0.5 * (0.5 - u) * (0.5 - u),
                    0.75 - u * u,
                    0.5 * (0.5 + u) * (0.5 + u),
                    0.0,
                ],
            }
        }
    }
}

impl Warp {
    /// `fast`: 8-bit images with the bilinear interpolator (rotate's case) take
    /// [`Self::bilinear_u8`]; otherwise (and in tests, as the reference) the generic path.
    fn apply(&self, img: &DynamicImage, fast: bool) -> Result<DynamicImage> {
        let layout = Layout::of(img);
        let fast = fast && self.interpolator == Interpolator::Bilinear;
        macro_rules! run {
            ($variant:ident, $buf:expr) => {
                DynamicImage::$variant(self.run($buf, layout))
            };
        }
        macro_rules! bilinear {
            ($variant:ident, $buf:expr, $ch:literal) => {
                DynamicImage::$variant(
                    ImageBuffer::from_raw(
                        self.width,
                        self.height,
                        self.bilinear_u8::<$ch>($buf, layout),
                    )
                    .expect("sized from width × height"),
                )
            };
        }
        Ok(match img {
            DynamicImage::ImageLuma8(b) if fast => bilinear!(ImageLuma8, b, 1),
            DynamicImage::ImageLumaA8(b) if fast => bilinear!(ImageLumaA8, b, 2),
            DynamicImage::ImageRgb8(b) if fast => bilinear!(ImageRgb8, b, 3),
            DynamicImage::ImageRgba8(b) if fast => bilinear!(ImageRgba8, b, 4),
            DynamicImage::ImageLuma8(b) => run!(ImageLuma8, b),
            DynamicImage::ImageLumaA8(b) => run!(ImageLumaA8, b),
            DynamicImage::ImageRgb8(b) => run!(ImageRgb8, b),
            DynamicImage::ImageRgba8(b) => run!(ImageRgba8, b),
            DynamicImage::ImageLuma16(b) => run!(ImageLuma16, b),
            DynamicImage::ImageLumaA16(b) => run!(ImageLumaA16, b),
            DynamicImage::ImageRgb16(b) => run!(ImageRgb16, b),
            DynamicImage::ImageRgba16(b) => run!(ImageRgba16, b),
            DynamicImage::ImageRgb32F(b) => run!(ImageRgb32F, b),
            DynamicImage::ImageRgba32F(b) => run!(ImageRgba32F, b),
            _ => return Err(Error::Internal("unknown pixel type".into())),
        })
    }

    fn run<S: Sample, P: image::Pixel<Subpixel = S>>(
        &self,
        src: &[S],
        layout: Layout,
    ) -> ImageBuffer<P, Vec<S>> {
        let ch = layout.channels;
        let (sw, sh) = (layout.width as i64, layout.height as i64);
        let bg = self.background_pixel(layout);
        let fetch = |x: i64, y: i64| -> [f32; 4] {
            if x < 0 || y < 0 || x >= sw || y >= sh {
                return bg;
            }
            let i = (y as usize * layout.width + x as usize) * ch;
            let mut p = [0f32; 4];
            for c in 0..ch {
                p[c] = src[i + c].to_u8_scale();
            }
            if layout.alpha {
                let a = p[ch - 1] / 255.0;
                for v in p[..ch - 1].iter_mut() {
                    *v *= a;
                }
            }
            p
        };
        let bounded = matches!(self.interpolator, Interpolator::Lbb | Interpolator::Nohalo);
        let [ia, ib, ic, id] = self.inverse;
        let mut out = Vec::with_capacity(self.width as usize * self.height as usize * ch);
        for y in 0..self.height {
            let oy = f64::from(y) + self.top;
            for x in 0..self.width {
                let ox = f64::from(x) + self.left;
                let ix = ia * ox + ib * oy;
                let iy = ic * ox + id * oy;
                let inside = ix >= -1.0 && iy >= -1.0 && ix < sw as f64 && iy < sh as f64;
                let mut px = if inside {
                    let (tx, ty) = (taps(self.interpolator, ix), taps(self.interpolator, iy));
                    let mut acc = [0f32; 4];
                    for j in 0..ty.n {
                        let mut row = [0f32; 4];
                        for i in 0..tx.n {
                            let p = fetch(tx.first + i as i64, ty.first + j as i64);
                            for c in 0..ch {
                                row[c] += p[c] * tx.w[i];
                            }
                        }
                        for c in 0..ch {
                            acc[c] += row[c] * ty.w[j];
                        }
                    }
                    if bounded {
                        // Clamp to the 2×2 neighbourhood: no overshoot.
                        let (x0, y0) = (ix.floor() as i64, iy.floor() as i64);
                        let n = [
                            fetch(x0, y0),
                            fetch(x0 + 1, y0),
                            fetch(x0, y0 + 1),
                            fetch(x0 + 1, y0 + 1),
                        ];
                        for c in 0..ch {
                            let lo = n.iter().map(|p| p[c]).fold(f32::INFINITY, f32::min);
                            let hi = n.iter().map(|p| p[c]).fold(f32::NEG_INFINITY, f32::max);
                            acc[c] = acc[c].clamp(lo, hi);
                        }
                    }
                    acc
                } else {
                    bg
                };
                unpremultiply(&mut px, layout);
                out.extend(px[..ch].iter().map(|v| S::from_u8_scale(*v)));
            }
        }
        ImageBuffer::from_raw(self.width, self.height, out).expect("sized from width × height")
    }

    /// Bilinear sampling of 8-bit images with `CH` channels: only the columns of each
    /// row that can see the image are visited (the rest is background, filled in bulk),
    /// and pixels whose four taps are inside an opaque image are interpolated in fixed
    /// point, their positions stepped along the row. Pixels on the image's edges, and
    /// images with alpha, use the same float arithmetic as [`Self::run`]. Within ±1 of
    /// `run`.
    fn bilinear_u8<const CH: usize>(&self, src: &[u8], layout: Layout) -> Vec<u8> {
        let (sw, sh) = (layout.width, layout.height);
        let bg_premultiplied = self.background_pixel(layout);
        let mut bg_px = bg_premultiplied;
        unpremultiply(&mut bg_px, layout);
        let bg: [u8; CH] = std::array::from_fn(|c| u8::from_u8_scale(bg_px[c]));
        let (ow, oh) = (self.width as usize, self.height as usize);
        // Zeroed memory comes from the OS untouched: a black or transparent background
        // costs neither time nor resident memory where nothing else is written.
        let mut out = vec![0u8; ow * oh * CH];
        if bg.iter().any(|v| *v != 0) {
            for px in out.chunks_exact_mut(CH) {
                px.copy_from_slice(&bg);
            }
        }
        if ow == 0 {
            return out;
        }
        let [ia, ib, ic, id] = self.inverse;
        let (swf, shf) = (sw as f64, sh as f64);
        // Source positions step linearly along a row: 32.32 fixed point, so no float
        // work per pixel (the accumulated error over 16384 columns is < 2^-18 pixel).
        let to_fixed = |v: f64| (v * FIXED_STEP_ONE).round() as i64;
        let (step_x, step_y) = (to_fixed(ia), to_fixed(ic));
        // Pre-rounds the 12-bit weights taken from the top fraction bits.
        let round = 1i64 << (STEP_BITS - FIXED_BITS - 1);
        let (last_x, last_y) = (sw as u64 - 1, sh as u64 - 1);
        for (y, row) in out.chunks_exact_mut(ow * CH).enumerate() {
            let oy = y as f64 + self.top;
            let (start, end) = self.columns_seeing_image(oy, sw, sh);
            let ox = start as f64 + self.left;
            let mut fx = to_fixed(ia * ox + ib * oy) + round;
            let mut fy = to_fixed(ic * ox + id * oy) + round;
            for (x, dst) in (start..end).zip(row[start * CH..end * CH].chunks_exact_mut(CH)) {
                let (x0, y0) = (fx >> STEP_BITS, fy >> STEP_BITS);
                // All four taps inside an opaque image (negatives wrap to huge).
                if !layout.alpha && (x0 as u64) < last_x && (y0 as u64) < last_y {
                    let shift = STEP_BITS - FIXED_BITS;
                    let wx = ((fx >> shift) & FIXED_MASK) as u32;
                    let wy = ((fy >> shift) & FIXED_MASK) as u32;
                    let top = (y0 as usize * sw + x0 as usize) * CH;
                    let bottom = top + sw * CH;
                    let (upper_row, lower_row) =
                        (&src[top..top + 2 * CH], &src[bottom..bottom + 2 * CH]);
                    for c in 0..CH {
                        let upper = u32::from(upper_row[c]) * (FIXED_ONE - wx)
                            + u32::from(upper_row[CH + c]) * wx;
                        let lower = u32::from(lower_row[c]) * (FIXED_ONE - wx)
                            + u32::from(lower_row[CH + c]) * wx;
                        // ≤ 255·2^24 + 2^23: fits u32.
                        let v = upper * (FIXED_ONE - wy) + lower * wy + (1 << (2 * FIXED_BITS - 1));
                        dst[c] = (v >> (2 * FIXED_BITS)) as u8;
                    }
                } else {
                    // The same coordinates and inside test as `run`.
                    let ox = x as f64 + self.left;
                    let ix = ia * ox + ib * oy;
                    let iy = ic * ox + id * oy;
                    if ix >= -1.0 && iy >= -1.0 && ix < swf && iy < shf {
                        let mut px = bilinear_float::<CH>(src, layout, &bg_premultiplied, ix, iy);
                        unpremultiply(&mut px, layout);
                        for c in 0..CH {
                            dst[c] = u8::from_u8_scale(px[c]);
                        }
                    }
                }
                // Only the columns that see the image are stepped, so positions stay
                // far from overflow; wrapping keeps debug builds from checking.
                fx = fx.wrapping_add(step_x);
                fy = fy.wrapping_add(step_y);
            }
        }
        out
    }

    /// Output columns [start, end) of the row at `oy` that may sample the image (inverse
    /// x in [−1, width), y in [−1, height)), with a margin for rounding; every column
    /// outside is background.
    fn columns_seeing_image(&self, oy: f64, sw: usize, sh: usize) -> (usize, usize) {
        let [ia, ib, ic, id] = self.inverse;
        let ow = f64::from(self.width);
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        // Each inverse coordinate is slope·ox + offset.
        for (slope, offset, limit) in [(ia, ib * oy, sw as f64), (ic, id * oy, sh as f64)] {
            if slope == 0.0 {
                if !(offset >= -1.0 && offset < limit) {
                    return (0, 0);
                }
                continue;
            }
            let (p, q) = ((-1.0 - offset) / slope, (limit - offset) / slope);
            lo = lo.max(p.min(q));
            hi = hi.min(p.max(q));
        }
        let start = (lo - self.left - 2.0).floor();
        let end = (hi - self.left + 2.0).ceil();
        if start.is_nan() || end.is_nan() {
            return (0, self.width as usize);
        }
        (
            start.clamp(0.0, ow) as usize,
            end.clamp(0.0, ow).max(start.clamp(0.0, ow)) as usize,
        )
    }

    /// The background as a premultiplied pixel of this layout, 8-bit scale.
    fn background_pixel(&self, layout: Layout) -> [f32; 4] {
        let bg = self.background;
        let a = f32::from(bg.a);
        let colour = if layout.colour() == 1 {
            // Rec. 601, as the other canvas colours.
            let g = (u32::from(bg.r) * 299 + u32::from(bg.g) * 587 + u32::from(bg.b) * 114 + 500)
                / 1000;
            [g as f32; 3]
        } else {
            [bg.r, bg.g, bg.b].map(f32::from)
        };
        let mut p = [0f32; 4];
        p[..layout.colour()].copy_from_slice(&colour[..layout.colour()]);
        if layout.alpha {
            for v in p[..layout.colour()].iter_mut() {
                *v *= a / 255.0;
            }
            p[layout.colour()] = a;
        }
        p
    }
}

/// Fixed-point fractions of the fast bilinear path: 12 bits keep the interpolated value
/// within 0.1 of the float result, and the 2-D sum of 8-bit samples within u32.
const FIXED_BITS: u32 = 12;
const FIXED_ONE: u32 = 1 << FIXED_BITS;
const FIXED_MASK: i64 = FIXED_ONE as i64 - 1;
/// Fraction bits of the source positions stepped along a row.
const STEP_BITS: u32 = 32;
const FIXED_STEP_ONE: f64 = (1u64 << STEP_BITS) as f64;

/// Bilinear sample at (ix, iy) with the background standing in outside the image,
/// premultiplied if the layout has alpha: the arithmetic of [`Warp::run`], step by step.
fn bilinear_float<const CH: usize>(
    src: &[u8],
    layout: Layout,
    bg: &[f32; 4],
    ix: f64,
    iy: f64,
) -> [f32; 4] {
    let (sw, sh) = (layout.width as i64, layout.height as i64);
    let fetch = |x: i64, y: i64| -> [f32; 4] {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            return *bg;
        }
        let i = (y as usize * layout.width + x as usize) * CH;
        let mut p = [0f32; 4];
        for c in 0..CH {
            p[c] = src[i + c].to_u8_scale();
        }
        if layout.alpha {
            let a = p[CH - 1] / 255.0;
            for v in p[..CH - 1].iter_mut() {
                *v *= a;
            }
        }
        p
    };
    let (tx, ty) = (
        taps(Interpolator::Bilinear, ix),
        taps(Interpolator::Bilinear, iy),
    );
    let mut acc = [0f32; 4];
    for j in 0..2 {
        let mut row = [0f32; 4];
        for i in 0..2 {
            let p = fetch(tx.first + i as i64, ty.first + j as i64);
            for c in 0..CH {
                row[c] += p[c] * tx.w[i];
            }
        }
        for c in 0..CH {
            acc[c] += row[c] * ty.w[j];
        }
    }
    acc
}

/// Undoes premultiplication (8-bit scale) when the layout has alpha.
fn unpremultiply(px: &mut [f32; 4], layout: Layout) {
    if layout.alpha {
        let ch = layout.channels;
        let a = px[ch - 1].clamp(0.0, 255.0);
        for v in px[..ch - 1].iter_mut() {
            *v = if a > 0.0 { *v * 255.0 / a } else { 0.0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::pixel::tests::every_variant;
    use crate::ops::testutil::{bound, like_sharp, Op};
    use image::GenericImageView;

    fn op(matrix: [f64; 4], interpolator: Interpolator) -> Affine {
        Affine {
            matrix,
            background: Rgba::BLACK,
            interpolator,
        }
    }

    /// Pairs our interpolators cannot tell apart against Sharp's: our `lbb` and `nohalo`
    /// are the same clamped Catmull-Rom (libvips' LBB slopes and nohalo's subdivision
    /// are not implemented), and on this fixture Sharp's lbb/nohalo differ from its
    /// bicubic by less than our approximation's own error (mean 0.34 and 0.74 levels
    /// against Sharp's, bicubic 0.38 and 0.79). Every other wrong interpolator must fail.
    fn indistinguishable(ours: &str, wrong: &str) -> bool {
        let approximated = ["affine-lbb", "affine-nohalo"];
        approximated.contains(&ours) && (approximated.contains(&wrong) || wrong == "affine-bicubic")
    }

    #[test]
    fn matches_sharp_for_every_interpolator() {
        let m = [1.0, 0.3, 0.1, 0.8];
        let all = [
            (Interpolator::Bicubic, "affine-bicubic", bound(0.999, 0.18)),
            (Interpolator::Nearest, "affine-nearest", bound(0.99, 1.0)),
            (Interpolator::Bilinear, "affine-bilinear", bound(0.999, 0.5)),
            (Interpolator::Lbb, "affine-lbb", bound(0.999, 0.5)),
            (Interpolator::Nohalo, "affine-nohalo", bound(0.998, 1.0)),
            (Interpolator::Vsqbs, "affine-vsqbs", bound(0.999, 0.5)),
        ];
        type Boxed = Box<dyn Fn(&mut [DynamicImage]) -> Result<()>>;
        let ops: Vec<Boxed> = all
            .iter()
            .map(|&(interp, ..)| {
                Box::new(move |f: &mut [DynamicImage]| op(m, interp).apply(f)) as Box<_>
            })
            .collect();
        for (i, &(_, name, b)) in all.iter().enumerate() {
            // Every other interpolator is a wrong answer that must fail.
            let wrong: Vec<(&str, Op)> = all
                .iter()
                .enumerate()
                .filter(|&(j, (_, other, _))| j != i && !indistinguishable(name, other))
                .map(|(j, (_, other, _))| (*other, &*ops[j] as Op))
                .collect();
            like_sharp("ops-photo.png", name, b, &*ops[i], &wrong);
        }
        let white = |m| Affine {
            background: Rgba::WHITE,
            ..op(m, Interpolator::Bicubic)
        };
        like_sharp(
            "ops-photo.png",
            "affine-flip-white",
            bound(0.999, 0.5),
            &|f| white([-0.7, 0.7, 0.7, 0.7]).apply(f),
            &[
                ("black background", &|f| {
                    op([-0.7, 0.7, 0.7, 0.7], Interpolator::Bicubic).apply(f)
                }),
                ("mirrored matrix", &|f| {
                    white([0.7, 0.7, -0.7, 0.7]).apply(f)
                }),
            ],
        );
    }

    /// Deterministic noise, so failures reproduce.
    fn noise_image(w: u32, h: u32, seed: u64) -> image::RgbaImage {
        let mut state = seed;
        image::RgbaImage::from_fn(w, h, |_, _| {
            let mut px = [0u8; 4];
            for v in px.iter_mut() {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *v = (state >> 56) as u8;
            }
            // Some fully transparent and fully opaque pixels too.
            match px[3] % 8 {
                0 => px[3] = 0,
                1 => px[3] = 255,
                _ => {}
            }
            image::Rgba(px)
        })
    }

    #[test]
    fn fast_bilinear_is_within_one_of_the_generic_path() {
        let rotation = |deg: f64| {
            let (s, c) = deg.to_radians().sin_cos();
            [c, -s, s, c]
        };
        let mut matrices: Vec<[f64; 4]> = [1.0, 10.0, 33.0, 45.0, 90.0, 135.0, 200.0, 271.0]
            .into_iter()
            .map(rotation)
            .collect();
        matrices.extend([
            [1.0, 0.0, 0.0, 1.0],
            [1.0, 0.3, 0.1, 0.8],
            [2.5, 0.0, 0.0, 0.4],
            [-1.0, 0.0, 0.0, 1.0],
            [0.3, 1.7, -1.2, 0.2],
        ]);
        let backgrounds = [
            Rgba::BLACK,
            Rgba::WHITE,
            Rgba::TRANSPARENT,
            Rgba::new(10, 200, 30, 128),
        ];
        let sizes = [(1, 1), (2, 1), (1, 2), (2, 2), (7, 5), (40, 23), (150, 90)];
        let mut samples = 0usize;
        let mut exact = 0usize;
        for (n, (w, h)) in sizes.into_iter().enumerate() {
            let rgba = DynamicImage::ImageRgba8(noise_image(w, h, n as u64));
            let variants = [
                DynamicImage::ImageLuma8(rgba.to_luma8()),
                DynamicImage::ImageLumaA8(rgba.to_luma_alpha8()),
                DynamicImage::ImageRgb8(rgba.to_rgb8()),
                rgba.clone(),
            ];
            for img in variants {
                for &matrix in &matrices {
                    for bg in backgrounds {
                        let (img, warp) =
                            prepare(img.clone(), matrix, bg, Interpolator::Bilinear).unwrap();
                        let fast = warp.apply(&img, true).unwrap();
                        let reference = warp.apply(&img, false).unwrap();
                        assert_eq!(fast.color(), reference.color());
                        assert_eq!(fast.dimensions(), reference.dimensions());
                        for (a, b) in fast.as_bytes().iter().zip(reference.as_bytes()) {
                            assert!(
                                a.abs_diff(*b) <= 1,
                                "{:?} {w}×{h} {matrix:?} {bg:?}: {a} vs {b}",
                                img.color()
                            );
                            samples += 1;
                            exact += usize::from(a == b);
                        }
                    }
                }
            }
        }
        // Off by one only where a fixed-point result lands next to a rounding edge.
        assert!(exact as f64 > 0.95 * samples as f64, "{exact} of {samples}");
    }

    #[test]
    fn output_sizes_like_libvips() {
        assert_eq!(
            output_area([1.0, 0.0, 0.0, 1.0], 10, 7).unwrap(),
            (0.0, 0.0, 10, 7)
        );
        assert_eq!(output_area([2.0, 0.0, 0.0, 0.5], 10, 7).unwrap().2, 20);
        assert_eq!(output_area([1.0, 0.3, 0.1, 0.8], 128, 96).unwrap().2, 157);
        assert_eq!(
            output_area([-1.0, 0.0, 0.0, 1.0], 10, 7).unwrap(),
            (-10.0, 0.0, 10, 7)
        );
        // A tiny scale still gives a pixel.
        assert_eq!(output_area([0.001, 0.0, 0.0, 0.001], 10, 7).unwrap().2, 1);
        assert!(matches!(
            output_area([100.0, 0.0, 0.0, 1.0], 200, 10),
            Err(Error::ImageTooLarge(_))
        ));
        assert!(matches!(
            output_area([100.0, 100.0, 100.0, -100.0], 16384, 16384),
            Err(Error::ImageTooLarge(_))
        ));
    }

    #[test]
    fn every_type_every_interpolator_tiny_images() {
        for img in every_variant(3, 2).into_iter().chain(every_variant(1, 1)) {
            for interp in Interpolator::ALL {
                let mut f = [img.clone()];
                op([0.5, -1.0, 1.0, 0.5], *interp).apply(&mut f).unwrap();
                assert_eq!(f[0].color(), img.color(), "{interp:?}");
            }
        }
    }

    #[test]
    fn identity_is_exact_and_translucent_background_adds_alpha() {
        let img = every_variant(5, 4).remove(2);
        // vsqbs smooths (it does not interpolate), so it is not exact.
        for interp in Interpolator::ALL
            .iter()
            .filter(|i| **i != Interpolator::Vsqbs)
        {
            let mut f = [img.clone()];
            op([1.0, 0.0, 0.0, 1.0], *interp).apply(&mut f).unwrap();
            assert_eq!(f[0], img, "{interp:?}");
        }
        let mut f = [img];
        let mut a = op([0.7, 0.7, -0.7, 0.7], Interpolator::Bilinear);
        a.background = Rgba::TRANSPARENT;
        a.apply(&mut f).unwrap();
        assert!(f[0].color().has_alpha());
        assert_eq!(f[0].to_rgba8().get_pixel(0, 0)[3], 0);
    }
}
