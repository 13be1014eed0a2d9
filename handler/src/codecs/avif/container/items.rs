//! Derived images that avif-parse does not read: a primary item of type `grid` (ISO/IEC
//! 23008-12, 6.6.2.3), its tiles (`dimg` references, in order) and the alpha that goes
//! with it (an `auxl` item that is itself a grid, a single image, or one alpha item per
//! tile). Item types come from `iinf`, data from `iloc` (in the file or in `idat`).
//!
//! Only locates bytes: nothing is decoded or copied here.

use super::{be16, be32, boxes, find, full_box, parse_ipma, HeifError, Result};

/// A grid's layout and tile payloads (row by row), as the `grid` item declares them.
#[derive(Debug)]
pub(in crate::codecs::avif) struct Grid<'a> {
    pub(in crate::codecs::avif) rows: u32,
    pub(in crate::codecs::avif) columns: u32,
    /// The composed image's size (`output_width` × `output_height`).
    pub(in crate::codecs::avif) width: u32,
    pub(in crate::codecs::avif) height: u32,
    pub(in crate::codecs::avif) tiles: Vec<&'a [u8]>,
}

/// Where an alpha for a grid comes from.
#[derive(Debug)]
pub(in crate::codecs::avif) enum GridAlpha<'a> {
    /// An alpha grid, or one alpha item per colour tile (same layout as the colour grid).
    Tiles(Grid<'a>),
    /// One alpha image for the whole grid.
    Single(&'a [u8]),
}

#[derive(Debug)]
pub(in crate::codecs::avif) struct GridImage<'a> {
    pub(in crate::codecs::avif) color: Grid<'a>,
    pub(in crate::codecs::avif) alpha: Option<GridAlpha<'a>>,
    /// A `prem` reference from the colour item to its alpha.
    pub(in crate::codecs::avif) premultiplied: bool,
}

const ALPHA_URNS: [&[u8]; 2] = [
    b"urn:mpeg:mpegB:cicp:systems:auxiliary:alpha",
    b"urn:mpeg:hevc:2015:auxid:1",
];

/// An item id, its construction method and its extents as (offset, length).
type Location = (u32, u8, Vec<(u64, u64)>);

struct Meta<'a> {
    file: &'a [u8],
    idat: Option<&'a [u8]>,
    /// item id → type
    types: Vec<(u32, [u8; 4])>,
    /// item id → (construction method, extents as (offset, length))
    locations: Vec<Location>,
    /// (type, from, to…)
    references: Vec<([u8; 4], u32, Vec<u32>)>,
    /// properties (type, payload) and item id → 1-based indices
    properties: Vec<([u8; 4], &'a [u8])>,
    associations: Vec<(u32, Vec<u32>)>,
}

/// The primary item when it is a grid; `None` for any other primary item.
pub(super) fn primary_grid(bytes: &[u8], primary: u32) -> Result<Option<GridImage<'_>>> {
    let Some(meta) = find(bytes, b"meta")? else {
        return Ok(None);
    };
    let (_, _, meta) = full_box(meta)?;
    let meta = read_meta(bytes, meta)?;
    if meta.item_type(primary) != Some(*b"grid") {
        return Ok(None);
    }
    let color = meta.grid(primary)?;
    let alpha_item = meta
        .references_to(b"auxl", primary)
        .find(|&id| meta.is_alpha(id));
    let alpha = match alpha_item {
        Some(id) if meta.item_type(id) == Some(*b"grid") => Some(GridAlpha::Tiles(meta.grid(id)?)),
        Some(id) => Some(GridAlpha::Single(meta.data(id)?)),
        None => meta.alpha_per_tile(primary, &color)?,
    };
    let premultiplied = alpha_item.is_some_and(|alpha| {
        meta.references
            .iter()
            .any(|(kind, from, to)| kind == b"prem" && *from == primary && to.contains(&alpha))
    });
    Ok(Some(GridImage {
        color,
        alpha,
        premultiplied,
    }))
}

fn read_meta<'a>(file: &'a [u8], meta: &'a [u8]) -> Result<Meta<'a>> {
    let mut out = Meta {
        file,
        idat: find(meta, b"idat")?,
        types: Vec::new(),
        locations: Vec::new(),
        references: Vec::new(),
        properties: Vec::new(),
        associations: Vec::new(),
    };
    if let Some(iinf) = find(meta, b"iinf")? {
        let (version, _, body) = full_box(iinf)?;
        let skip = if version == 0 { 2 } else { 4 };
        for entry in boxes(body.get(skip..).unwrap_or_default()) {
            let (kind, payload) = entry?;
            if &kind != b"infe" {
                continue;
            }
            let (version, _, infe) = full_box(payload)?;
            let (id, at) = match version {
                2 => (be16(infe, 0)?, 4),
                3 => (be32(infe, 0)?, 6),
                _ => continue,
            };
            let t = infe
                .get(at..at + 4)
                .ok_or(HeifError::Malformed("infe cut short"))?;
            out.types.push((id, [t[0], t[1], t[2], t[3]]));
        }
    }
    if let Some(iloc) = find(meta, b"iloc")? {
        out.locations = parse_iloc(iloc)?;
    }
    if let Some(iref) = find(meta, b"iref")? {
        let (version, _, body) = full_box(iref)?;
        for entry in boxes(body) {
            let (kind, payload) = entry?;
            let (from, count, mut at) = if version == 0 {
                (be16(payload, 0)?, be16(payload, 2)?, 4)
            } else {
                (be32(payload, 0)?, be16(payload, 4)?, 6)
            };
            let mut to = Vec::with_capacity(count.min(1024) as usize);
            for _ in 0..count {
                if version == 0 {
                    to.push(be16(payload, at)?);
                    at += 2;
                } else {
                    to.push(be32(payload, at)?);
                    at += 4;
                }
            }
            out.references.push((kind, from, to));
        }
    }
    if let Some(iprp) = find(meta, b"iprp")? {
        if let Some(ipco) = find(iprp, b"ipco")? {
            out.properties = boxes(ipco).collect::<Result<_>>()?;
        }
        out.associations = parse_ipma(iprp)?;
    }
    Ok(out)
}

/// iloc (ISO/IEC 14496-12, 8.11.3): item id → construction method and extents.
fn parse_iloc(iloc: &[u8]) -> Result<Vec<Location>> {
    let (version, _, body) = full_box(iloc)?;
    let sizes = body
        .get(..2)
        .ok_or(HeifError::Malformed("iloc cut short"))?;
    let (offset_size, length_size) = (sizes[0] >> 4, sizes[0] & 15);
    let base_offset_size = sizes[1] >> 4;
    let index_size = if version >= 1 { sizes[1] & 15 } else { 0 };
    let mut at = 2;
    let mut read = |n: u8| -> Result<u64> {
        let field = body
            .get(at..at + usize::from(n))
            .ok_or(HeifError::Malformed("iloc cut short"))?;
        at += usize::from(n);
        match n {
            0 | 2 | 4 | 8 => Ok(field.iter().fold(0u64, |v, &b| v << 8 | u64::from(b))),
            _ => Err(HeifError::Malformed("iloc field size")),
        }
    };
    let count = if version < 2 { read(2)? } else { read(4)? };
    let mut out = Vec::new();
    for _ in 0..count {
        let id = if version < 2 { read(2)? } else { read(4)? } as u32;
        let method = if version >= 1 {
            (read(2)? & 15) as u8
        } else {
            0
        };
        read(2)?; // data_reference_index
        let base = read(base_offset_size)?;
        let extents = read(2)?;
        let mut list = Vec::with_capacity(extents.min(64) as usize);
        for _ in 0..extents {
            if index_size > 0 {
                read(index_size)?;
            }
            let offset = read(offset_size)?;
            let length = read(length_size)?;
            list.push((base.saturating_add(offset), length));
        }
        out.push((id, method, list));
    }
    Ok(out)
}

impl<'a> Meta<'a> {
    fn item_type(&self, id: u32) -> Option<[u8; 4]> {
        self.types.iter().find(|(i, _)| *i == id).map(|(_, t)| *t)
    }

    /// Items with a `kind` reference pointing at `to`.
    fn references_to<'s>(&'s self, kind: &'s [u8; 4], to: u32) -> impl Iterator<Item = u32> + 's {
        self.references
            .iter()
            .filter(move |(k, _, list)| k == kind && list.contains(&to))
            .map(|(_, from, _)| *from)
    }

    fn item_properties(&self, id: u32) -> impl Iterator<Item = ([u8; 4], &'a [u8])> + '_ {
        self.associations
            .iter()
            .filter(move |(item, _)| *item == id)
            .flat_map(|(_, indices)| indices.iter())
            .filter_map(|&i| {
                i.checked_sub(1)
                    .and_then(|i| self.properties.get(i as usize))
                    .copied()
            })
    }

    fn is_alpha(&self, id: u32) -> bool {
        self.item_properties(id).any(|(kind, payload)| {
            &kind == b"auxC"
                && full_box(payload).is_ok_and(|(_, _, urn)| {
                    let urn = urn.split(|&b| b == 0).next().unwrap_or_default();
                    ALPHA_URNS.contains(&urn)
                })
        })
    }

    /// An item's bytes: one extent, in the file or in `idat`.
    fn data(&self, id: u32) -> Result<&'a [u8]> {
        let (_, method, extents) = self
            .locations
            .iter()
            .find(|(i, _, _)| *i == id)
            .ok_or(HeifError::Malformed("an item has no location"))?;
        let source = match method {
            0 => self.file,
            1 => self.idat.ok_or(HeifError::Malformed("no idat box"))?,
            _ => return Err(HeifError::Malformed("unsupported item construction")),
        };
        match extents.as_slice() {
            [(offset, length)] => {
                let start = usize::try_from(*offset)
                    .map_err(|_| HeifError::Malformed("item offset out of range"))?;
                let end = if *length == 0 {
                    source.len()
                } else {
                    usize::try_from(offset.saturating_add(*length)).unwrap_or(usize::MAX)
                };
                source
                    .get(start..end)
                    .ok_or(HeifError::Malformed("item data out of range"))
            }
            _ => Err(HeifError::Malformed(
                "items split over several extents are not supported",
            )),
        }
    }

    /// A `grid` item's header and its tiles' data.
    fn grid(&self, id: u32) -> Result<Grid<'a>> {
        let header = self.data(id)?;
        let (flags, rows, columns) = match header {
            [0, flags, rows, columns, ..] => {
                (*flags, u32::from(*rows) + 1, u32::from(*columns) + 1)
            }
            _ => return Err(HeifError::Malformed("bad grid header")),
        };
        let (width, height) = if flags & 1 == 0 {
            (be16(header, 4)?, be16(header, 6)?)
        } else {
            (be32(header, 4)?, be32(header, 8)?)
        };
        let tile_ids: Vec<u32> = self
            .references
            .iter()
            .filter(|(kind, from, _)| kind == b"dimg" && *from == id)
            .flat_map(|(_, _, to)| to.iter().copied())
            .collect();
        if tile_ids.len() as u32 != rows * columns || width == 0 || height == 0 {
            return Err(HeifError::Malformed(
                "the grid's tiles do not match its layout",
            ));
        }
        let tiles = tile_ids
            .iter()
            .map(|&tile| match self.item_type(tile) {
                Some(t) if &t == b"av01" => self.data(tile),
                _ => Err(HeifError::Malformed("a grid tile is not an AV1 image")),
            })
            .collect::<Result<_>>()?;
        Ok(Grid {
            rows,
            columns,
            width,
            height,
            tiles,
        })
    }

    /// Alpha given as one `auxl` alpha item per colour tile, when every tile has one.
    fn alpha_per_tile(&self, grid_id: u32, color: &Grid<'a>) -> Result<Option<GridAlpha<'a>>> {
        let tile_ids = self
            .references
            .iter()
            .filter(|(kind, from, _)| kind == b"dimg" && *from == grid_id)
            .flat_map(|(_, _, to)| to.iter().copied());
        let mut tiles = Vec::with_capacity(color.tiles.len());
        for tile in tile_ids {
            let alpha = self
                .references_to(b"auxl", tile)
                .find(|&a| self.is_alpha(a));
            match alpha {
                Some(a) => tiles.push(self.data(a)?),
                None => return Ok(None),
            }
        }
        Ok(Some(GridAlpha::Tiles(Grid {
            rows: color.rows,
            columns: color.columns,
            width: color.width,
            height: color.height,
            tiles,
        })))
    }
}
