//! GIFs whose frames reach past the logical screen decode as Sharp (libvips' libnsgif
//! loader) decodes them: the first frame grows the canvas, later frames are clipped to
//! it. Inputs and Sharp's PNGs (all frames stacked) are made by
//! `tools/sharp/make-gif-screen.js`. Every pixel must match; the null model, the frames
//! composited onto the declared screen (our old reading), must not.

use std::io::Cursor;

use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, GenericImage, RgbaImage};
use image_service::codecs::{decode, probe, DecodeOptions};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Frames stacked top to bottom, as libvips returns an animation.
fn stacked(frames: &[RgbaImage], page_height: u32) -> RgbaImage {
    let width = frames[0].width();
    let mut out = RgbaImage::new(width, page_height * frames.len() as u32);
    for (i, frame) in frames.iter().enumerate() {
        out.copy_from(frame, 0, i as u32 * page_height).unwrap();
    }
    out
}

fn ours(bytes: &[u8]) -> RgbaImage {
    let decoded = decode(bytes, &DecodeOptions::default()).unwrap();
    let frames: Vec<RgbaImage> = decoded.frames.iter().map(|f| f.image.to_rgba8()).collect();
    stacked(&frames, frames[0].height())
}

/// The old reading: frames composited onto the declared logical screen, then placed at
/// the top left of Sharp's canvas so that pixels, not only sizes, are compared.
fn clipped(bytes: &[u8], sharp: &RgbaImage, pages: u32) -> RgbaImage {
    let decoder = GifDecoder::new(Cursor::new(bytes)).unwrap();
    let page_height = sharp.height() / pages;
    let frames: Vec<RgbaImage> = decoder
        .into_frames()
        .map(|f| {
            let frame = f.unwrap().into_buffer();
            let mut page = RgbaImage::new(sharp.width(), page_height);
            page.copy_from(&frame, 0, 0).unwrap();
            page
        })
        .collect();
    stacked(&frames, page_height)
}

/// Pixels that differ in any channel (alpha 0 counts as one colour, as in a PNG viewer).
fn differing(a: &RgbaImage, b: &RgbaImage) -> usize {
    assert_eq!(a.dimensions(), b.dimensions());
    let key = |p: &image::Rgba<u8>| if p[3] == 0 { [0; 4] } else { p.0 };
    a.pixels()
        .zip(b.pixels())
        .filter(|(p, q)| key(p) != key(q))
        .count()
}

fn check(name: &str, pages: u32, canvas_grows: bool) {
    let bytes = fixture(&format!("gif/{name}.gif"));
    let sharp = image::load_from_memory(&fixture(&format!("sharp/gif-{name}.png")))
        .unwrap()
        .to_rgba8();
    let ours = ours(&bytes);
    assert_eq!(ours.dimensions(), sharp.dimensions(), "{name}");
    assert_eq!(differing(&ours, &sharp), 0, "{name}");
    let probed = probe(&bytes).unwrap();
    assert_eq!(
        (probed.width, probed.height * pages),
        sharp.dimensions(),
        "{name}"
    );
    let screen = (
        u32::from(u16::from_le_bytes([bytes[6], bytes[7]])),
        u32::from(u16::from_le_bytes([bytes[8], bytes[9]])),
    );
    if canvas_grows {
        assert_ne!((sharp.width(), sharp.height() / pages), screen, "{name}");
        let wrong = differing(&clipped(&bytes, &sharp, pages), &sharp);
        assert!(
            wrong > 100,
            "{name}: the clipped reading differs in {wrong} pixels"
        );
    } else {
        assert_eq!((sharp.width(), sharp.height() / pages), screen, "{name}");
    }
}

#[test]
fn a_still_frame_past_the_screen_grows_the_canvas() {
    check("still-past-screen", 1, true);
}

#[test]
fn transparent_pixels_and_uncovered_canvas_stay_transparent() {
    check("still-past-screen-alpha", 1, true);
}

#[test]
fn the_first_frame_grows_the_canvas_and_later_frames_are_clipped_to_it() {
    check("anim-first-past-screen", 3, true);
}

#[test]
fn later_frames_past_the_screen_are_clipped() {
    check("anim-later-past-screen", 2, false);
}
