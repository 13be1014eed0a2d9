//! `w`, `h`, `f`, `p`, `bg`, `k`: Sharp's `resize` with `withoutEnlargement` always on
//! (the seed's rule: never scale an image up).
//!
//! The geometry follows Sharp: one shrink factor per axis from the requested box and
//! the fit, clamped to ≥ 1 (no enlargement), output sides `round(side / shrink)`; then
//! `cover` crops to the box (never past the resized image), `contain` embeds into the
//! box on `bg`. Resampling is `fast_image_resize`, alpha premultiplied.
//!
//! Where a cover crop goes: on `fp` when given, else `p`'s gravity or strategy
//! (`p=face` finds the faces on the image before it is resampled, see [`face`]).

use std::time::Instant;

use super::face::{self, FaceBox};
use super::strategy;
use crate::error::{Error, Result};
use crate::ops::pixel::canvas;
use crate::params::{Fit, FocalPoint, Gravity, Kernel, Position, Rgba, Strategy};
use fast_image_resize as fr;
use image::DynamicImage;

#[derive(Debug, Clone, PartialEq)]
pub struct Resize {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub position: Position,
    /// `fp`: a cover crop is centred here, whatever `position` says (the plan refuses
    /// `fp` with `p`).
    pub focal_point: Option<FocalPoint>,
    pub background: Rgba,
    pub kernel: Kernel,
}

/// What the resize does to a `source`-sized image.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geometry {
    /// Size after resampling.
    pub scaled: (u32, u32),
    /// Then cut to this box (cover) …
    pub crop: Option<(u32, u32)>,
    /// … or embedded in this box (contain).
    pub embed: Option<(u32, u32)>,
}

fn scaled_side(side: u32, shrink: f64) -> u32 {
    ((side as f64 / shrink).round() as u32).clamp(1, side.max(1))
}

impl Resize {
    pub fn geometry(&self, source: (u32, u32)) -> Geometry {
        let (sw, sh) = (source.0.max(1), source.1.max(1));
        let (mut hs, mut vs) = match (self.width, self.height) {
            (Some(w), Some(h)) => {
                let (hs, vs) = (sw as f64 / w as f64, sh as f64 / h as f64);
                match self.fit {
                    Fit::Cover | Fit::Outside => (hs.min(vs), hs.min(vs)),
                    Fit::Contain | Fit::Inside => (hs.max(vs), hs.max(vs)),
                    Fit::Fill => (hs, vs),
                }
            }
            (Some(w), None) => {
                let s = sw as f64 / w as f64;
                (s, s)
            }
            (None, Some(h)) => {
                let s = sh as f64 / h as f64;
                (s, s)
            }
            (None, None) => (1.0, 1.0),
        };
        // Never enlarge.
        hs = hs.max(1.0);
        vs = vs.max(1.0);
        let scaled = (scaled_side(sw, hs), scaled_side(sh, vs));
        let mut g = Geometry {
            scaled,
            crop: None,
            embed: None,
        };
        if let (Some(w), Some(h)) = (self.width, self.height) {
            match self.fit {
                Fit::Cover if scaled.0 > w || scaled.1 > h => {
                    g.crop = Some((w.min(scaled.0), h.min(scaled.1)))
                }
                Fit::Contain if scaled != (w, h) => g.embed = Some((w, h)),
                _ => {}
            }
        }
        g
    }

    fn algorithm(&self) -> fr::ResizeAlg {
        match self.kernel {
            Kernel::Nearest => fr::ResizeAlg::Nearest,
            Kernel::Linear => fr::ResizeAlg::Convolution(fr::FilterType::Bilinear),
            Kernel::Cubic => fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom),
            Kernel::Mitchell => fr::ResizeAlg::Convolution(fr::FilterType::Mitchell),
            Kernel::Lanczos2 => fr::ResizeAlg::Convolution(fr::FilterType::Custom(
                fr::Filter::new("lanczos2", lanczos2, 2.0).expect("finite positive support"),
            )),
            Kernel::Lanczos3 => fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3),
            Kernel::Mks2013 => fr::ResizeAlg::Convolution(fr::FilterType::Custom(
                fr::Filter::new("mks2013", mks2013, 2.5).expect("finite positive support"),
            )),
            Kernel::Mks2021 => fr::ResizeAlg::Convolution(fr::FilterType::Custom(
                fr::Filter::new("mks2021", mks2021, 4.5).expect("finite positive support"),
            )),
        }
    }

    /// True when this resize will look for faces: `p=face`, a cover crop, no `fp`.
    fn finds_faces(&self, g: &Geometry) -> bool {
        g.crop.is_some()
            && self.focal_point.is_none()
            && self.position == Position::Strategy(Strategy::Face)
    }

    /// The smallest size the decoder may shrink a `source`-sized image to: the scaled
    /// size, or for `p=face` at least a copy the detector reads at full detail (longest
    /// side [`face::DETECTION_SIDE`]), so the faces found do not depend on `w` and `h`.
    pub fn decode_size(&self, source: (u32, u32)) -> (u32, u32) {
        let g = self.geometry(source);
        if !self.finds_faces(&g) {
            return g.scaled;
        }
        let longest = source.0.max(source.1).max(1);
        let factor = f64::from(face::DETECTION_SIDE.min(longest)) / f64::from(longest);
        let floor = |side: u32| (f64::from(side) * factor).ceil() as u32;
        (
            g.scaled.0.max(floor(source.0)),
            g.scaled.1.max(floor(source.1)),
        )
    }

    fn gravity(&self) -> Gravity {
        match self.position {
            Position::Gravity(g) => g,
            Position::Strategy(_) => Gravity::Center,
        }
    }

    /// Applies the resize to every frame. `logical_source` is the size the first frame
    /// would have at full resolution when the decoder shrank it on load, so the output
    /// size is exactly what a full decode would give.
    pub fn apply(
        &self,
        images: &mut [DynamicImage],
        logical_source: Option<(u32, u32)>,
    ) -> Result<()> {
        self.apply_reporting(images, logical_source, None)
            .map(|_| ())
    }

    /// [`Resize::apply`], returning for `p=face` the strategy that placed the crop
    /// (`Face`, or `Attention` when no face was found; `None` without a crop). Past
    /// `deadline` after finding the faces it stops with a timeout.
    pub fn apply_reporting(
        &self,
        images: &mut [DynamicImage],
        logical_source: Option<(u32, u32)>,
        deadline: Option<Instant>,
    ) -> Result<Option<Strategy>> {
        let Some(first) = images.first() else {
            return Ok(None);
        };
        let decoded = (first.width(), first.height());
        let g = self.geometry(logical_source.unwrap_or(decoded));
        let region = logical_source.and_then(|l| shrunk_region(decoded, l));
        let faces = if self.finds_faces(&g) {
            // In the decoded image's pixels; the part holding the source maps onto `scaled`.
            let (rw, rh) = region.unwrap_or((f64::from(decoded.0), f64::from(decoded.1)));
            let (sx, sy) = (f64::from(g.scaled.0) / rw, f64::from(g.scaled.1) / rh);
            let found = face::detect(first)?;
            if deadline.is_some_and(|at| Instant::now() >= at) {
                return Err(face::deadline_passed());
            }
            Some(found.iter().map(|f| f.scaled(sx, sy)).collect::<Vec<_>>())
        } else {
            None
        };
        for img in images.iter_mut() {
            *img = resample_region(img, region, g.scaled, self.algorithm())?;
        }
        let mut used = None;
        if let Some(crop) = g.crop {
            let ((left, top), placed_by) = self.crop_corner(&images[0], crop, faces.as_deref());
            used = placed_by;
            for img in images.iter_mut() {
                *img = img.crop_imm(left, top, crop.0, crop.1);
            }
        }
        if let Some(boxed) = g.embed {
            let (left, top) = canvas::offset(boxed, g.scaled, self.gravity(), false);
            for img in images.iter_mut() {
                let src = std::mem::take(img);
                *img = canvas::embed(src, boxed.0, boxed.1, left, top, self.background);
            }
        }
        Ok(used)
    }

    /// The top-left corner of a `crop` of the resampled `img`, and for `p=face` the
    /// strategy that chose it. `faces` (in `img`'s pixels) are what `p=face` found.
    fn crop_corner(
        &self,
        img: &DynamicImage,
        crop: (u32, u32),
        faces: Option<&[FaceBox]>,
    ) -> ((u32, u32), Option<Strategy>) {
        let scaled = (img.width(), img.height());
        if let Some(point) = self.focal_point {
            return (
                face::centred_on(point.in_pixels(scaled), scaled, crop),
                None,
            );
        }
        match self.position {
            Position::Strategy(Strategy::Face) => {
                match faces.and_then(|found| face::target(found, crop)) {
                    Some(kept) => (
                        face::centred_on(kept.centre(), scaled, crop),
                        Some(Strategy::Face),
                    ),
                    None => (
                        strategy::best_window(img, crop, Strategy::Attention),
                        Some(Strategy::Attention),
                    ),
                }
            }
            Position::Strategy(s) => (strategy::best_window(img, crop, s), None),
            Position::Gravity(_) => {
                let (l, t) = canvas::offset(scaled, crop, self.gravity(), true);
                ((l as u32, t as u32), None)
            }
        }
    }
}

/// `fp` and `p` both say where a cover crop goes: a query with both is a 400.
pub fn validate(params: &crate::params::Params) -> Result<()> {
    match (params.fp, params.p) {
        (Some(point), Some(position)) => Err(Error::invalid_parameter(
            "fp",
            point.to_string(),
            format!(
                "no p alongside it: fp and p both place the crop (p={} was given too); give one",
                position.name()
            ),
        )),
        _ => Ok(()),
    }
}

fn lanczos2(x: f64) -> f64 {
    let sinc = |v: f64| {
        if v == 0.0 {
            1.0
        } else {
            let a = v * std::f64::consts::PI;
            a.sin() / a
        }
    };
    if x.abs() < 2.0 {
        sinc(x) * sinc(x / 2.0)
    } else {
        0.0
    }
}

/// Magic Kernel Sharp 2013 (John Costella's definition, as libvips 8.15+ uses it): the
/// quadratic B-spline "magic kernel" convolved with a three-tap sharpening step; piecewise
/// quadratic on half-integer knots, support ±2.5.
fn mks2013(x: f64) -> f64 {
    let x = x.abs();
    match x {
        x if x < 0.5 => 17.0 / 16.0 - 1.75 * x * x,
        x if x < 1.5 => (1.0 - x) * (1.75 - x),
        x if x < 2.5 => -(2.5 - x) * (2.5 - x) / 8.0,
        _ => 0.0,
    }
}

/// Magic Kernel Sharp 2021: the same magic kernel with a seven-tap sharpening step that
/// flattens the frequency response further; piecewise quadratic, support ±4.5. The
/// coefficients (denominators 144, 576 and 1152) are Costella's.
fn mks2021(x: f64) -> f64 {
    let x = x.abs();
    let poly = |a: f64, b: f64, c: f64, d: f64| (a * x * x + b * x + c) / d;
    match x {
        x if x < 0.5 => 577.0 / 576.0 - 239.0 / 144.0 * x * x,
        x if x < 1.5 => poly(140.0, -379.0, 239.0, 144.0),
        x if x < 2.5 => poly(-24.0, 113.0, -130.0, 144.0),
        x if x < 3.5 => poly(4.0, -27.0, 45.0, 144.0),
        x if x < 4.5 => poly(-4.0, 36.0, -81.0, 1152.0),
        _ => 0.0,
    }
}

/// Resamples to exactly `size`, keeping the pixel type.
/// The part of a shrunk-on-load image that holds the source, in its own pixels. A JPEG
/// decoded at 1/d is `ceil(side / d)` pixels a side, its last column and row covering only
/// what is left of the source (the rest is the decoder's padding): resampling exactly
/// `side / d` of it puts every output pixel where a full decode would, e.g. 1.9 instead
/// of 5.2 levels from the full-decode ideal for `progressive_3.jpg?w=120` (650 px at 1/4
/// is 163 px for 162.5). `None` when `decoded` is not such a scale of `logical`.
fn shrunk_region(decoded: (u32, u32), logical: (u32, u32)) -> Option<(f64, f64)> {
    [2u32, 4, 8]
        .into_iter()
        .find(|&d| logical.0.div_ceil(d) == decoded.0 && logical.1.div_ceil(d) == decoded.1)
        .map(|d| {
            (
                f64::from(logical.0) / f64::from(d),
                f64::from(logical.1) / f64::from(d),
            )
        })
}

pub fn resample(
    img: &DynamicImage,
    size: (u32, u32),
    algorithm: fr::ResizeAlg,
) -> Result<DynamicImage> {
    resample_region(img, None, size, algorithm)
}

/// [`resample`] of the top-left `region` (width, height in pixels, fractional) of `img`,
/// or all of it.
fn resample_region(
    img: &DynamicImage,
    region: Option<(f64, f64)>,
    size: (u32, u32),
    algorithm: fr::ResizeAlg,
) -> Result<DynamicImage> {
    if region.is_none() && (img.width(), img.height()) == size {
        return Ok(img.clone());
    }
    // fast_image_resize has no two-channel float type; widen the rare ones it lacks.
    let src = match img {
        DynamicImage::ImageRgb32F(_)
        | DynamicImage::ImageRgba32F(_)
        | DynamicImage::ImageLuma8(_)
        | DynamicImage::ImageLumaA8(_)
        | DynamicImage::ImageRgb8(_)
        | DynamicImage::ImageRgba8(_)
        | DynamicImage::ImageLuma16(_)
        | DynamicImage::ImageLumaA16(_)
        | DynamicImage::ImageRgb16(_)
        | DynamicImage::ImageRgba16(_) => std::borrow::Cow::Borrowed(img),
        other => std::borrow::Cow::Owned(DynamicImage::ImageRgba8(other.to_rgba8())),
    };
    let mut dst = DynamicImage::new(size.0, size.1, src.color());
    let mut options = fr::ResizeOptions::new().resize_alg(algorithm);
    if let Some((w, h)) = region {
        options = options.crop(0.0, 0.0, w, h);
    }
    fr::Resizer::new()
        .resize(src.as_ref(), &mut dst, &options)
        .map_err(|e| Error::Internal(format!("resize to {}x{} failed: {e}", size.0, size.1)))?;
    Ok(dst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Strategy;

    fn resize(w: Option<u32>, h: Option<u32>, fit: Fit) -> Resize {
        Resize {
            width: w,
            height: h,
            fit,
            position: Position::Gravity(Gravity::Center),
            focal_point: None,
            background: Rgba::BLACK,
            kernel: Kernel::Lanczos3,
        }
    }

    fn out_size(r: &Resize, src: (u32, u32)) -> (u32, u32) {
        let g = r.geometry(src);
        g.embed.or(g.crop).unwrap_or(g.scaled)
    }

    /// Every row was measured with Sharp 0.35.5 on a 300x200 input with
    /// `withoutEnlargement: true` (tools/sharp).
    #[test]
    fn output_sizes_match_sharp() {
        let src = (300, 200);
        type Row = (Option<u32>, Option<u32>, Fit, (u32, u32));
        let rows: &[Row] = &[
            (Some(500), Some(400), Fit::Cover, (300, 200)),
            (Some(500), Some(100), Fit::Cover, (300, 100)),
            (Some(100), Some(500), Fit::Cover, (100, 200)),
            (Some(150), Some(150), Fit::Cover, (150, 150)),
            (Some(299), Some(199), Fit::Cover, (299, 199)),
            (Some(500), Some(400), Fit::Contain, (500, 400)),
            (Some(200), Some(100), Fit::Contain, (200, 100)),
            (Some(100), Some(100), Fit::Contain, (100, 100)),
            (Some(500), Some(100), Fit::Fill, (300, 100)),
            (Some(100), Some(50), Fit::Fill, (100, 50)),
            (Some(500), Some(100), Fit::Inside, (150, 100)),
            (Some(500), Some(100), Fit::Outside, (300, 200)),
            (Some(100), Some(50), Fit::Outside, (100, 67)),
            (Some(1000), Some(1000), Fit::Outside, (300, 200)),
            (Some(100), None, Fit::Cover, (100, 67)),
            (None, Some(77), Fit::Cover, (116, 77)),
            (Some(7), None, Fit::Cover, (7, 5)),
            (Some(1), None, Fit::Cover, (1, 1)),
        ];
        for (w, h, fit, want) in rows {
            assert_eq!(
                out_size(&resize(*w, *h, *fit), src),
                *want,
                "w={w:?} h={h:?} f={fit:?}"
            );
        }
    }

    /// The unconstrained side is the exact ratio rounded half up: 600×450 at `w=70` is
    /// 52.5 rows, so 53. Sharp 0.35.5 answers 52 there (and 7 for `w=10`, 7.5 rows, but
    /// 158 for `w=210`, 157.5 rows): its sizes fall out of libvips' shrink-on-load,
    /// integer shrink and reduce steps, not from one rule. A registered difference.
    #[test]
    fn unconstrained_side_rounds_the_exact_ratio_half_up() {
        let upright_landscape_6 = (600, 450);
        let rows = [(70, 53), (10, 8), (210, 158), (14, 11), (100, 75), (33, 25)];
        for (w, h) in rows {
            let got = out_size(&resize(Some(w), None, Fit::Cover), upright_landscape_6);
            assert_eq!(got, (w, h), "w={w}");
        }
    }

    #[test]
    fn applies_cover_crop_and_contain_embed() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(300, 200, |x, _| {
            image::Rgb([(x % 256) as u8, 0, 0])
        }));
        let mut imgs = [img.clone()];
        resize(Some(100), Some(100), Fit::Cover)
            .apply(&mut imgs, None)
            .unwrap();
        assert_eq!((imgs[0].width(), imgs[0].height()), (100, 100));
        let mut imgs = [img.clone()];
        let mut r = resize(Some(100), Some(100), Fit::Contain);
        r.background = Rgba {
            r: 0,
            g: 0,
            b: 255,
            a: 255,
        };
        r.apply(&mut imgs, None).unwrap();
        let out = imgs[0].as_rgb8().unwrap();
        assert_eq!(out.dimensions(), (100, 100));
        assert_eq!(out.get_pixel(50, 0).0, [0, 0, 255], "letterbox in bg");
        assert_eq!(out.get_pixel(50, 50).0[2], 0, "image in the middle");
    }

    #[test]
    fn logical_source_fixes_the_output_size_after_shrink_on_load() {
        // A 3840x2160 JPEG decoded at 1/4 scale is 960x540: the output must still be
        // what the full decode gives.
        let mut imgs = [DynamicImage::new_rgb8(960, 540)];
        resize(Some(500), None, Fit::Cover)
            .apply(&mut imgs, Some((3840, 2160)))
            .unwrap();
        assert_eq!((imgs[0].width(), imgs[0].height()), (500, 281));
    }

    #[test]
    fn a_shrunk_image_is_resampled_over_the_part_that_holds_the_source() {
        // 650x470 at 1/4 is 163x118 for 162.5x117.5 of source.
        assert_eq!(shrunk_region((163, 118), (650, 470)), Some((162.5, 117.5)));
        assert_eq!(shrunk_region((325, 235), (650, 470)), Some((325.0, 235.0)));
        assert_eq!(shrunk_region((650, 470), (650, 470)), None);
        assert_eq!(shrunk_region((100, 100), (650, 470)), None);
        // A ramp F(x) = 100·x over 650 px, decoded at 1/4 (pixel i = the mean of its
        // block, 100·(4i + 1.5)): resized to 65 px with a linear kernel, each output pixel
        // is 100·(10j + 4.5), as from the full decode. Resampling all 163 px would drift
        // by 0.3 source px per 10 output px.
        let ramp =
            image::ImageBuffer::from_fn(163, 118, |x, _| image::Luma([(400 * x + 150) as u16]));
        let mut r = resize(Some(65), None, Fit::Cover);
        r.kernel = Kernel::Linear;
        let mut imgs = [DynamicImage::ImageLuma16(ramp.clone())];
        r.apply(&mut imgs, Some((650, 470))).unwrap();
        let out = imgs[0].as_luma16().unwrap();
        assert_eq!(out.dimensions(), (65, 47));
        let drift = resample(&DynamicImage::ImageLuma16(ramp), (65, 47), r.algorithm()).unwrap();
        for j in 4..61u32 {
            let ideal = 100.0 * (10.0 * f64::from(j) + 4.5);
            let got = f64::from(out.get_pixel(j, 20)[0]);
            assert!((got - ideal).abs() <= 5.0, "pixel {j}: {got} for {ideal}");
        }
        let far = f64::from(drift.as_luma16().unwrap().get_pixel(60, 20)[0]);
        assert!(
            (far - 100.0 * 604.5).abs() > 100.0,
            "the whole image drifts: {far}"
        );
    }

    #[test]
    fn every_kernel_resamples() {
        for k in Kernel::ALL {
            let mut r = resize(Some(40), None, Fit::Cover);
            r.kernel = *k;
            let mut imgs = [DynamicImage::new_rgba8(100, 50)];
            r.apply(&mut imgs, None).unwrap();
            assert_eq!((imgs[0].width(), imgs[0].height()), (40, 20), "{k:?}");
        }
    }

    /// Ours against Sharp 0.35.5's `resize(45, {kernel})` of ops-photo.png (128×96, a
    /// 2.84× reduction), mean channel difference in levels. mks2013 is told apart from
    /// lanczos3 (the kernel used before) and from mks2021 by a bound both fail (ours
    /// 0.99; lanczos3 1.65, mks2021 1.83). mks2021 and lanczos3 are so alike (Sharp's
    /// own outputs differ by 0.36) that our resampler's baseline difference from libvips'
    /// (~1 level) hides the change: mks2021 is only checked to be closer to Sharp's
    /// mks2021 than our mks2013 is.
    #[test]
    fn mks_kernels_match_sharp() {
        use crate::ops::testutil::{fixture, mean_channel_diff};
        let run = |kernel| {
            let mut r = resize(Some(45), None, Fit::Cover);
            r.kernel = kernel;
            let mut imgs = [fixture("ops-photo.png")];
            r.apply(&mut imgs, None).unwrap();
            imgs[0].clone()
        };
        let diff = |kernel, reference: &str| mean_channel_diff(&run(kernel), &fixture(reference));
        let mks2013 = "sharp/resize-mks2013.png";
        let ours = diff(Kernel::Mks2013, mks2013);
        let lanczos3 = diff(Kernel::Lanczos3, mks2013);
        let wrong = diff(Kernel::Mks2021, mks2013);
        println!("mks2013: ours {ours:.3}, lanczos3 {lanczos3:.3}, mks2021 {wrong:.3}");
        assert!(ours <= MKS2013_BOUND, "{ours:.3}");
        assert!(lanczos3 > MKS2013_BOUND, "lanczos3 passes ({lanczos3:.3})");
        assert!(wrong > MKS2013_BOUND, "mks2021 passes ({wrong:.3})");
        let mks2021 = "sharp/resize-mks2021.png";
        let ours = diff(Kernel::Mks2021, mks2021);
        let lanczos3 = diff(Kernel::Lanczos3, mks2021);
        let wrong = diff(Kernel::Mks2013, mks2021);
        println!("mks2021: ours {ours:.3}, lanczos3 {lanczos3:.3}, mks2013 {wrong:.3}");
        assert!(ours <= MKS2013_BOUND, "{ours:.3}");
        assert!(ours < wrong, "mks2013 is closer ({wrong:.3} <= {ours:.3})");
    }

    /// Mean channel difference (levels) allowed against Sharp's mks2013.
    const MKS2013_BOUND: f64 = 1.3;

    #[test]
    fn mks_kernels_are_normalised_bumps() {
        for (f, support) in [(mks2013 as fn(f64) -> f64, 2.5), (mks2021, 4.5)] {
            // Both peak a little above 1 (17/16, 577/576): the sharpening step.
            assert!(f(0.0) > 1.0 && f(0.0) < 1.07, "{}", f(0.0));
            assert_eq!(f(support), 0.0);
            assert_eq!(f(-1.0), f(1.0));
            // Continuous at the knots, and the integer samples sum to 1.
            for k in [0.5, 1.5, 2.5, 3.5] {
                assert!((f(k - 1e-9) - f(k + 1e-9)).abs() < 1e-6, "knot {k}");
            }
            let sum: f64 = (-5..=5).map(|i| f(f64::from(i))).sum();
            assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        }
    }

    #[test]
    fn strategies_pick_the_busy_part() {
        // Left half flat grey, right half noisy: both strategies keep the right.
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(200, 100, |x, y| {
            if x < 100 {
                image::Rgb([128, 128, 128])
            } else {
                image::Rgb([
                    ((x * 37 + y * 91) % 256) as u8,
                    ((x * 13) % 256) as u8,
                    ((y * 7) % 256) as u8,
                ])
            }
        }));
        for s in [Strategy::Entropy, Strategy::Attention] {
            let mut r = resize(Some(100), Some(100), Fit::Cover);
            r.position = Position::Strategy(s);
            let mut imgs = [img.clone()];
            r.apply(&mut imgs, None).unwrap();
            let px = imgs[0].as_rgb8().unwrap().get_pixel(0, 0).0;
            assert_ne!(px, [128, 128, 128], "{s:?} kept the flat half");
        }
    }
}
