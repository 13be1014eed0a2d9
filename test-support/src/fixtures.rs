//! Test images made in code, the folders that hold test files, and decoding.

use std::path::PathBuf;

/// The repository's root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("test-support lives in the workspace root")
        .to_path_buf()
}

/// `handler/tests/<rel>`: the corpus, golden files, events and fixtures.
pub fn handler_tests_dir(rel: &str) -> PathBuf {
    repo_root().join("handler/tests").join(rel)
}

/// Encodes an RGB image as PNG.
fn to_png(img: &image::RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// A small PNG made in code: `w`×`h` RGB gradient.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    to_png(&image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 5) as u8, 128])
    }))
}

/// A small opaque PNG of `w`×`h` whose pixels depend on `seed`: other bytes for the
/// same size.
pub fn seeded_png(w: u32, h: u32, seed: u8) -> Vec<u8> {
    to_png(&image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x as u8).wrapping_mul(7) ^ seed,
            (y as u8).wrapping_mul(13),
            seed.wrapping_add((x + y) as u8),
        ])
    }))
}

/// A PNG that does not compress: `w`×`h` pixels of pseudo-random noise from `seed`.
pub fn noisy_png_seeded(w: u32, h: u32, seed: u64) -> Vec<u8> {
    // xorshift: deterministic noise without a dependency; a zero state stays zero.
    let mut state = seed | 1;
    to_png(&image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let b = state.to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    }))
}

/// A PNG that does not compress: `w`×`h` pixels of pseudo-random noise.
pub fn noisy_png(w: u32, h: u32) -> Vec<u8> {
    noisy_png_seeded(w, h, 0x2545_f491_4f6c_dd1d)
}

pub fn decode(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).expect("response decodes as an image")
}

/// Why `body` is not a TIFF of `inner` with an `ex`-pixel margin all round (None when it
/// is): the size, then `inner`'s pixels exact inside the margin. The large-result checks
/// (handler/tests/large_output.rs, the integration suite) share it.
pub fn margined_tiff_problem(body: &[u8], inner: &image::RgbImage, ex: u32) -> Option<String> {
    let img = match image::load_from_memory_with_format(body, image::ImageFormat::Tiff) {
        Ok(img) => img.to_rgb8(),
        Err(e) => return Some(format!("not a decodable TIFF ({} bytes): {e}", body.len())),
    };
    let (w, h) = inner.dimensions();
    if img.dimensions() != (w + 2 * ex, h + 2 * ex) {
        let want = (w + 2 * ex, h + 2 * ex);
        return Some(format!("{:?}, expected {want:?}", img.dimensions()));
    }
    let middle = image::imageops::crop_imm(&img, ex, ex, w, h).to_image();
    (middle.as_raw() != inner.as_raw()).then(|| "the pixels differ inside the margin".into())
}
