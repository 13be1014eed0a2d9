//! [`details`] per format on real files: depth, colour model, profile, EXIF block and
//! duration as each container states them.

use super::*;

fn fixture(path: &str) -> Vec<u8> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/");
    std::fs::read(format!("{root}{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn sample(name: &str) -> &'static [u8] {
    crate::samples::sample(name)
}

/// (bit depth, colour model, has a profile, has EXIF, duration) of `bytes`.
fn summary(bytes: &[u8]) -> (u8, &'static str, bool, bool, Option<u64>) {
    let d = details(bytes).unwrap();
    assert_eq!(d.probe, probe(bytes).unwrap(), "details carries the probe");
    (
        d.bit_depth,
        d.colour.name(),
        d.icc_profile.is_some(),
        d.exif.is_some(),
        d.duration_ms,
    )
}

#[test]
fn jpeg_depth_components_profile_and_exif() {
    assert_eq!(
        summary(sample("Landscape_6.jpg")),
        (8, "srgb", true, true, None)
    );
    assert_eq!(
        summary(sample("progressive_3.jpg")),
        (8, "srgb", false, false, None)
    );
    assert_eq!(summary(&fixture("icc/cmyk.jpg")).1, "cmyk");
    assert_eq!(summary(&fixture("icc/cmyk-no-profile.jpg")).1, "cmyk");
    // The EXIF block is the TIFF structure after "Exif\0\0", as the orientation read it.
    let exif = details(sample("Landscape_6.jpg")).unwrap().exif.unwrap();
    assert!(exif.starts_with(b"MM\0*") || exif.starts_with(b"II*\0"));
    assert_eq!(orient::from_exif(&exif), 6);
}

#[test]
fn png_depth_colour_type_and_inflated_profile() {
    assert_eq!(
        summary(sample("Flag_of_the_Netherlands-16bit.png")),
        (16, "srgb", false, false, None)
    );
    assert_eq!(
        summary(sample("blackbug.png")),
        (8, "srgb", false, false, None)
    );
    let p3 = details(&fixture("icc/p3-16bit.png")).unwrap();
    assert_eq!((p3.bit_depth, p3.colour), (16, ColourModel::Srgb));
    let profile = p3.icc_profile.expect("iCCP inflated");
    // An ICC profile states its own length in its first four bytes.
    assert_eq!(
        u32::from_be_bytes(profile[..4].try_into().unwrap()) as usize,
        profile.len()
    );
    assert_eq!(&profile[36..40], b"acsp");
    let grey = image::GrayImage::from_pixel(3, 2, image::Luma([9]));
    let mut png = std::io::Cursor::new(Vec::new());
    grey.write_to(&mut png, image::ImageFormat::Png).unwrap();
    assert_eq!(summary(&png.into_inner()), (8, "grey", false, false, None));
}

#[test]
fn animations_add_up_their_delays() {
    let (_, colour, _, _, duration) = summary(sample("rotating-squares.gif"));
    assert_eq!(colour, "srgb");
    // The graphic control blocks' delays, as the decoder reads them frame by frame.
    let decoded = decode(sample("rotating-squares.gif"), &DecodeOptions::default()).unwrap();
    let total: u64 = decoded.frames.iter().map(|f| u64::from(f.delay_ms)).sum();
    assert!(total > 0);
    assert_eq!(duration, Some(total));
    let webp = fixture("icc/animated.webp");
    let decoded = decode(&webp, &DecodeOptions::default()).unwrap();
    assert!(decoded.frames.len() > 1);
    let total: u64 = decoded.frames.iter().map(|f| u64::from(f.delay_ms)).sum();
    assert_eq!(summary(&webp).4, Some(total));
    // Stills have no duration.
    assert_eq!(summary(&fixture("gif/still-past-screen.gif")).4, None);
}

#[test]
fn tiff_photometric_and_depth() {
    let grey = summary(&fixture("tiff/grey-alpha-16.tif"));
    assert_eq!((grey.0, grey.1), (16, "grey"));
    let cmyk = summary(&fixture("tiff/seq-4c-16b-cmyk-c6e52592.tiff"));
    assert_eq!((cmyk.0, cmyk.1), (16, "cmyk"));
    assert_eq!(summary(&fixture("tiff/off_luv32.tif")).1, "xyz");
    assert_eq!(summary(&fixture("tiff/int8_rgb.tif")).1, "srgb");
    assert_eq!(summary(&fixture("tiff/palette-1c-4b.tiff")).0, 4);
    // A TIFF is its own EXIF structure.
    assert!(summary(&fixture("tiff/int8.tif")).3);
}

#[test]
fn avif_depth_from_pixi() {
    let d = details(&fixture("avif/kimono.avif")).unwrap();
    assert_eq!((d.bit_depth, d.colour), (8, ColourModel::Srgb));
    assert_eq!(d.exif, None);
}
