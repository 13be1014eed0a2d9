//! What the first IFD says about the pixels, checked for consistency before any pixel
//! buffer exists, and the assembly of strips/tiles into whole-image sample planes.

use super::chunks::{self, JPEG};
use super::ifd::{Ifd, Reader};
use super::logluv::{LOGLUV, SGILOG};
use super::{bad, unsupported};
use crate::codecs::Limits;
use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SampleKind {
    Uint,
    Int,
    Float,
}

/// Photometric interpretations (tag 262).
pub(super) const WHITE_IS_ZERO: u16 = 0;
pub(super) const BLACK_IS_ZERO: u16 = 1;
pub(super) const RGB: u16 = 2;
pub(super) const PALETTE: u16 = 3;
pub(super) const CMYK: u16 = 5;
pub(super) const YCBCR: u16 = 6;
pub(super) const CIELAB: u16 = 8;
pub(super) const ICCLAB: u16 = 9;

pub(super) struct Layout<'a> {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) bits: u32,
    /// Samples per pixel, extra samples included.
    pub(super) samples: u32,
    /// Colour samples (1 grey/palette, 3 RGB/YCbCr/Lab, 4 CMYK).
    pub(super) colour_samples: u32,
    pub(super) kind: SampleKind,
    pub(super) photometric: u16,
    pub(super) compression: u16,
    pub(super) planar: bool,
    pub(super) predictor: u16,
    pub(super) lsb_first: bool,
    pub(super) little_endian: bool,
    pub(super) t4_options: u64,
    pub(super) chunk_width: u32,
    pub(super) chunk_height: u32,
    pub(super) tiled: bool,
    chunks: Vec<(u64, u64)>,
    /// The first extra sample is alpha (1 = associated/premultiplied, 2 = unassociated,
    /// 0 = unspecified but present, which libvips also shows as alpha).
    pub(super) alpha: Option<u16>,
    pub(super) colormap: Option<Vec<u16>>,
    pub(super) subsampling: (u32, u32),
    pub(super) ycbcr_coefficients: [f64; 3],
    pub(super) reference_black_white: Option<Vec<f64>>,
    pub(super) icc: Option<&'a [u8]>,
    pub(super) orientation: u8,
    pub(super) jpeg_tables: Option<&'a [u8]>,
}

impl<'a> Layout<'a> {
    pub(super) fn read(bytes: &'a [u8]) -> Result<Layout<'a>, Error> {
        let ifd = Ifd::parse(bytes)?;
        let get = |tag, default| ifd.uint(tag).unwrap_or(default);
        let width = u32::try_from(get(256, 0)).map_err(|_| bad("the width is too large"))?;
        let height = u32::try_from(get(257, 0)).map_err(|_| bad("the height is too large"))?;
        let samples = get(277, 1).clamp(1, 64) as u32;
        let bits = ifd.uints(258).and_then(|b| b.first().copied()).unwrap_or(1) as u32;
        if !(1..=64).contains(&bits) {
            return Err(bad(format!("{bits} bits per sample")));
        }
        let kind = match get(339, 1) {
            2 => SampleKind::Int,
            3 => SampleKind::Float,
            _ => SampleKind::Uint,
        };
        let compression = get(259, 1) as u16;
        let photometric = match ifd.uint(262) {
            Some(p) => p as u16,
            // Without the tag: fax is white-is-zero, otherwise guess from the samples.
            None if matches!(compression, 2..=4) => WHITE_IS_ZERO,
            None if samples >= 3 => RGB,
            None => BLACK_IS_ZERO,
        };
        let colour_samples = match photometric {
            WHITE_IS_ZERO | BLACK_IS_ZERO | PALETTE => 1,
            RGB | YCBCR | CIELAB | ICCLAB => 3,
            CMYK => 4,
            // 32-bit LogLuv comes out of its codec as XYZ float triplets (logluv.rs).
            LOGLUV if compression == SGILOG => 3,
            // The 24-bit form needs libtiff's table of u′v′ cells; LogL is grey.
            32844 | LOGLUV => {
                return Err(unsupported(
                    "SGI LogL and 24-bit LogLuv (high-dynamic-range) TIFF encodings",
                ))
            }
            p => return Err(unsupported(format!("TIFF photometric interpretation {p}"))),
        };
        if samples < colour_samples {
            return Err(bad(format!(
                "{samples} samples for photometric {photometric}"
            )));
        }
        let (samples, bits, kind) = if photometric == LOGLUV {
            (3, 32, SampleKind::Float)
        } else {
            (samples, bits, kind)
        };
        let planar = get(284, 1) == 2 && samples > 1;
        let tiled = ifd.has(322) || ifd.has(324);
        let (chunk_width, chunk_height, offsets, counts) = if tiled {
            (
                get(322, 0) as u32,
                get(323, 0) as u32,
                ifd.uints(324),
                ifd.uints(325),
            )
        } else {
            let rows = get(278, u64::from(height)).clamp(1, u64::from(height.max(1)));
            (width, rows as u32, ifd.uints(273), ifd.uints(279))
        };
        let offsets = offsets.ok_or_else(|| bad("no strip or tile offsets"))?;
        if chunk_width == 0 || chunk_height == 0 {
            return Err(bad("empty tiles"));
        }
        // A missing byte-count tag (seen in old writers): each chunk runs to the file end.
        let counts = counts.unwrap_or_else(|| {
            offsets
                .iter()
                .map(|&o| (bytes.len() as u64).saturating_sub(o))
                .collect()
        });
        let chunks = offsets.into_iter().zip(counts).collect();
        let extra = ifd.uints(338).unwrap_or_default();
        let alpha = (samples > colour_samples)
            .then(|| extra.first().copied().unwrap_or(0) as u16)
            .filter(|&a| a <= 2);
        let subsampling = match ifd.uints(530).as_deref() {
            Some([h, v]) if [1, 2, 4].contains(h) && [1, 2, 4].contains(v) => {
                (*h as u32, *v as u32)
            }
            _ => (2, 2),
        };
        let ycbcr_coefficients = match ifd.reals(529).as_deref() {
            Some([r, g, b]) if *g > 0.0 => [*r, *g, *b],
            _ => [0.299, 0.587, 0.114],
        };
        Ok(Layout {
            width,
            height,
            bits,
            samples,
            colour_samples,
            kind,
            photometric,
            compression,
            planar,
            predictor: get(317, 1) as u16,
            lsb_first: get(266, 1) == 2,
            little_endian: ifd.little_endian,
            t4_options: get(292, 0),
            chunk_width,
            chunk_height,
            tiled,
            chunks,
            alpha,
            colormap: ifd
                .uints(320)
                .map(|m| m.into_iter().map(|v| v as u16).collect()),
            subsampling,
            ycbcr_coefficients,
            reference_black_white: ifd.reals(532).filter(|r| r.len() == 6),
            icc: ifd.bytes(34675),
            orientation: ifd.uint(274).filter(|o| (1..=8).contains(o)).unwrap_or(1) as u8,
            jpeg_tables: ifd.bytes(347),
        })
    }

    pub(super) fn has_alpha(&self) -> bool {
        self.alpha.is_some()
    }

    /// Non-JPEG YCbCr whose chroma is stored at lower resolution.
    fn subsampled(&self) -> bool {
        self.photometric == YCBCR
            && self.compression != JPEG
            && self.subsampling != (1, 1)
            && !self.planar
    }

    /// Samples stored together in one plane (all of them unless planar).
    fn plane_samples(&self) -> u32 {
        if self.planar {
            1
        } else {
            self.samples
        }
    }

    pub(super) fn row_bytes(&self) -> usize {
        (self.width as usize * self.plane_samples() as usize * self.bits as usize).div_ceil(8)
    }

    /// Bytes of all planes together, as [`assemble`] lays them out.
    pub(super) fn planes_len(&self) -> Option<usize> {
        let planes = if self.planar { self.samples } else { 1 };
        self.row_bytes()
            .checked_mul(self.height as usize)?
            .checked_mul(planes as usize)
    }

    /// Checks the sizes against the limits: nothing bigger than a frame is allocated.
    pub(super) fn check(&self, limits: &Limits) -> Result<(), Error> {
        limits.check(self.width, self.height, 1)?;
        if self.subsampled() && (self.bits != 8 || self.samples != 3) {
            return Err(unsupported(
                "subsampled YCbCr TIFF other than 8-bit, 3 samples",
            ));
        }
        let budget = limits.max_pixels.saturating_mul(16);
        let chunk = (self.chunk_width as u64)
            .saturating_mul(u64::from(self.chunk_height))
            .saturating_mul(u64::from(self.samples) * u64::from(self.bits))
            / 8;
        match self.planes_len() {
            Some(len) if (len as u64) <= budget && chunk <= budget => Ok(()),
            _ => Err(Error::ImageTooLarge(format!(
                "the TIFF image's {}x{} pixels of {} samples need too much memory",
                self.width, self.height, self.samples
            ))),
        }
    }
}

/// Decodes every strip/tile into whole-image planes: one plane (rows of
/// [`Layout::row_bytes`]) for chunky data, `samples` planes for planar data. Subsampled
/// YCbCr is expanded to full-resolution triplets on the way.
pub(super) fn assemble(bytes: &[u8], layout: &Layout) -> Result<Vec<u8>, Error> {
    let len = layout
        .planes_len()
        .ok_or_else(|| bad("the image is too large"))?;
    let mut planes = crate::codecs::alloc_pixels(len)?;
    let plane_len = layout.row_bytes() * layout.height as usize;
    let (cw, ch) = (layout.chunk_width, layout.chunk_height);
    let across = layout.width.div_ceil(cw) as usize;
    let down = layout.height.div_ceil(ch) as usize;
    let per_plane = across * down;
    let plane_count = if layout.planar {
        layout.samples as usize
    } else {
        1
    };
    if layout.chunks.len() < per_plane * plane_count {
        return Err(bad("fewer strips or tiles than the image needs"));
    }
    let rd = Reader {
        bytes,
        little_endian: layout.little_endian,
    };
    let spp = layout.plane_samples();
    for plane in 0..plane_count {
        for index in 0..per_plane {
            let (offset, count) = layout.chunks[plane * per_plane + index];
            let (tx, ty) = ((index % across) as u32 * cw, (index / across) as u32 * ch);
            // Strips hold only the rows left in the image; tiles are always whole.
            let rows = if layout.tiled {
                ch
            } else {
                ch.min(layout.height - ty)
            };
            let data = rd
                .slice(offset, count)
                .or_else(|| rd.slice(offset, (bytes.len() as u64).saturating_sub(offset)))
                .unwrap_or(&[]);
            let (chunk, chunk_row) = if layout.subsampled() {
                let (h, v) = layout.subsampling;
                let units = (cw.div_ceil(h) * rows.div_ceil(v)) as usize * (h * v + 2) as usize;
                let raw = chunks::decompress(layout, data, cw, rows, units)?;
                (
                    chunks::expand_subsampled(&raw, cw, rows, (h, v)),
                    cw as usize * 3,
                )
            } else {
                let row = (cw as usize * spp as usize * layout.bits as usize).div_ceil(8);
                let mut chunk = chunks::decompress(layout, data, cw, rows, row * rows as usize)?;
                chunks::unpredict(layout, &mut chunk, cw, spp)?;
                (chunk, row)
            };
            place(
                &mut planes[plane * plane_len..][..plane_len],
                layout,
                &chunk,
                chunk_row,
                tx,
                ty,
                rows,
            );
        }
    }
    Ok(planes)
}

/// Copies a chunk's rows into the plane at pixel (`tx`, `ty`), clipped to the image.
fn place(
    plane: &mut [u8],
    layout: &Layout,
    chunk: &[u8],
    chunk_row: usize,
    tx: u32,
    ty: u32,
    rows: u32,
) {
    let row_bytes = layout.row_bytes();
    let pixel_bits = layout.plane_samples() as usize * layout.bits as usize;
    let start = tx as usize * pixel_bits / 8;
    let visible_bits = (layout.width - tx).min(layout.chunk_width) as usize * pixel_bits;
    let n = visible_bits
        .div_ceil(8)
        .min(chunk_row)
        .min(row_bytes - start);
    for r in 0..rows.min(layout.height - ty) as usize {
        let Some(src) = chunk.get(r * chunk_row..r * chunk_row + n) else {
            break;
        };
        let at = (ty as usize + r) * row_bytes + start;
        plane[at..at + n].copy_from_slice(src);
    }
}
