//! Embedded ICC profiles → sRGB with moxcms (pure Rust, so it builds anywhere rustc does).
//!
//! Outputs carry no profile (except CMYK ones: see `cmyk`), so pixels must already be
//! sRGB. A profile that fails to parse or to build a transform is ignored (the pixels are
//! kept as they are): a broken profile should not cost the user their image. Grey profiles are ignored too (grey gamma ≈ sRGB).

use std::panic::{catch_unwind, AssertUnwindSafe};

use image::{DynamicImage, ImageBuffer, Pixel};
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions, Xyzd};

use super::cmyk;

/// Converts an RGB(A) image with an embedded profile to sRGB in place.
pub(super) fn convert_to_srgb(image: &mut DynamicImage, icc: &[u8]) {
    let outcome = catch_unwind(AssertUnwindSafe(|| convert(image, icc)));
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::debug!(error = %e, "ICC profile ignored"),
        Err(_) => tracing::warn!("ICC conversion panicked; profile ignored"),
    }
}

fn convert(image: &mut DynamicImage, icc: &[u8]) -> Result<(), moxcms::CmsError> {
    let profile = ColorProfile::new_from_slice(icc)?;
    if profile.color_space != DataColorSpace::Rgb || is_srgb(&profile) {
        return Ok(());
    }
    let srgb = ColorProfile::new_srgb();
    let opts = TransformOptions::default();
    match image {
        DynamicImage::ImageRgb8(img) => {
            let t = profile.create_transform_8bit(Layout::Rgb, &srgb, Layout::Rgb, opts)?;
            transform_buffer(img, |src, dst| t.transform(src, dst))
        }
        DynamicImage::ImageRgba8(img) => {
            let t = profile.create_transform_8bit(Layout::Rgba, &srgb, Layout::Rgba, opts)?;
            transform_buffer(img, |src, dst| t.transform(src, dst))
        }
        DynamicImage::ImageRgb16(img) => {
            let t = profile.create_transform_16bit(Layout::Rgb, &srgb, Layout::Rgb, opts)?;
            transform_buffer(img, |src, dst| t.transform(src, dst))
        }
        DynamicImage::ImageRgba16(img) => {
            let t = profile.create_transform_16bit(Layout::Rgba, &srgb, Layout::Rgba, opts)?;
            transform_buffer(img, |src, dst| t.transform(src, dst))
        }
        _ => Ok(()),
    }
}

fn transform_buffer<P: Pixel>(
    img: &mut ImageBuffer<P, Vec<P::Subpixel>>,
    run: impl Fn(&[P::Subpixel], &mut [P::Subpixel]) -> Result<(), moxcms::CmsError>,
) -> Result<(), moxcms::CmsError> {
    let mut out = img.as_raw().clone();
    run(img.as_raw(), &mut out)?;
    let (w, h) = img.dimensions();
    if let Some(converted) = ImageBuffer::from_raw(w, h, out) {
        *img = converted;
    }
    Ok(())
}

/// Matrix/TRC profiles whose primaries equal sRGB's are treated as sRGB: converting them
/// would cost time for no visible change (most camera and web JPEGs embed one).
fn is_srgb(profile: &ColorProfile) -> bool {
    if profile.lut_a_to_b_perceptual.is_some() || profile.lut_a_to_b_colorimetric.is_some() {
        return false;
    }
    let srgb = ColorProfile::new_srgb();
    let close = |a: &Xyzd, b: &Xyzd| {
        (a.x - b.x).abs() < 0.003 && (a.y - b.y).abs() < 0.003 && (a.z - b.z).abs() < 0.003
    };
    close(&profile.red_colorant, &srgb.red_colorant)
        && close(&profile.green_colorant, &srgb.green_colorant)
        && close(&profile.blue_colorant, &srgb.blue_colorant)
}

/// CMYK (0 = no ink) → sRGB bytes through the embedded CMYK profile, or the shipped one
/// ([`cmyk::PROFILE`]) when there is none or it is unusable, as libvips falls back to its
/// own CMYK profile. (The naive `(1 − C)(1 − K)` formula we used before is 8–16 levels a
/// channel off Sharp on a photo, the shipped profile 4–8: `tests/icc.rs`.)
pub(super) fn cmyk_to_srgb(cmyk: &[u8], icc: Option<&[u8]>) -> Vec<u8> {
    if let Some(icc) = icc {
        match catch_unwind(|| cmyk::to_srgb(cmyk, icc)) {
            Ok(Ok(rgb)) => return rgb,
            Ok(Err(e)) => tracing::debug!(error = %e, "CMYK profile ignored"),
            Err(_) => tracing::warn!("CMYK conversion panicked; profile ignored"),
        }
    }
    cmyk::to_srgb(cmyk, cmyk::PROFILE).unwrap_or_else(|e| {
        // The shipped profile always converts (tested); the formula is the last resort.
        tracing::error!(error = %e, "the shipped CMYK profile failed");
        naive_cmyk_to_srgb(cmyk)
    })
}

/// `(1 − C)(1 − K)` per channel: CMYK without colour management.
fn naive_cmyk_to_srgb(cmyk: &[u8]) -> Vec<u8> {
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = 255 - u32::from(p[3]);
            let channel = |c: u8| ((255 - u32::from(c)) * k / 255) as u8;
            [channel(p[0]), channel(p[1]), channel(p[2])]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn naive_cmyk() {
        let rgb = naive_cmyk_to_srgb(&[0, 255, 255, 0, 0, 0, 0, 255, 0, 0, 0, 0]);
        assert_eq!(rgb, vec![255, 0, 0, 0, 0, 0, 255, 255, 255]);
    }

    #[test]
    fn cmyk_without_a_profile_goes_through_the_shipped_one() {
        // Bare paper is white, full black is near black, and a press red is a muted red
        // (the naive formula would give pure sRGB red).
        let cmyk = [0, 0, 0, 0, 0, 0, 0, 255, 0, 255, 255, 0];
        let rgb = cmyk_to_srgb(&cmyk, None);
        assert!(rgb[..3].iter().all(|&v| v >= 250), "{rgb:?}");
        assert!(rgb[3..6].iter().all(|&v| v < 70), "{rgb:?}");
        assert!(rgb[6] > 200 && rgb[7] < 80 && rgb[8] < 80, "{rgb:?}");
        assert_ne!(&rgb[6..9], &[255, 0, 0]);
        // An RGB profile in a CMYK file is unusable: the shipped one is used instead.
        let srgb_icc = ColorProfile::new_srgb().encode().unwrap();
        assert_eq!(cmyk_to_srgb(&cmyk, Some(&srgb_icc)), rgb);
    }

    #[test]
    fn srgb_profile_is_left_alone_and_other_profiles_convert() {
        let srgb_icc = ColorProfile::new_srgb().encode().unwrap();
        let mut img = DynamicImage::ImageRgb8(RgbImage::from_pixel(4, 4, Rgb([10, 200, 30])));
        convert_to_srgb(&mut img, &srgb_icc);
        assert_eq!(img.to_rgb8().get_pixel(0, 0), &Rgb([10, 200, 30]));

        // ProPhoto's primaries and gamma 1.8: a mid colour moves noticeably.
        let wide = ColorProfile::new_pro_photo_rgb().encode().unwrap();
        let mut img = DynamicImage::ImageRgb8(RgbImage::from_pixel(4, 4, Rgb([100, 150, 200])));
        convert_to_srgb(&mut img, &wide);
        let p = *img.to_rgb8().get_pixel(0, 0);
        let moved: i32 =
            p.0.iter()
                .zip([100, 150, 200])
                .map(|(a, b)| (i32::from(*a) - b).abs())
                .sum();
        assert!(moved > 30, "{p:?}");
        // Display P3 red is more saturated than sRGB can show: it clips to pure red.
        let p3 = ColorProfile::new_display_p3().encode().unwrap();
        let mut img = DynamicImage::ImageRgb8(RgbImage::from_pixel(4, 4, Rgb([200, 120, 100])));
        convert_to_srgb(&mut img, &p3);
        let p = *img.to_rgb8().get_pixel(0, 0);
        assert!(p[0] > 200 && p[1] < 120, "{p:?}");
    }

    #[test]
    fn garbage_profile_keeps_pixels() {
        let mut img = DynamicImage::ImageRgb8(RgbImage::from_pixel(2, 2, Rgb([1, 2, 3])));
        convert_to_srgb(&mut img, b"not an icc profile at all");
        assert_eq!(img.to_rgb8().get_pixel(1, 1), &Rgb([1, 2, 3]));
    }
}
