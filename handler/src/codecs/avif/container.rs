//! What the HEIF (ISO-BMFF) container says about the primary image.
//!
//! avif-parse reads the AVIF structure (items, their locations, the alpha auxiliary and
//! premultiplication) and hands out the AV1 payloads: [`items`]. It does not expose the
//! primary item's properties, nor read HEIC at all, so a small box reader takes those
//! from `meta` (`pitm`, `iprp`/`ipco`/`ipma`): size (`ispe`), rotation and mirroring
//! (`irot`/`imir`) and colour (`colr`: an ICC profile or nclx): [`properties`]. That
//! reader only walks boxes and copies nothing.

use crate::codecs::{corrupt, guard, orient, ImageFormat};
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Nclx {
    pub primaries: u16,
    pub transfer: u16,
    pub matrix: u16,
    pub full_range: bool,
}

/// The primary image's properties, as the small reader finds them.
#[derive(Debug)]
pub(super) struct Properties<'a> {
    pub width: u32,
    pub height: u32,
    /// `irot`/`imir` as the equivalent EXIF orientation.
    pub orientation: u8,
    pub icc_profile: Option<&'a [u8]>,
    pub nclx: Option<Nclx>,
}

#[derive(Debug, PartialEq, Eq)]
enum HeifError {
    /// The bytes break the box structure.
    Malformed(&'static str),
    /// A valid file with no still primary image (e.g. an image sequence only).
    NoPrimaryImage,
}

type Result<T> = std::result::Result<T, HeifError>;

/// Iterates the boxes in `data`: yields (type, payload).
struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
}

fn boxes(data: &[u8]) -> Boxes<'_> {
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

fn find<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>> {
    for item in boxes(data) {
        let (k, payload) = item?;
        if &k == kind {
            return Ok(Some(payload));
        }
    }
    Ok(None)
}

fn be16(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 2)
        .map(|s| u32::from(u16::from_be_bytes([s[0], s[1]])))
        .ok_or(HeifError::Malformed("box payload cut short"))
}

fn be32(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(HeifError::Malformed("box payload cut short"))
}

/// Full boxes start with version (1 byte) and flags (3 bytes).
fn full_box(payload: &[u8]) -> Result<(u8, u32, &[u8])> {
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
        width: 0,
        height: 0,
        orientation: 1,
        icc_profile: None,
        nclx: None,
    };
    let (mut turns, mut mirror) = (0u8, None);
    for (kind, payload) in primary_properties {
        match &kind {
            b"ispe" => {
                let (_, _, p) = full_box(payload)?;
                info.width = be32(p, 0)?;
                info.height = be32(p, 4)?;
            }
            b"irot" => turns = payload.first().map_or(0, |b| b & 3),
            b"imir" => mirror = payload.first().map(|b| b & 1),
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
    Ok(info)
}

/// ipma: item id → 1-based property indices.
fn parse_ipma(iprp: &[u8]) -> Result<Vec<(u32, Vec<u32>)>> {
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
