//! Placeholders from a small image: ThumbHash (the `thumbhash` crate), BlurHash (the
//! `blurhash` crate) and a dominant colour (ours). Every one of them starts from
//! [`small_rgba`]: at most [`MAX_SIDE`] pixels a side, as ThumbHash requires, and
//! plenty for BlurHash's few components. `bin/test-placeholders` checks both hashes
//! against the reference JavaScript implementations on the pixels we hash.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use image::{DynamicImage, RgbaImage};

use crate::error::Error;
use crate::params::BlurComponents;

/// The largest side ThumbHash accepts, and the size every placeholder is computed at.
pub const MAX_SIDE: u32 = 100;

/// The size a `width`×`height` image is brought to: within [`MAX_SIDE`] a side, aspect
/// kept (rounded, at least 1), never enlarged.
pub fn small_size(width: u32, height: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= MAX_SIDE {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(MAX_SIDE) + u64::from(longest) / 2) / u64::from(longest);
        (scaled as u32).clamp(1, MAX_SIDE)
    };
    (scale(width), scale(height))
}

/// `image` as 8-bit RGBA of at most [`MAX_SIDE`] a side (a box-filtered thumbnail).
pub fn small_rgba(image: &DynamicImage) -> RgbaImage {
    let (width, height) = small_size(image.width(), image.height());
    if (width, height) == (image.width(), image.height()) {
        return image.to_rgba8();
    }
    image.thumbnail_exact(width, height).to_rgba8()
}

/// The ThumbHash of `small` in standard base64 (with padding), as the reference
/// implementation's demo prints it.
pub fn thumbhash(small: &RgbaImage) -> Result<String, Error> {
    let (width, height) = (small.width() as usize, small.height() as usize);
    // The crate asserts these; a failed assertion must not reach a request.
    if width == 0 || height == 0 || width > MAX_SIDE as usize || height > MAX_SIDE as usize {
        return Err(Error::Internal(format!(
            "thumbhash needs 1-{MAX_SIDE} px a side, got {width}x{height}"
        )));
    }
    let hash = thumbhash::rgba_to_thumb_hash(width, height, small.as_raw());
    Ok(STANDARD.encode(hash))
}

/// The BlurHash of `small` with `components` (each 1-9, checked by the parser). The
/// crate's average colour (the DC term, characters 2-5) is replaced by ours: it rounds
/// twice (`(x + 0.5).round()`), one level too bright against BlurHash's C, Swift and
/// Python encoders on most images.
pub fn blurhash(small: &RgbaImage, components: BlurComponents) -> Result<String, Error> {
    let mut hash = blurhash::encode(
        u32::from(components.x),
        u32::from(components.y),
        small.width(),
        small.height(),
        small.as_raw(),
    )
    .map_err(|e| Error::Internal(format!("blurhash: {e}")))?;
    if hash.len() < 6 || small.is_empty() {
        return Err(Error::Internal(format!("blurhash: short hash {hash:?}")));
    }
    hash.replace_range(2..6, &base83(blurhash_dc(small), 4));
    Ok(hash)
}

/// BlurHash's DC value: the mean linear colour, back to sRGB rounded once, packed as
/// `r << 16 | g << 8 | b` (its `Algorithm.md`; alpha is not used).
fn blurhash_dc(small: &RgbaImage) -> u32 {
    let to_linear = |c: u8| {
        let v = f64::from(c) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let to_srgb = |v: f64| {
        let v = v.clamp(0.0, 1.0);
        let encoded = if v <= 0.003_130_8 {
            v * 12.92
        } else {
            1.055 * v.powf(1.0 / 2.4) - 0.055
        };
        (encoded * 255.0 + 0.5).floor() as u32
    };
    let mut sums = [0.0f64; 3];
    for pixel in small.pixels() {
        for (sum, &c) in sums.iter_mut().zip(&pixel.0[..3]) {
            *sum += to_linear(c);
        }
    }
    let n = f64::from(small.width()) * f64::from(small.height());
    let [r, g, b] = sums.map(|sum| to_srgb(sum / n));
    r << 16 | g << 8 | b
}

/// `value` in BlurHash's base 83, `digits` characters.
fn base83(value: u32, digits: u32) -> String {
    const ALPHABET: &[u8; 83] =
        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
    (1..=digits)
        .map(|i| char::from(ALPHABET[(value / 83u32.pow(digits - i) % 83) as usize]))
        .collect()
}

/// The most common colour of `small` as `#rrggbb`: pixels at least half opaque are
/// counted in cells of 16 levels per channel, and the winning cell's pixels are
/// averaged (ties go to the darker cell). `None` when no pixel is half opaque.
pub fn dominant_colour(small: &RgbaImage) -> Option<String> {
    const CELLS: usize = 16 * 16 * 16;
    let mut counts = vec![0u32; CELLS];
    let mut sums = vec![[0u64; 3]; CELLS];
    for pixel in small.pixels() {
        let [r, g, b, a] = pixel.0;
        if a < 128 {
            continue;
        }
        let cell = usize::from(r >> 4) << 8 | usize::from(g >> 4) << 4 | usize::from(b >> 4);
        counts[cell] += 1;
        for (sum, value) in sums[cell].iter_mut().zip([r, g, b]) {
            *sum += u64::from(value);
        }
    }
    let (cell, &count) = counts
        .iter()
        .enumerate()
        .max_by(|(i, a), (j, b)| a.cmp(b).then(j.cmp(i)))?;
    if count == 0 {
        return None;
    }
    let mean = |channel: usize| (sums[cell][channel] + u64::from(count) / 2) / u64::from(count);
    Some(format!("#{:02x}{:02x}{:02x}", mean(0), mean(1), mean(2)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn small_size_fits_100_keeps_aspect_and_never_enlarges() {
        assert_eq!(small_size(4000, 3000), (100, 75));
        assert_eq!(small_size(3000, 4000), (75, 100));
        assert_eq!(small_size(100, 100), (100, 100));
        assert_eq!(small_size(60, 20), (60, 20));
        assert_eq!(small_size(10_000, 1), (100, 1));
        assert_eq!(small_size(1, 16_384), (1, 100));
        assert_eq!(small_size(101, 50), (100, 50));
    }

    /// Two thirds of the pixels are one red, the rest a spread of blues whose mean
    /// would be purple: the dominant colour is the red, not the mean; transparent
    /// pixels do not count, whatever their colour.
    #[test]
    fn dominant_colour_is_the_largest_cell_not_the_mean() {
        let img = RgbaImage::from_fn(30, 30, |x, y| match (x, y) {
            (0..=19, _) => Rgba([200, 30, 20, 255]),
            (_, 0..=14) => Rgba([0, 0, 255 - y as u8, 255]),
            _ => Rgba([0, 255, 0, 0]),
        });
        assert_eq!(dominant_colour(&img).as_deref(), Some("#c81e14"));
        let clear = RgbaImage::from_pixel(4, 4, Rgba([255, 255, 255, 10]));
        assert_eq!(dominant_colour(&clear), None);
        // The mean within the cell, not the cell's corner.
        let near = RgbaImage::from_fn(2, 1, |x, _| Rgba([100 + x as u8 * 2, 50, 50, 255]));
        assert_eq!(dominant_colour(&near).as_deref(), Some("#653232"));
    }

    #[test]
    fn hashes_refuse_what_the_crates_would_assert_on() {
        let big = RgbaImage::new(101, 10);
        assert_eq!(thumbhash(&big).unwrap_err().code(), "internal-error");
        let empty = RgbaImage::new(0, 0);
        assert!(thumbhash(&empty).is_err());
        let ok = RgbaImage::from_pixel(100, 3, Rgba([1, 2, 3, 255]));
        assert!(!thumbhash(&ok).unwrap().is_empty());
    }

    /// A one-colour image's DC is that colour exactly (BlurHash's own decoders read it
    /// back); the crate's raw hash is one level off, which this check catches.
    #[test]
    fn blurhash_dc_is_the_average_colour_rounded_once() {
        let unbase83 = |text: &str| {
            const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
            text.chars()
                .fold(0u32, |n, c| n * 83 + ALPHABET.find(c).unwrap() as u32)
        };
        let rgb = |v: u32| [v >> 16 & 255, v >> 8 & 255, v & 255];
        for colour in [[12u8, 200, 99], [0, 0, 0], [255, 255, 255], [1, 128, 254]] {
            let [r, g, b] = colour;
            let img = RgbaImage::from_pixel(7, 5, Rgba([r, g, b, 255]));
            let ours = blurhash(&img, BlurComponents { x: 4, y: 3 }).unwrap();
            let want = colour.map(u32::from);
            assert_eq!(rgb(unbase83(&ours[2..6])), want, "{colour:?}");
            let raw = blurhash::encode(4, 3, 7, 5, img.as_raw()).unwrap();
            assert_eq!(raw[6..], ours[6..], "only the DC is replaced");
            if colour == [12, 200, 99] {
                assert_ne!(rgb(unbase83(&raw[2..6])), want, "the crate's own DC is off");
            }
        }
        assert_eq!(base83(0, 4), "0000");
        assert_eq!(base83(83 * 83 + 1, 4), "0101");
    }

    /// BlurHash's length is fixed by its components: 4 + 2·x·y characters.
    #[test]
    fn blurhash_length_follows_the_components() {
        let img = RgbaImage::from_fn(40, 30, |x, y| Rgba([x as u8 * 6, y as u8 * 8, 90, 255]));
        for (x, y) in [(1, 1), (4, 3), (9, 9), (2, 7)] {
            let hash = blurhash(&img, BlurComponents { x, y }).unwrap();
            assert_eq!(
                hash.len(),
                4 + 2 * usize::from(x) * usize::from(y),
                "{x}x{y}"
            );
        }
    }
}
