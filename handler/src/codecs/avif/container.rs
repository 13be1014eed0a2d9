//! What the HEIF (ISO-BMFF) container says about the primary image.
//!
//! avif-parse reads the AVIF structure (items, their locations, the alpha auxiliary and
//! premultiplication) and hands out the AV1 payloads: [`items`]. It does not expose the
//! primary item's properties, nor read HEIC at all, so a small box reader takes those
//! from `meta` (`pitm`, `iprp`/`ipco`/`ipma`): size (`ispe`), rotation and mirroring
//! (`irot`/`imir`) and colour (`colr`: an ICC profile or nclx): [`properties`]. That
//! reader only walks boxes and copies nothing.

use crate::codecs::{corrupt, guard, orient, ImageFormat};

pub(super) mod items;
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Nclx {
    pub primaries: u16,
    pub transfer: u16,
    pub matrix: u16,
    pub full_range: bool,
}

/// A clean aperture (`clap`) as a rectangle of the coded image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Crop {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// The primary image's properties, as the small reader finds them.
#[derive(Debug)]
pub(super) struct Properties<'a> {
    pub primary: u32,
    /// Size after the clean aperture, before rotation (what decoding hands on).
    pub width: u32,
    pub height: u32,
    /// Size as coded (`ispe`): what the decoder allocates.
    pub coded_width: u32,
    pub coded_height: u32,
    /// The clean aperture, applied first (MIAF: crop, then rotation, then mirror).
    pub crop: Option<Crop>,
    /// `irot`/`imir` as the equivalent EXIF orientation.
    pub orientation: u8,
    pub icc_profile: Option<&'a [u8]>,
    pub nclx: Option<Nclx>,
    /// Bits per channel from `pixi`, when the file has one.
    pub bit_depth: Option<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum HeifError {
    /// The bytes break the box structure.
    Malformed(&'static str),
    /// A valid file with no still primary image (e.g. an image sequence only).
    NoPrimaryImage,
}

pub(super) type Result<T> = std::result::Result<T, HeifError>;

/// Iterates the boxes in `data`: yields (type, payload).
pub(super) struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
}

pub(super) fn boxes(data: &[u8]) -> Boxes<'_> {
    Boxes { data, pos: 0 }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<([u8; 4], &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.data[self.pos..];
        if rest.is_empty() {
            return None;
        }
        let parsed = (|| {
            let head = rest
                .get(..8)
                .ok_or(HeifError::Malformed("box header cut short"))?;
            let kind = [head[4], head[5], head[6], head[7]];
            let (len, header_len) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
                0 => (rest.len() as u64, 8),
                1 => {
                    let large = rest
                        .get(8..16)
                        .ok_or(HeifError::Malformed("box header cut short"))?;
                    (u64::from_be_bytes(large.try_into().expect("8 bytes")), 16)
                }
                n => (u64::from(n), 8),
            };
            if len < header_len as u64 || len > rest.len() as u64 {
                return Err(HeifError::Malformed("box size out of range"));
            }
            Ok((kind, &rest[header_len..len as usize], len as usize))
        })();
        match parsed {
            Ok((kind, payload, len)) => {
                self.pos += len;
                Some(Ok((kind, payload)))
            }
            Err(e) => {
                self.pos = self.data.len(); // stop after an error
                Some(Err(e))
            }
        }
    }
}

pub(super) fn find<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>> {
    for item in boxes(data) {
        let (k, payload) = item?;
        if &k == kind {
            return Ok(Some(payload));
        }
    }
    Ok(None)
}

pub(super) fn be16(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 2)
        .map(|s| u32::from(u16::from_be_bytes([s[0], s[1]])))
        .ok_or(HeifError::Malformed("box payload cut short"))
}

pub(super) fn be32(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(HeifError::Malformed("box payload cut short"))
}

/// Full boxes start with version (1 byte) and flags (3 bytes).
pub(super) fn full_box(payload: &[u8]) -> Result<(u8, u32, &[u8])> {
    let head = payload
        .get(..4)
        .ok_or(HeifError::Malformed("full box cut short"))?;
    let flags = u32::from(head[1]) << 16 | u32::from(head[2]) << 8 | u32::from(head[3]);
    Ok((head[0], flags, &payload[4..]))
}

/// The primary image's size, orientation and colour, for AVIF and HEIC alike.
pub(super) fn properties(
    bytes: &[u8],
    format: ImageFormat,
) -> std::result::Result<Properties<'_>, Error> {
    read_properties(bytes).map_err(|e| match e {
        HeifError::Malformed(why) => corrupt(format, why),
        HeifError::NoPrimaryImage => Error::UnsupportedMediaType(format!(
            "this {} file has no still primary image (image sequences are not supported)",
            format.label()
        )),
    })
}

/// The primary item's grid layout, tiles and alpha when it is a grid (see `items`).
pub(super) fn grid<'a>(
    bytes: &'a [u8],
    properties: &Properties<'_>,
) -> std::result::Result<Option<items::GridImage<'a>>, Error> {
    items::primary_grid(bytes, properties.primary).map_err(|e| match e {
        HeifError::Malformed(why) => corrupt(ImageFormat::Avif, why),
        HeifError::NoPrimaryImage => corrupt(ImageFormat::Avif, "no primary image"),
    })
}

/// The AV1 payloads of an AVIF's primary image and of its alpha auxiliary, read by
/// avif-parse. What it cannot read (grid images, sequences) is a 415.
pub(super) fn items(bytes: &[u8]) -> std::result::Result<avif_parse::AvifData, Error> {
    use std::io::Read;
    // avif-parse insists on the major brand `avif`; files that are AVIF by a compatible
    // brand (e.g. major `mif1`) are fed to it with the brand patched, without copying.
    let mut head = bytes.get(..12).map(<[u8]>::to_vec).unwrap_or_default();
    if head.len() == 12 && &head[8..12] != b"avif" && &head[8..12] != b"avis" {
        head[8..12].copy_from_slice(b"avif");
    }
    let mut reader = head.as_slice().chain(bytes.get(12..).unwrap_or_default());
    // avif-parse asserts (debug_assert) on some malformed boxes where a release build
    // returns an error; either way the file is corrupt, never a crash.
    let parsed = guard(
        || Ok(avif_parse::read_avif(&mut reader)),
        || corrupt(ImageFormat::Avif, "the container does not parse"),
    )?;
    parsed.map_err(|e| match e {
        avif_parse::Error::Unsupported(what) => {
            Error::UnsupportedMediaType(format!("this AVIF image cannot be decoded: {what}"))
        }
        avif_parse::Error::OutOfMemory => {
            Error::ImageTooLarge("the AVIF container is too large".into())
        }
        other => corrupt(ImageFormat::Avif, other),
    })
}

fn read_properties(bytes: &[u8]) -> Result<Properties<'_>> {
    let Some(meta) = find(bytes, b"meta")? else {
        return Err(HeifError::NoPrimaryImage);
    };
    let (_, _, meta) = full_box(meta)?;
    let pitm = find(meta, b"pitm")?.ok_or(HeifError::NoPrimaryImage)?;
    let (version, _, pitm) = full_box(pitm)?;
    let primary = if version == 0 {
        be16(pitm, 0)?
    } else {
        be32(pitm, 0)?
    };

    let iprp = find(meta, b"iprp")?.ok_or(HeifError::Malformed("no item properties"))?;
    let ipco = find(iprp, b"ipco")?.ok_or(HeifError::Malformed("no item properties"))?;
    let properties: Vec<([u8; 4], &[u8])> = boxes(ipco).collect::<Result<_>>()?;
    let associations = parse_ipma(iprp)?;
    let primary_properties = associations
        .iter()
        .filter(|(id, _)| *id == primary)
        .flat_map(|(_, indices)| indices.iter())
        .filter_map(|&i| {
            i.checked_sub(1)
                .and_then(|i| properties.get(i as usize))
                .copied()
        });

    let mut info = Properties {
        primary,
        width: 0,
        height: 0,
        coded_width: 0,
        coded_height: 0,
        crop: None,
        orientation: 1,
        icc_profile: None,
        nclx: None,
        bit_depth: None,
    };
    let (mut turns, mut mirror, mut clap) = (0u8, None, None);
    for (kind, payload) in primary_properties {
        match &kind {
            b"ispe" => {
                let (_, _, p) = full_box(payload)?;
                info.width = be32(p, 0)?;
                info.height = be32(p, 4)?;
            }
            b"irot" => turns = payload.first().map_or(0, |b| b & 3),
            // Full box, then the channel count and each channel's bits.
            b"pixi" => info.bit_depth = payload.get(5).copied(),
            b"imir" => mirror = payload.first().map(|b| b & 1),
            b"clap" => clap = Some(payload),
            b"colr" if payload.len() >= 4 => match &payload[..4] {
                b"prof" | b"rICC" => info.icc_profile = Some(&payload[4..]),
                b"nclx" if payload.len() >= 11 => {
                    info.nclx = Some(Nclx {
                        primaries: be16(payload, 4)? as u16,
                        transfer: be16(payload, 6)? as u16,
                        matrix: be16(payload, 8)? as u16,
                        full_range: payload[10] & 0x80 != 0,
                    })
                }
                _ => {}
            },
            _ => {}
        }
    }
    info.orientation = orient::from_heif(turns, mirror);
    if info.width == 0 || info.height == 0 {
        return Err(HeifError::Malformed("the primary image has no size (ispe)"));
    }
    (info.coded_width, info.coded_height) = (info.width, info.height);
    if let Some(clap) = clap {
        let crop = clean_aperture(clap, info.width, info.height)?;
        (info.width, info.height) = (crop.width, crop.height);
        info.crop = Some(crop);
    }
    Ok(info)
}

/// The rectangle a `clap` box (ISO/IEC 14496-12, 12.1.4) keeps of a `width`×`height`
/// image: its centre is the image's centre ((width − 1)/2) plus the offset. MIAF wants
/// whole numbers; where a file has halves, the left edge is rounded down and the top edge
/// to nearest, as libheif (and so Sharp) does. A rectangle reaching outside the image is
/// clipped to it, also as libheif does; an empty one is an error.
fn clean_aperture(clap: &[u8], width: u32, height: u32) -> Result<Crop> {
    let field = |i: usize| -> Result<i64> { Ok(i64::from(be32(clap, 4 * i)? as i32)) };
    let fraction = |i: usize| -> Result<(i64, i64)> {
        let (n, d) = (field(i)?, field(i + 1)?);
        if d <= 0 {
            return Err(HeifError::Malformed(
                "clap has a zero or negative denominator",
            ));
        }
        Ok((n, d))
    };
    let ((wn, wd), (hn, hd)) = (fraction(0)?, fraction(2)?);
    let (clap_w, clap_h) = ((wn + wd / 2) / wd, (hn + hd / 2) / hd);
    // first = offset + (size − 1)/2 − (clap − 1)/2, in halves of a pixel over d.
    let first = |(on, od): (i64, i64), size: u32, clap: i64| -> (i64, i64) {
        (
            2 * on + od * (i64::from(size) - 1) - od * (clap - 1),
            2 * od,
        )
    };
    let (ln, ld) = first(fraction(4)?, width, clap_w);
    let (tn, td) = first(fraction(6)?, height, clap_h);
    let left = ln.div_euclid(ld);
    let top = (tn + td / 2).div_euclid(td);
    let right = (left + clap_w - 1).min(i64::from(width) - 1);
    let bottom = (top + clap_h - 1).min(i64::from(height) - 1);
    let (left, top) = (left.max(0), top.max(0));
    if clap_w <= 0 || clap_h <= 0 || left > right || top > bottom {
        return Err(HeifError::Malformed("the clean aperture is empty"));
    }
    Ok(Crop {
        x: left as u32,
        y: top as u32,
        width: (right - left + 1) as u32,
        height: (bottom - top + 1) as u32,
    })
}

/// ipma: item id → 1-based property indices.
pub(super) fn parse_ipma(iprp: &[u8]) -> Result<Vec<(u32, Vec<u32>)>> {
    let ipma = find(iprp, b"ipma")?.ok_or(HeifError::Malformed("no property associations"))?;
    let (version, flags, body) = full_box(ipma)?;
    let count = be32(body, 0)?;
    let mut pos = 4;
    let mut out = Vec::new();
    for _ in 0..count {
        let item = if version < 1 {
            pos += 2;
            be16(body, pos - 2)?
        } else {
            pos += 4;
            be32(body, pos - 4)?
        };
        let n = *body
            .get(pos)
            .ok_or(HeifError::Malformed("ipma cut short"))?;
        pos += 1;
        let mut indices = Vec::with_capacity(usize::from(n));
        for _ in 0..n {
            if flags & 1 != 0 {
                indices.push(be16(body, pos)? & 0x7fff);
                pos += 2;
            } else {
                let b = *body
                    .get(pos)
                    .ok_or(HeifError::Malformed("ipma cut short"))?;
                indices.push(u32::from(b & 0x7f));
                pos += 1;
            }
        }
        out.push((item, indices));
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn make_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(payload);
        out
    }

    fn full(kind: &[u8; 4], version: u8, payload: &[u8]) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        body.extend_from_slice(payload);
        make_box(kind, &body)
    }

    /// A header-only HEIF: ftyp + meta with pitm, iinf, an empty iloc, ispe and optional
    /// irot/imir. No payload: enough for the header, never for pixels.
    pub(crate) fn heif_header(
        brand: &[u8; 4],
        width: u32,
        height: u32,
        irot: Option<u8>,
        imir: Option<u8>,
    ) -> Vec<u8> {
        let mut ftyp_payload = brand.to_vec();
        ftyp_payload.extend_from_slice(&[0, 0, 0, 0]);
        ftyp_payload.extend_from_slice(b"mif1");
        ftyp_payload.extend_from_slice(brand);
        let mut ispe = width.to_be_bytes().to_vec();
        ispe.extend_from_slice(&height.to_be_bytes());
        let mut ipco = full(b"ispe", 0, &ispe);
        let mut primary_props = vec![1u8];
        if let Some(angle) = irot {
            ipco.extend(make_box(b"irot", &[angle]));
            primary_props.push(2);
        }
        if let Some(axis) = imir {
            ipco.extend(make_box(b"imir", &[axis]));
            primary_props.push(if irot.is_some() { 3 } else { 2 });
        }
        let mut ipma = vec![0, 0, 0, 1];
        ipma.extend_from_slice(&[0, 1, primary_props.len() as u8]);
        ipma.extend(primary_props.iter().map(|p| p | 0x80));
        let mut iprp = make_box(b"ipco", &ipco);
        iprp.extend(full(b"ipma", 0, &ipma));
        let item_type = if brand == b"avif" { b"av01" } else { b"hvc1" };
        let mut infe = vec![0, 1, 0, 0];
        infe.extend_from_slice(item_type);
        infe.push(0);
        let mut iinf = vec![0, 1];
        iinf.extend(full(b"infe", 2, &infe));
        let mut meta = full(b"pitm", 0, &[0, 1]);
        meta.extend(full(b"iinf", 0, &iinf));
        meta.extend(full(b"iloc", 0, &[0x44, 0, 0, 0]));
        meta.extend(make_box(b"iprp", &iprp));
        let mut out = make_box(b"ftyp", &ftyp_payload);
        out.extend(full(b"meta", 0, &meta));
        out
    }

    #[test]
    fn reads_size_rotation_and_mirror() {
        let read = |brand, irot, imir| {
            let header = heif_header(brand, 640, 480, irot, imir);
            let info = read_properties(&header).unwrap();
            (info.width, info.height, info.orientation)
        };
        assert_eq!(read(b"avif", None, None), (640, 480, 1));
        assert_eq!(read(b"heic", Some(3), None), (640, 480, 6));
        assert_eq!(
            read(b"avif", Some(1), Some(0)).2,
            orient::from_heif(1, Some(0))
        );
        // avif-parse accepts the same header: it has every box avif-parse requires.
        let items = items(&heif_header(b"avif", 640, 480, None, None)).unwrap();
        assert!(items.alpha_item.is_none());
    }

    fn clap(values: [i32; 8]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    #[test]
    fn clean_aperture_rectangles() {
        let crop = |values, w, h| clean_aperture(&clap(values), w, h);
        // Link-U's kimono.crop: centre 360.5 + 103, 385 wide → left edge 271.5, rounded
        // down; top 511.5 − 308 − 164.5 = 39.
        let kimono = crop([385, 1, 330, 1, 103, 1, -308, 1], 722, 1024).unwrap();
        assert_eq!(
            (kimono.x, kimono.y, kimono.width, kimono.height),
            (271, 39, 385, 330)
        );
        // The same crop stored turned: the half is now in the top edge, rounded to nearest.
        let turned = crop([330, 1, 385, 1, -308, 1, 103, 1], 1024, 722).unwrap();
        assert_eq!(
            (turned.x, turned.y, turned.width, turned.height),
            (39, 272, 330, 385)
        );
        // Microsoft's Chimera layout: 1920×1080 coded, 1920×1008 centred.
        let bars = crop([1920, 1, 1008, 1, 0, 1, 0, 1], 1920, 1080).unwrap();
        assert_eq!(
            (bars.x, bars.y, bars.width, bars.height),
            (0, 36, 1920, 1008)
        );
        // Reaching outside is clipped; empty or zero denominators are errors.
        let clipped = crop([100, 1, 100, 1, 40, 1, 0, 1], 100, 100).unwrap();
        assert_eq!((clipped.x, clipped.width), (40, 60));
        assert!(crop([0, 1, 10, 1, 0, 1, 0, 1], 100, 100).is_err());
        assert!(crop([10, 0, 10, 1, 0, 1, 0, 1], 100, 100).is_err());
        assert!(crop([10, 1, 10, 1, 500, 1, 0, 1], 100, 100).is_err());
        assert!(clean_aperture(&[0; 12], 100, 100).is_err());
    }

    #[test]
    fn malformed_boxes_are_errors_not_panics() {
        let good = heif_header(b"avif", 10, 10, Some(1), Some(1));
        for cut in 0..good.len() {
            let _ = properties(&good[..cut], ImageFormat::Avif);
            let _ = items(&good[..cut]);
        }
        let mut bad = good.clone();
        bad[36] = 0xff; // pitm's size, far past the end
        assert_eq!(
            read_properties(&bad).unwrap_err(),
            HeifError::Malformed("box size out of range")
        );
        assert_eq!(
            read_properties(&make_box(b"ftyp", b"avis\0\0\0\0")).unwrap_err(),
            HeifError::NoPrimaryImage
        );
        let sequence = make_box(b"ftyp", b"avis\0\0\0\0");
        let refused = properties(&sequence, ImageFormat::Avif).unwrap_err();
        assert_eq!(refused.code(), "unsupported-media-type");
    }
}
