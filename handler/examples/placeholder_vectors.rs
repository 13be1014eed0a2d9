//! Writes the placeholder vectors `bin/test-placeholders` checks against the reference
//! implementations (ThumbHash's and BlurHash's own JavaScript): for each image, the
//! small RGBA pixels our code hashes (raw, row by row, `<name>.rgba`) and the hashes
//! our code makes of them, in `manifest.json`.
//!
//! The pixels are the decoded image (upright sRGB, full size) brought to placeholder
//! size by `small_rgba`, the function the service hashes with; for PNG, GIF and the
//! synthetic images they are exactly what `fm=thumbhash`/`fm=blurhash` hash
//! (`handler/tests/insight.rs` checks that for a PNG), while the service decodes a JPEG
//! at 1/8 first, so its JPEG pixels differ a little from these.
//!
//! usage: cargo run -p image-service --example placeholder_vectors -- <out dir>

use image::{DynamicImage, Rgba, RgbaImage};
use image_service::codecs::{self, DecodeOptions};
use image_service::insight::placeholders::{blurhash, small_rgba, thumbhash};
use image_service::params::BlurComponents;
use image_service::samples::sample;
use serde_json::json;

/// BlurHash components each image is hashed with.
const COMPONENTS: [(u8, u8); 4] = [(4, 3), (1, 1), (9, 9), (3, 7)];

fn decoded(name: &str) -> DynamicImage {
    let stored = codecs::decode(sample(name), &DecodeOptions::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    stored.frames.into_iter().next().expect("a frame").image
}

/// Synthetic images for the corners the samples miss: soft alpha, a 1×1, a strip.
fn synthetic() -> Vec<(&'static str, DynamicImage)> {
    let alpha = RgbaImage::from_fn(64, 48, |x, y| {
        Rgba([(x * 4) as u8, (y * 5) as u8, 200, ((x + y) * 2) as u8])
    });
    let dot = RgbaImage::from_pixel(1, 1, Rgba([12, 200, 99, 255]));
    let strip = RgbaImage::from_fn(100, 3, |x, y| {
        Rgba([255 - (x * 2) as u8, (y * 80) as u8, (x % 7 * 30) as u8, 255])
    });
    vec![
        ("alpha-gradient", DynamicImage::ImageRgba8(alpha)),
        ("one-pixel", DynamicImage::ImageRgba8(dot)),
        ("strip", DynamicImage::ImageRgba8(strip)),
    ]
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: placeholder_vectors <out dir>");
    let out = std::path::Path::new(&out);
    std::fs::create_dir_all(out).expect("create the out dir");
    let mut images: Vec<(&str, DynamicImage)> = [
        "Landscape_6.jpg",
        "progressive_3.jpg",
        "blackbug.png",
        "Flag_of_the_Netherlands-16bit.png",
        "rotating-squares.gif",
    ]
    .into_iter()
    .map(|name| (name, decoded(name)))
    .collect();
    images.extend(synthetic());
    let mut vectors = Vec::new();
    for (name, image) in &images {
        let small = small_rgba(image);
        let file = format!("{name}.rgba");
        std::fs::write(out.join(&file), small.as_raw()).expect("write pixels");
        let blurhashes: Vec<_> = COMPONENTS
            .iter()
            .map(|&(x, y)| {
                let hash = blurhash(&small, BlurComponents { x, y }).expect("blurhash");
                json!({ "x": x, "y": y, "hash": hash })
            })
            .collect();
        vectors.push(json!({
            "name": name,
            "width": small.width(),
            "height": small.height(),
            "rgba": file,
            "thumbhash": thumbhash(&small).expect("thumbhash"),
            "blurhash": blurhashes,
        }));
    }
    let manifest = serde_json::to_string_pretty(&vectors).expect("JSON");
    std::fs::write(out.join("manifest.json"), manifest).expect("write the manifest");
    println!("{} vectors in {}", vectors.len(), out.display());
}
