use super::*;
use image::{Rgb, RgbImage};

/// sRGB → our inks → sRGB through the shipped profile.
fn there_and_back(rgb: [u8; 3]) -> [u8; 3] {
    let inks = separation().unwrap().inks(rgb);
    let back = to_srgb(&inks, PROFILE).unwrap();
    [back[0], back[1], back[2]]
}

fn distance(a: [u8; 3], b: [u8; 3]) -> u8 {
    (0..3).map(|i| a[i].abs_diff(b[i])).max().unwrap()
}

#[test]
fn the_profile_is_cmyk_and_has_no_table_to_cmyk() {
    let profile = ColorProfile::new_from_slice(PROFILE).unwrap();
    assert_eq!(profile.color_space, moxcms::DataColorSpace::Cmyk);
    assert!(profile.lut_a_to_b_perceptual.is_some());
    // Why the inverse is ours: moxcms cannot convert to this profile.
    assert!(ColorProfile::new_srgb()
        .create_transform_8bit(
            Layout::Rgb,
            &profile,
            Layout::Rgba,
            TransformOptions::default()
        )
        .is_err());
}

#[test]
fn printable_colours_survive_the_round_trip() {
    // Colours inside a press gamut: skin, sky, foliage, greys, paper white.
    let printable = [
        [255, 255, 255],
        [200, 160, 130],
        [120, 150, 190],
        [90, 120, 60],
        [128, 128, 128],
        [60, 60, 60],
        [180, 60, 60],
    ];
    for rgb in printable {
        let back = there_and_back(rgb);
        assert!(distance(rgb, back) <= 3, "{rgb:?} came back as {back:?}");
    }
    // White is bare paper.
    assert_eq!(separation().unwrap().inks([255, 255, 255]), [0, 0, 0, 0]);
}

#[test]
fn the_null_models_do_not_survive_it() {
    // The naive formula's inks read through the profile, and the sRGB values taken as inks.
    let printable = [
        [200u8, 160, 130],
        [120, 150, 190],
        [90, 120, 60],
        [128, 128, 128],
    ];
    let mut naive_worst = 0;
    for rgb in printable {
        let k = 255 - rgb.iter().max().unwrap();
        let ink = |c: u8| {
            if k == 255 {
                0
            } else {
                ((255 - c - k) as u32 * 255 / (255 - k) as u32) as u8
            }
        };
        let naive = [ink(rgb[0]), ink(rgb[1]), ink(rgb[2]), k];
        let back = to_srgb(&naive, PROFILE).unwrap();
        naive_worst = naive_worst.max(distance(rgb, [back[0], back[1], back[2]]));
    }
    assert!(
        naive_worst > 10,
        "the naive separation is as good: {naive_worst}"
    );
}

#[test]
fn dark_colours_use_black_and_light_ones_do_not() {
    let table = separation().unwrap();
    assert!(table.inks([40, 40, 40])[3] > 150);
    assert_eq!(table.inks([230, 200, 180])[3], 0);
    assert!(
        table.inks([0, 0, 0])[3] > 200,
        "{:?}",
        table.inks([0, 0, 0])
    );
    assert!(distance(there_and_back([0, 0, 0]), [0, 0, 0]) <= 30);
}

#[test]
fn alpha_is_kept_separately_and_flattens_onto_paper() {
    let mut img = image::RgbaImage::from_pixel(2, 1, image::Rgba([40, 40, 40, 255]));
    img.put_pixel(1, 0, image::Rgba([40, 40, 40, 0]));
    let inks = separate(&DynamicImage::ImageRgba8(img)).unwrap();
    assert_eq!(inks.alpha.as_deref(), Some(&[255, 0][..]));
    let flat = inks.flattened();
    assert!(flat[..4].iter().any(|&v| v > 100));
    assert_eq!(&flat[4..], &[0, 0, 0, 0]);
}

#[test]
fn round_trip_clips_to_the_press_gamut_and_keeps_printable_colours() {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(2, 1, |x, _| {
        if x == 0 {
            Rgb([120, 150, 190])
        } else {
            Rgb([0, 255, 0])
        }
    }));
    let out = round_trip(&img).unwrap().to_rgb8();
    assert!(distance(out.get_pixel(0, 0).0, [120, 150, 190]) <= 3);
    // sRGB's green is far outside any press gamut.
    assert!(
        distance(out.get_pixel(1, 0).0, [0, 255, 0]) > 40,
        "{:?}",
        out.get_pixel(1, 0)
    );
}
