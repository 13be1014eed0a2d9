//! Minimal HEIF (ISO-BMFF) reader for AVIF and HEIC headers: the primary item's size
//! (`ispe`), rotation/mirroring (`irot`/`imir`), colour (`colr`) and whether an alpha
//! auxiliary image exists. Only boxes are walked; no payload is copied except an ICC profile.

use crate::codecs::orient;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Nclx {
    pub primaries: u16,
    pub transfer: u16,
    pub matrix: u16,
    pub full_range: bool,
}

#[derive(Debug, Default)]
pub(super) struct HeifInfo {
    pub width: u32,
    pub height: u32,
    /// `irot`/`imir` as the equivalent EXIF orientation.
    pub orientation: u8,
    pub has_alpha: bool,
    pub icc_profile: Option<Vec<u8>>,
    pub nclx: Option<Nclx>,
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum HeifError {
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

pub(super) fn parse(bytes: &[u8]) -> Result<HeifInfo> {
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
    let props_of = |item: u32| -> Vec<([u8; 4], &[u8])> {
        associations
            .iter()
            .filter(|(id, _)| *id == item)
            .flat_map(|(_, indices)| indices.iter())
            .filter_map(|&i| {
                i.checked_sub(1)
                    .and_then(|i| properties.get(i as usize))
                    .copied()
            })
            .collect()
    };

    let mut info = HeifInfo {
        orientation: 1,
        ..HeifInfo::default()
    };
    let (mut turns, mut mirror) = (0u8, None);
    for (kind, payload) in props_of(primary) {
        match &kind {
            b"ispe" => {
                let (_, _, p) = full_box(payload)?;
                info.width = be32(p, 0)?;
                info.height = be32(p, 4)?;
            }
            b"irot" => turns = payload.first().map_or(0, |b| b & 3),
            b"imir" => mirror = payload.first().map(|b| b & 1),
            b"colr" if payload.len() >= 4 => match &payload[..4] {
                b"prof" | b"rICC" => info.icc_profile = Some(payload[4..].to_vec()),
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

    // Alpha: an auxiliary image ('auxl' reference to the primary) whose auxC type is alpha.
    if let Some(iref) = find(meta, b"iref")? {
        let (version, _, refs) = full_box(iref)?;
        for item in boxes(refs) {
            let (kind, payload) = item?;
            if &kind != b"auxl" {
                continue;
            }
            let (from, targets) = parse_reference(payload, version)?;
            if targets.contains(&primary) && is_alpha_item(&props_of(from))? {
                info.has_alpha = true;
            }
        }
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

/// One iref entry: from-item and its targets.
fn parse_reference(payload: &[u8], version: u8) -> Result<(u32, Vec<u32>)> {
    let id = |at| {
        if version == 0 {
            be16(payload, at)
        } else {
            be32(payload, at)
        }
    };
    let width = if version == 0 { 2 } else { 4 };
    let from = id(0)?;
    let count = be16(payload, width)? as usize;
    let targets = (0..count)
        .map(|i| id(width + 2 + i * width))
        .collect::<Result<Vec<_>>>()?;
    Ok((from, targets))
}

fn is_alpha_item(props: &[([u8; 4], &[u8])]) -> Result<bool> {
    for (kind, payload) in props {
        if kind == b"auxC" {
            let (_, _, urn) = full_box(payload)?;
            let urn = urn.split(|&b| b == 0).next().unwrap_or_default();
            // AV1 and HEVC spellings of the alpha auxiliary type.
            return Ok(urn == b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha"
                || urn == b"urn:mpeg:hevc:2015:auxid:1");
        }
    }
    Ok(false)
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

    /// A header-only HEIF: ftyp + meta with pitm, ispe, optional irot/imir and alpha aux.
    pub(crate) fn heif_header(
        brand: &[u8; 4],
        width: u32,
        height: u32,
        irot: Option<u8>,
        imir: Option<u8>,
        alpha: bool,
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
        let aux_index = primary_props.len() as u8 + 1;
        ipco.extend(full(
            b"auxC",
            0,
            b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha\0",
        ));
        let mut ipma = vec![0, 0, 0, if alpha { 2 } else { 1 }];
        ipma.extend_from_slice(&[0, 1, primary_props.len() as u8]);
        ipma.extend(primary_props.iter().map(|p| p | 0x80));
        if alpha {
            ipma.extend_from_slice(&[0, 2, 2, 1, aux_index]);
        }
        let mut iprp = make_box(b"ipco", &ipco);
        iprp.extend(full(b"ipma", 0, &ipma));
        let mut meta = full(b"pitm", 0, &[0, 1]);
        meta.extend(make_box(b"iprp", &iprp));
        if alpha {
            meta.extend(full(b"iref", 0, &make_box(b"auxl", &[0, 2, 0, 1, 0, 1])));
        }
        let mut out = make_box(b"ftyp", &ftyp_payload);
        out.extend(full(b"meta", 0, &meta));
        out
    }

    #[test]
    fn reads_size_rotation_mirror_and_alpha() {
        let info = parse(&heif_header(b"avif", 4000, 3000, None, None, false)).unwrap();
        assert_eq!(
            (info.width, info.height, info.orientation, info.has_alpha),
            (4000, 3000, 1, false)
        );
        let info = parse(&heif_header(b"heic", 640, 480, Some(3), None, true)).unwrap();
        assert_eq!((info.orientation, info.has_alpha), (6, true));
        let info = parse(&heif_header(b"avif", 640, 480, Some(1), Some(0), false)).unwrap();
        assert_eq!(info.orientation, orient::from_heif(1, Some(0)));
    }

    #[test]
    fn malformed_boxes_are_errors_not_panics() {
        let good = heif_header(b"avif", 10, 10, Some(1), Some(1), true);
        for cut in 0..good.len() {
            let _ = parse(&good[..cut]);
        }
        let mut bad = good.clone();
        bad[40] = 0xff; // a box size far past the end
        assert!(parse(&bad).is_err());
        assert_eq!(
            parse(&make_box(b"ftyp", b"avis\0\0\0\0")).unwrap_err(),
            HeifError::NoPrimaryImage
        );
    }
}
