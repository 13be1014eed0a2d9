//! EXIF orientation (1–8): reading it and turning pixels upright.

use image::metadata::Orientation;
use image::DynamicImage;

/// Orientation from a TIFF-structured EXIF block (starting "II*\0" or "MM\0*");
/// 1 when absent or invalid.
pub(super) fn from_exif(tiff_block: &[u8]) -> u8 {
    Orientation::from_exif_chunk(tiff_block).map_or(1, Orientation::to_exif)
}

/// Orientations 5–8 swap the axes.
pub(super) fn swaps_axes(orientation: u8) -> bool {
    (5..=8).contains(&orientation)
}

/// Upright size of a stored `width`×`height` image.
pub(super) fn oriented_size(width: u32, height: u32, orientation: u8) -> (u32, u32) {
    if swaps_axes(orientation) {
        (height, width)
    } else {
        (width, height)
    }
}

/// Stored-orientation size for an upright size (the same swap, since it is its own inverse).
pub(super) fn stored_size(width: u32, height: u32, orientation: u8) -> (u32, u32) {
    oriented_size(width, height, orientation)
}

/// Rotates/flips the pixels so the image is upright.
pub(super) fn apply(image: &mut DynamicImage, orientation: u8) {
    if let Some(o) = Orientation::from_exif(orientation) {
        if o != Orientation::NoTransforms {
            image.apply_orientation(o);
        }
    }
}

/// HEIF `irot` (anticlockwise quarter turns) then `imir`, expressed as the EXIF orientation
/// that does the same. MIAF (ISO/IEC 23000-22, 7.3.6.7) fixes the order: clean aperture,
/// then rotation, then mirror. ISO/IEC 23008-12:2022, 6.5.12 defines the mirror axis:
/// 0 = "the top and bottom parts of the image are exchanged", 1 = "the left and right
/// parts are exchanged" (its note: axis 0 is EXIF 4, axis 1 is EXIF 2). libavif, libheif
/// and browsers read it that way; the 2017 edition's wording ("vertical axis") was read
/// the other way round by some early writers.
pub(super) fn from_heif(quarter_turns_ccw: u8, mirror_axis: Option<u8>) -> u8 {
    // A quarter turn anticlockwise is EXIF 8 ("rotate 270° clockwise to display").
    const ROTATE: [u8; 4] = [1, 8, 3, 6];
    // Rotation by `a` then a left↔right flip.
    const ROTATE_THEN_FLIP_H: [u8; 4] = [2, 7, 4, 5];
    let turns = usize::from(quarter_turns_ccw & 3);
    match mirror_axis {
        None => ROTATE[turns],
        // Top↔bottom is a half turn plus a left↔right flip.
        Some(0) => ROTATE_THEN_FLIP_H[(turns + 2) % 4],
        Some(_) => ROTATE_THEN_FLIP_H[turns],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GenericImageView, Rgb, RgbImage};

    /// 3×2 image with distinct corners: where does the top-left pixel end up?
    fn marked() -> DynamicImage {
        let mut img = RgbImage::new(3, 2);
        img.put_pixel(0, 0, Rgb([255, 0, 0]));
        DynamicImage::ImageRgb8(img)
    }

    #[test]
    fn sizes_swap_for_5_to_8() {
        for o in 1..=8u8 {
            let expected = if o >= 5 { (20, 10) } else { (10, 20) };
            assert_eq!(oriented_size(10, 20, o), expected, "orientation {o}");
        }
    }

    /// The table libavif's `avifImageGetExifOrientationFromIrotImir` (apps/shared/avifexif.c)
    /// and the spec's note give, written out independently of the code above:
    /// (irot, imir) → EXIF orientation.
    #[test]
    fn heif_transforms_match_the_published_table() {
        let table: [(u8, Option<u8>, u8); 12] = [
            (0, None, 1),
            (1, None, 8),
            (2, None, 3),
            (3, None, 6),
            (0, Some(0), 4), // "Exif orientation tag 4 corresponds to axis = 0"
            (0, Some(1), 2), // "... tag 2 corresponds to axis = 1"
            (1, Some(0), 5),
            (1, Some(1), 7),
            (2, Some(0), 2),
            (2, Some(1), 4),
            (3, Some(0), 7),
            (3, Some(1), 5),
        ];
        for (irot, imir, exif) in table {
            assert_eq!(from_heif(irot, imir), exif, "irot {irot} imir {imir:?}");
        }
    }

    /// The same by pixels: turn a marked image as the spec's words say (anticlockwise
    /// quarter turns, then axis 0 = top and bottom exchanged, 1 = left and right
    /// exchanged) and compare with the EXIF route.
    #[test]
    fn heif_transforms_match_exif_by_pixels() {
        for turns in 0..4u8 {
            for mirror in [None, Some(0u8), Some(1u8)] {
                let mut by_hand = marked();
                for _ in 0..turns {
                    by_hand = by_hand.rotate270(); // one turn anticlockwise
                }
                match mirror {
                    Some(0) => by_hand = by_hand.flipv(),
                    Some(_) => by_hand = by_hand.fliph(),
                    None => {}
                }
                let mut via_exif = marked();
                apply(&mut via_exif, from_heif(turns, mirror));
                assert_eq!(by_hand.dimensions(), via_exif.dimensions());
                assert_eq!(
                    by_hand.to_rgb8().into_raw(),
                    via_exif.to_rgb8().into_raw(),
                    "irot {turns} imir {mirror:?}"
                );
            }
        }
    }

    #[test]
    fn exif_block_parse() {
        // Big-endian TIFF header, IFD0 at 8 with one entry: 0x0112 SHORT 1 = 6.
        let block = [
            b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0,
            0, 0, 0,
        ];
        assert_eq!(from_exif(&block), 6);
        assert_eq!(from_exif(b"garbage"), 1);
        assert_eq!(from_exif(&block[..12]), 1);
    }
}
