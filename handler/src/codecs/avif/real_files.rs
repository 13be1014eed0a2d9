//! Real AVIF files from Link-U's and libavif's public test suites
//! (`tests/fixtures/avif/`, see `tests/fixtures/ATTRIBUTION-C.md`), each run through the
//! whole pipeline and compared by decoded pixels with Sharp's output for the same query
//! (`tests/fixtures/avif/sharp/<name>.png`, from `tools/sharp/reference.js`). Every
//! comparison also shows that its bound rejects the wrong answer: the other orientations,
//! the uncropped image, one tile stretched, alpha dropped, the range left unexpanded.
#![cfg(feature = "avif-decode")]

use std::path::PathBuf;

use image::{DynamicImage, GenericImageView};

use crate::codecs::orient;
use crate::ops::testutil::mean_channel_diff;
use crate::params::Params;
use crate::pipeline::{render_params, Limits};

/// Mean channel difference (levels of 255, RGBA) allowed against Sharp: our and libvips's
/// Lanczos resamplers and chroma upsampling differ by about one level on these files.
const BOUND: f64 = 2.5;

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/avif")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sharp(name: &str) -> DynamicImage {
    image::load_from_memory(&fixture(&format!("sharp/{name}.png"))).unwrap()
}

/// Our answer to `query` (as PNG, decoded again).
fn ours(file: &str, query: &str) -> DynamicImage {
    let params = Params::parse(&format!("{query}&fm=png")).unwrap();
    let rendered = render_params(&fixture(file), &params, Limits::default())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    image::load_from_memory(&rendered.bytes).unwrap()
}

/// The error against Sharp, asserted within the bound, and every other orientation of
/// our answer asserted outside it.
fn like_sharp_and_no_other_orientation(name: &str, got: &DynamicImage) -> f64 {
    let want = sharp(name);
    assert_eq!(got.dimensions(), want.dimensions(), "{name}: size");
    let error = mean_channel_diff(got, &want);
    eprintln!("{name}: mean error against Sharp {error:.2}");
    assert!(error <= BOUND, "{name}: {error:.2} > {BOUND}");
    for wrong in 2..=8 {
        let mut turned = got.clone();
        orient::apply(&mut turned, wrong);
        if turned.dimensions() == want.dimensions() {
            let e = mean_channel_diff(&turned, &want);
            eprintln!("{name}: orientation {wrong}: {e:.2}");
            assert!(
                e > BOUND,
                "{name}: orientation {wrong} also passes ({e:.2})"
            );
        }
    }
    error
}

/// Link-U's kimono in every `irot`/`imir` they publish (each file is the same picture
/// stored turned or mirrored, marked to be shown upright): like Sharp, and like the
/// plain file.
#[test]
fn rotated_and_mirrored_files_come_out_upright() {
    let plain = ours("kimono.avif", "w=96");
    like_sharp_and_no_other_orientation("kimono", &plain);
    for name in [
        "kimono.rotate90",                  // irot 3
        "kimono.rotate270",                 // irot 1
        "kimono.mirror-horizontal",         // imir 1 (left and right exchanged)
        "kimono.mirror-vertical",           // imir 0 (top and bottom exchanged)
        "kimono.mirror-vertical.rotate270", // irot 1, then imir 0
    ] {
        let got = ours(&format!("{name}.avif"), "w=96");
        like_sharp_and_no_other_orientation(name, &got);
        let against_plain = mean_channel_diff(&got, &plain);
        eprintln!("{name}: mean error against the plain file {against_plain:.2}");
        assert!(against_plain <= BOUND, "{name}: {against_plain:.2}");
    }
}

/// `clap` (clean aperture), alone and before `irot` + `imir`. Link-U's crop has a half
/// pixel in its left edge (271.5): rounded down as libheif does. The uncropped picture
/// squeezed to the same size fails the bound.
#[test]
fn clean_aperture_is_cropped_before_turning() {
    let full = ours("kimono.avif", "w=96");
    for name in ["kimono.crop", "kimono.mirror-vertical.rotate270.crop"] {
        let got = ours(&format!("{name}.avif"), "w=96");
        like_sharp_and_no_other_orientation(name, &got);
        let squeezed = full.resize_exact(
            got.width(),
            got.height(),
            image::imageops::FilterType::Triangle,
        );
        let e = mean_channel_diff(&squeezed, &sharp(name));
        assert!(
            e > BOUND,
            "{name}: the uncropped image also passes ({e:.2})"
        );
    }
    // libavif's 12×34 file with clap (8×10), irot 1 and imir 1: 10×8 upright. Its alpha
    // item has no transforms of its own: we (like libavif) apply the colour item's to the
    // whole image, libheif leaves that alpha differently placed, so only colour is compared.
    let got = ours("clap_irot_imir_non_essential.avif", "w=10");
    let colour = DynamicImage::ImageRgb8(got.to_rgb8());
    let name = "clap_irot_imir_non_essential";
    let want = DynamicImage::ImageRgb8(sharp(name).to_rgb8());
    assert_eq!(colour.dimensions(), want.dimensions(), "{name}: size");
    let error = mean_channel_diff(&colour, &want);
    eprintln!("{name}: mean colour error against Sharp {error:.2}");
    assert!(error <= BOUND, "{name}: {error:.2} > {BOUND}");
    for wrong in [2, 3, 4] {
        let mut turned = colour.clone();
        orient::apply(&mut turned, wrong);
        let e = mean_channel_diff(&turned, &want);
        assert!(
            e > BOUND,
            "{name}: orientation {wrong} also passes ({e:.2})"
        );
    }
}

/// The first tile alone stretched over the canvas: what ignoring the grid would give.
fn first_tile_stretched(image: &DynamicImage, columns: u32, rows: u32) -> DynamicImage {
    let (w, h) = image.dimensions();
    image.crop_imm(0, 0, w / columns, h / rows).resize_exact(
        w,
        h,
        image::imageops::FilterType::Triangle,
    )
}

/// Grids: libavif's 4×3 colour grid with a 4×3 alpha grid (and a gain map, ignored),
/// and its 1×2 grid whose alpha is one item per tile.
#[test]
fn grids_are_composed() {
    for (name, query, columns, rows) in [
        ("color_grid_gainmap_different_grid", "w=128", 4, 3),
        ("color_grid_alpha_nogrid", "w=80", 1, 2),
    ] {
        let got = ours(&format!("{name}.avif"), query);
        let want = sharp(name);
        assert!(got.color().has_alpha(), "{name}: alpha kept");
        assert_eq!(got.dimensions(), want.dimensions(), "{name}: size");
        let error = mean_channel_diff(&got, &want);
        eprintln!("{name}: mean error against Sharp {error:.2}");
        assert!(error <= BOUND, "{name}: {error:.2} > {BOUND}");
        let one = mean_channel_diff(&first_tile_stretched(&got, columns, rows), &want);
        assert!(
            one > BOUND,
            "{name}: one tile stretched also passes ({one:.2})"
        );
        let opaque = DynamicImage::ImageRgb8(got.to_rgb8());
        let e = mean_channel_diff(&opaque, &want);
        assert!(e > BOUND, "{name}: alpha dropped also passes ({e:.2})");
    }
}

/// The BT.2020 luma of `image` (the matrix of Link-U's fox files), as grey.
fn bt2020_luma(image: &DynamicImage) -> DynamicImage {
    let rgb = image.to_rgb8();
    DynamicImage::ImageLuma8(image::GrayImage::from_fn(
        rgb.width(),
        rgb.height(),
        |x, y| {
            let p = rgb.get_pixel(x, y);
            let luma =
                0.2627 * f64::from(p[0]) + 0.6780 * f64::from(p[1]) + 0.0593 * f64::from(p[2]);
            image::Luma([luma.round() as u8])
        },
    ))
}

/// Link-U's monochrome fox says limited range in its AV1 sequence header (no `colr` box):
/// expanded, it matches the picture it was encoded from (Link-U's `fox.png`, resized by
/// Sharp, as luma). Sharp leaves a monochrome AVIF's range unexpanded (libheif issue 580;
/// it expands colour ones), so its output is the wrong answer here, 7 levels off.
#[test]
fn monochrome_limited_range_is_expanded() {
    let name = "fox.profile0.8bpc.yuv420.monochrome";
    let got = ours(&format!("{name}.avif"), "w=150");
    let source = bt2020_luma(&sharp("fox.source"));
    assert_eq!(got.dimensions(), source.dimensions(), "{name}: size");
    let error = mean_channel_diff(&got, &source);
    eprintln!("{name}: mean error against the source picture {error:.2}");
    assert!(error <= BOUND, "{name}: {error:.2} > {BOUND}");
    let unexpanded = DynamicImage::ImageLuma8(sharp(name).to_luma8());
    let e = mean_channel_diff(&unexpanded, &source);
    eprintln!("{name}: Sharp's (range unexpanded) against the source picture {e:.2}");
    assert!(
        e > 2.0 * BOUND,
        "{name}: the unexpanded range also passes ({e:.2})"
    );
}
