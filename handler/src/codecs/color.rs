//! Embedded ICC profiles → sRGB with moxcms (pure Rust, so it builds anywhere rustc does).
//!
//! Outputs carry no profile, so pixels must already be sRGB. A profile that fails to parse
//! or to build a transform is ignored (the pixels are kept as they are): a broken profile
//! should not cost the user their image. Grey profiles are ignored too (grey gamma ≈ sRGB).

use std::panic::{catch_unwind, AssertUnwindSafe};

use image::{DynamicImage, ImageBuffer, Pixel};
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions, Xyzd};

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

/// CMYK (0 = no ink) → sRGB bytes. Uses the embedded CMYK profile when there is one, else
/// the naive `(1 - C)(1 - K)` formula.
pub(super) fn cmyk_to_srgb(cmyk: &[u8], icc: Option<&[u8]>) -> Vec<u8> {
    if let Some(icc) = icc {
        let managed = catch_unwind(|| cmyk_with_profile(cmyk, icc));
        match managed {
            Ok(Ok(rgb)) => return rgb,
            Ok(Err(e)) => tracing::debug!(error = %e, "CMYK profile ignored"),
            Err(_) => tracing::warn!("CMYK conversion panicked; profile ignored"),
        }
    }
    cmyk.chunks_exact(4)
        .flat_map(|p| {
            let k = 255 - u32::from(p[3]);
            let channel = |c: u8| ((255 - u32::from(c)) * k / 255) as u8;
            [channel(p[0]), channel(p[1]), channel(p[2])]
        })
        .collect()
}

fn cmyk_with_profile(cmyk: &[u8], icc: &[u8]) -> Result<Vec<u8>, moxcms::CmsError> {
    let profile = ColorProfile::new_from_slice(icc)?;
    if profile.color_space != DataColorSpace::Cmyk {
        return Err(moxcms::CmsError::UnsupportedProfileConnection);
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

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn naive_cmyk() {
        let rgb = cmyk_to_srgb(&[0, 255, 255, 0, 0, 0, 0, 255, 0, 0, 0, 0], None);
        assert_eq!(rgb, vec![255, 0, 0, 0, 0, 0, 255, 255, 255]);
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
