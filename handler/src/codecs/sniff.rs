//! Format detection from magic bytes only; file names and Content-Type are never trusted.

use super::ImageFormat;

/// HEIF brands whose images are HEVC-coded (or generic HEIF that is not AVIF).
const HEIC_BRANDS: [&[u8; 4]; 9] = [
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1",
];
const AVIF_BRANDS: [&[u8; 4]; 2] = [b"avif", b"avis"];

pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(ImageFormat::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(ImageFormat::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Some(ImageFormat::Gif);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(ImageFormat::Webp);
    }
    // Classic TIFF (42) and BigTIFF (43), both byte orders.
    if bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || bytes.starts_with(b"II+\0")
        || bytes.starts_with(b"MM\0+")
    {
        return Some(ImageFormat::Tiff);
    }
    sniff_heif(bytes)
}

/// ISO-BMFF `ftyp`: the major brand decides; otherwise an AVIF compatible brand wins over
/// HEIC ones (AVIF files often list `mif1` too).
fn sniff_heif(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    let box_len = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let end = box_len.clamp(16, bytes.len());
    let major = &bytes[8..12];
    let compatible = bytes[16..end].chunks_exact(4);
    let is = |brand: &[u8], set: &[&[u8; 4]]| set.iter().any(|b| &b[..] == brand);
    if is(major, &AVIF_BRANDS) {
        return Some(ImageFormat::Avif);
    }
    if is(major, &HEIC_BRANDS[..8]) {
        return Some(ImageFormat::Heic);
    }
    if compatible.clone().any(|b| is(b, &AVIF_BRANDS)) {
        return Some(ImageFormat::Avif);
    }
    if is(major, &HEIC_BRANDS) || compatible.clone().any(|b| is(b, &HEIC_BRANDS)) {
        return Some(ImageFormat::Heic);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let len = 16 + 4 * compatible.len();
        let mut out = (len as u32).to_be_bytes().to_vec();
        out.extend_from_slice(b"ftyp");
        out.extend_from_slice(major);
        out.extend_from_slice(&[0, 0, 0, 0]);
        for brand in compatible {
            out.extend_from_slice(&brand[..]);
        }
        out.extend_from_slice(&[0; 8]);
        out
    }

    #[test]
    fn sniff_table() {
        let cases: Vec<(Vec<u8>, Option<ImageFormat>)> = vec![
            (vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0], Some(ImageFormat::Jpeg)),
            (
                b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
                Some(ImageFormat::Png),
            ),
            (b"GIF89a\x01\0\x01\0".to_vec(), Some(ImageFormat::Gif)),
            (b"GIF87a\x01\0\x01\0".to_vec(), Some(ImageFormat::Gif)),
            (b"RIFF\x24\0\0\0WEBPVP8 ".to_vec(), Some(ImageFormat::Webp)),
            (b"II*\0\x08\0\0\0".to_vec(), Some(ImageFormat::Tiff)),
            (b"MM\0*\0\0\0\x08".to_vec(), Some(ImageFormat::Tiff)),
            (b"II+\0\x08\0\0\0".to_vec(), Some(ImageFormat::Tiff)),
            (ftyp(b"avif", &[b"mif1", b"miaf"]), Some(ImageFormat::Avif)),
            (ftyp(b"avis", &[b"msf1"]), Some(ImageFormat::Avif)),
            (ftyp(b"mif1", &[b"avif", b"miaf"]), Some(ImageFormat::Avif)),
            (ftyp(b"heic", &[b"mif1", b"heic"]), Some(ImageFormat::Heic)),
            (ftyp(b"heix", &[b"mif1"]), Some(ImageFormat::Heic)),
            (ftyp(b"mif1", &[b"heic"]), Some(ImageFormat::Heic)),
            (ftyp(b"hevc", &[]), Some(ImageFormat::Heic)),
            // A video MP4 is ISO-BMFF but not an image.
            (ftyp(b"isom", &[b"iso2", b"mp41"]), None),
            (b"RIFF\x24\0\0\0WAVEfmt ".to_vec(), None),
            (b"<svg xmlns=".to_vec(), None),
            (b"BM\0\0".to_vec(), None),
            (vec![0xFF, 0xD8], None),
            (vec![], None),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                sniff(&bytes),
                expected,
                "{:?}",
                &bytes[..bytes.len().min(12)]
            );
        }
    }

    #[test]
    fn names_and_mimes() {
        assert_eq!(ImageFormat::Jpeg.name(), "jpeg");
        assert_eq!(ImageFormat::Heic.mime(), "image/heic");
        assert_eq!(ImageFormat::Avif.mime(), "image/avif");
        assert_eq!(super::super::OutputFormat::Webp.mime(), "image/webp");
        assert_eq!(super::super::OutputFormat::Tiff.name(), "tiff");
    }
}
