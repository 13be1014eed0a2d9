//! AVIF decoding in this process (feature `avif-decode`): `container` hands out the AV1
//! payloads (via avif-parse) and rav1d (the Rust port of dav1d: no C toolchain beyond nasm
//! for its optional x86 assembly) decodes them.
//!
//! Covers still images, 8/10/12-bit, 4:0:0/4:2:0/4:2:2/4:4:4, full and limited range, alpha
//! (also premultiplied), grid images (see `grid`), `clap` (cropped here) and `irot`/`imir`
//! (applied by the caller). Chroma is upsampled by nearest neighbour. Not covered: image
//! sequences → 415; `nclx`
//! primaries other than BT.709 are not converted to sRGB (an ICC `colr` box is).
//!
//! KNOWN RISK: rav1d 1.1.0 can panic on corrupt AV1 data (seen: `decode.rs:4997`, an
//! `unwrap` in `on_error`; 5 of 150 randomly damaged files). Its public API is `extern "C"`,
//! and a panic cannot unwind through that, so the process aborts: `catch_unwind` cannot
//! help: the binaries therefore run this in a child process (see `isolate`).

use std::mem::MaybeUninit;
use std::ptr::NonNull;

use image::{DynamicImage, ImageBuffer};
use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dSettings};
use rav1d::include::dav1d::headers::{
    DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420, DAV1D_PIXEL_LAYOUT_I422,
    DAV1D_PIXEL_LAYOUT_I444,
};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib::{
    dav1d_close, dav1d_data_create, dav1d_data_unref, dav1d_default_settings, dav1d_get_picture,
    dav1d_open, dav1d_picture_unref, dav1d_send_data,
};

use super::container;
mod grid;
use crate::codecs::{corrupt, Frame, ImageFormat, Limits, RawDecoded};
use crate::error::Error;

/// `EAGAIN` as rav1d reports it (negated errno).
const EAGAIN: i32 = -11;

pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<RawDecoded, Error> {
    let properties = container::properties(bytes, ImageFormat::Avif)?;
    // The coded size (before any clean aperture) is what gets allocated.
    limits.check(properties.coded_width, properties.coded_height, 1)?;
    let mut decoder = Rav1d::new(limits)?;
    let mut image = match container::grid(bytes, &properties)? {
        Some(grid) => grid::decode(&mut decoder, &grid, &properties, limits)?,
        None => {
            let avif = container::items(bytes)?;
            let color = decoder.decode(&avif.primary_item)?;
            let image = to_image(&color, &properties)?;
            drop(color);
            match avif.alpha_item.as_deref() {
                Some(alpha_item) => {
                    let alpha = decoder.decode(alpha_item)?.alpha_plane()?;
                    attach_alpha(image, &alpha, avif.premultiplied_alpha)?
                }
                None => image,
            }
        }
    };
    if let Some(crop) = properties.crop {
        image = image.crop_imm(crop.x, crop.y, crop.width, crop.height);
    }
    Ok(RawDecoded {
        frames: vec![Frame { image, delay_ms: 0 }],
        loop_count: 0,
        icc_profile: properties.icc_profile.map(<[u8]>::to_vec),
        palette: None,
    })
}

/// Converts a colour picture to RGB (or grey). The container's nclx box wins over the AV1
/// sequence header, as in libavif and ISO/IEC 14496-12 12.1.5.1.
fn to_image(
    color: &Picture,
    properties: &container::Properties<'_>,
) -> Result<DynamicImage, Error> {
    let (header_matrix, header_range) = color.header_color();
    let matrix = properties.nclx.map_or(header_matrix, |n| n.matrix);
    let full_range = properties.nclx.map_or(header_range, |n| n.full_range);
    color.to_image(matrix, full_range)
}

fn rav1d_error(code: i32) -> Error {
    corrupt(ImageFormat::Avif, format!("AV1 decoder error {}", -code))
}

struct Rav1d {
    ctx: Option<Dav1dContext>,
}

impl Rav1d {
    fn new(limits: &Limits) -> Result<Self, Error> {
        let mut settings = MaybeUninit::<Dav1dSettings>::uninit();
        // SAFETY: dav1d_default_settings initialises every field.
        let mut settings = unsafe {
            dav1d_default_settings(NonNull::from(&mut settings).cast());
            settings.assume_init()
        };
        // One frame in flight: a still image has nothing to pipeline. Tiles still use
        // up to 4 threads (Lambda gives 1–6 vCPUs).
        settings.n_threads =
            std::thread::available_parallelism().map_or(1, |n| n.get().min(4)) as _;
        settings.max_frame_delay = 1;
        settings.apply_grain = 1;
        settings.frame_size_limit = limits.max_pixels.min(u64::from(u32::MAX)) as u32;
        // No logging: rav1d would print bitstream complaints to stderr. A zeroed logger is
        // {cookie: None, callback: None}, which rav1d reads as "off" (its type is private).
        settings.logger = unsafe { std::mem::zeroed() };
        let mut ctx = None;
        // SAFETY: both pointers are valid for the call.
        let res = unsafe {
            dav1d_open(
                Some(NonNull::from(&mut ctx)),
                Some(NonNull::from(&mut settings)),
            )
        };
        if res.0 != 0 || ctx.is_none() {
            return Err(Error::Internal(format!(
                "could not start the AV1 decoder ({})",
                res.0
            )));
        }
        Ok(Rav1d { ctx })
    }

    /// Decodes one AVIF item (a single temporal unit) and returns its last picture.
    fn decode(&mut self, obus: &[u8]) -> Result<Picture, Error> {
        let ctx = self
            .ctx
            .ok_or_else(|| Error::Internal("AV1 decoder closed".into()))?;
        let mut data = Dav1dData::default();
        // SAFETY: dav1d_data_create returns a buffer of `obus.len()` bytes or null.
        let buf = unsafe { dav1d_data_create(Some(NonNull::from(&mut data)), obus.len()) };
        if buf.is_null() {
            return Err(Error::ImageTooLarge(
                "cannot allocate the AV1 input buffer".into(),
            ));
        }
        unsafe { std::ptr::copy_nonoverlapping(obus.as_ptr(), buf, obus.len()) };
        let mut last: Option<Picture> = None;
        let send_result = loop {
            let res = unsafe { dav1d_send_data(Some(ctx), Some(NonNull::from(&mut data))) };
            if res.0 != EAGAIN {
                break res.0;
            }
            // The decoder wants its output drained before taking more input.
            match self.next_picture(ctx)? {
                Some(picture) => last = Some(picture),
                None => break EAGAIN,
            }
        };
        unsafe { dav1d_data_unref(Some(NonNull::from(&mut data))) };
        if send_result != 0 {
            return Err(rav1d_error(send_result));
        }
        while let Some(picture) = self.next_picture(ctx)? {
            last = Some(picture);
        }
        last.ok_or_else(|| corrupt(ImageFormat::Avif, "the AV1 data holds no picture"))
    }

    fn next_picture(&mut self, ctx: Dav1dContext) -> Result<Option<Picture>, Error> {
        let mut picture = Picture(Dav1dPicture::default());
        let res = unsafe { dav1d_get_picture(Some(ctx), Some(NonNull::from(&mut picture.0))) };
        match res.0 {
            0 => Ok(Some(picture)),
            EAGAIN => Ok(None),
            code => Err(rav1d_error(code)),
        }
    }
}

impl Drop for Rav1d {
    fn drop(&mut self) {
        unsafe { dav1d_close(Some(NonNull::from(&mut self.ctx))) };
    }
}

/// A decoded picture; its planes stay valid until drop.
struct Picture(Dav1dPicture);

impl Drop for Picture {
    fn drop(&mut self) {
        unsafe { dav1d_picture_unref(Some(NonNull::from(&mut self.0))) };
    }
}

/// One plane as bytes, with its geometry.
struct Plane<'a> {
    bytes: &'a [u8],
    stride: usize,
    high_bit_depth: bool,
}

impl Plane<'_> {
    /// Row `y`'s first `width` samples as f32.
    fn read_row(&self, y: usize, width: usize, out: &mut Vec<f32>) {
        out.clear();
        let start = y * self.stride;
        if self.high_bit_depth {
            let bytes = &self.bytes[start..start + 2 * width];
            out.extend(
                bytes
                    .chunks_exact(2)
                    .map(|b| f32::from(u16::from_ne_bytes([b[0], b[1]]))),
            );
        } else {
            out.extend(
                self.bytes[start..start + width]
                    .iter()
                    .map(|&b| f32::from(b)),
            );
        }
    }
}

/// Luma/chroma weights (Kr, Kb) per ISO/IEC 23091-4 matrix coefficients; `None` = identity (GBR).
fn luma_weights(matrix: u16) -> Option<(f32, f32)> {
    match matrix {
        0 => None,
        1 => Some((0.2126, 0.0722)),
        4 => Some((0.30, 0.11)),
        7 => Some((0.212, 0.087)),
        9 | 10 => Some((0.2627, 0.0593)),
        // 5/6 are BT.601; unspecified (2) and the rest are treated as BT.601 like libavif.
        _ => Some((0.299, 0.114)),
    }
}

impl Picture {
    fn width(&self) -> usize {
        self.0.p.w.max(0) as usize
    }

    fn height(&self) -> usize {
        self.0.p.h.max(0) as usize
    }

    fn bit_depth(&self) -> u32 {
        self.0.p.bpc.max(8) as u32
    }

    /// Matrix coefficients and range from the AV1 sequence header.
    fn header_color(&self) -> (u16, bool) {
        match self.0.seq_hdr {
            // SAFETY: the header lives as long as the picture.
            Some(hdr) => unsafe {
                let hdr = hdr.as_ref();
                (hdr.mtrx as u16, hdr.color_range != 0)
            },
            None => (2, false),
        }
    }

    /// Chroma subsampling shifts (x, y), or None for monochrome.
    fn subsampling(&self) -> Result<Option<(usize, usize)>, Error> {
        Ok(match self.0.p.layout {
            DAV1D_PIXEL_LAYOUT_I400 => None,
            DAV1D_PIXEL_LAYOUT_I420 => Some((1, 1)),
            DAV1D_PIXEL_LAYOUT_I422 => Some((1, 0)),
            DAV1D_PIXEL_LAYOUT_I444 => Some((0, 0)),
            _ => return Err(corrupt(ImageFormat::Avif, "unknown pixel layout")),
        })
    }

    fn plane(&self, index: usize, width: usize, height: usize) -> Result<Plane<'_>, Error> {
        let high_bit_depth = self.bit_depth() > 8;
        let stride = self.0.stride[usize::from(index > 0)];
        let ptr = self.0.data[index].ok_or_else(|| corrupt(ImageFormat::Avif, "missing plane"))?;
        let row_bytes = width * if high_bit_depth { 2 } else { 1 };
        if stride <= 0 || (stride as usize) < row_bytes || height == 0 {
            return Err(corrupt(ImageFormat::Avif, "bad plane geometry"));
        }
        let stride = stride as usize;
        let len = stride * (height - 1) + row_bytes;
        // SAFETY: rav1d allocates `height` rows of `stride` bytes for each plane.
        let bytes = unsafe { std::slice::from_raw_parts(ptr.as_ptr().cast::<u8>(), len) };
        Ok(Plane {
            bytes,
            stride,
            high_bit_depth,
        })
    }

    fn to_image(&self, matrix: u16, full_range: bool) -> Result<DynamicImage, Error> {
        let (w, h) = (self.width(), self.height());
        let depth = self.bit_depth();
        let max = ((1u32 << depth) - 1) as f32;
        let shift = depth - 8;
        // Normalisation to 0..1 for luma and to -0.5..0.5 for chroma.
        let (y_offset, y_scale, c_scale) = if full_range {
            (0.0, 1.0 / max, 1.0 / max)
        } else {
            (
                (16u32 << shift) as f32,
                1.0 / (219u32 << shift) as f32,
                1.0 / (224u32 << shift) as f32,
            )
        };
        let half = (1u32 << (depth - 1)) as f32;
        let luma = self.plane(0, w, h)?;
        let subsampling = self.subsampling()?;
        let channels = if subsampling.is_some() { 3 } else { 1 };
        let mut out = Output::new(w, h, channels, depth > 8)?;
        // Work a row at a time in f32: one pass per plane row, then straight-line maths.
        let (mut y_row, mut u_row, mut v_row) = (Vec::new(), Vec::new(), Vec::new());
        let mut rgb_row = vec![0f32; w * usize::from(channels)];
        let Some((sx, sy)) = subsampling else {
            for y in 0..h {
                luma.read_row(y, w, &mut y_row);
                y_row
                    .iter_mut()
                    .for_each(|v| *v = (*v - y_offset) * y_scale);
                out.push_row(&y_row);
            }
            return out.into_image();
        };
        let (cw, ch) = ((w + sx) >> sx, (h + sy) >> sy);
        let (u, v) = (self.plane(1, cw, ch)?, self.plane(2, cw, ch)?);
        let weights = luma_weights(matrix);
        for y in 0..h {
            luma.read_row(y, w, &mut y_row);
            u.read_row(y >> sy, cw, &mut u_row);
            v.read_row(y >> sy, cw, &mut v_row);
            for (x, rgb) in rgb_row.chunks_exact_mut(3).enumerate() {
                let yy = (y_row[x] - y_offset) * y_scale;
                let (cb, cr) = (u_row[x >> sx], v_row[x >> sx]);
                let (r, g, b) = match weights {
                    Some((kr, kb)) => {
                        let (cb, cr) = ((cb - half) * c_scale, (cr - half) * c_scale);
                        let r = yy + (2.0 - 2.0 * kr) * cr;
                        let b = yy + (2.0 - 2.0 * kb) * cb;
                        (r, (yy - kr * r - kb * b) / (1.0 - kr - kb), b)
                    }
                    // Identity: the planes are G, B, R.
                    None => ((cr - y_offset) * y_scale, yy, (cb - y_offset) * y_scale),
                };
                rgb.copy_from_slice(&[r, g, b]);
            }
            out.push_row(&rgb_row);
        }
        out.into_image()
    }

    /// This (monochrome or luma) picture as alpha, 0–65535, its range taken from its own
    /// sequence header.
    fn alpha_plane(&self) -> Result<AlphaPlane, Error> {
        let (w, h) = (self.width(), self.height());
        let plane = self.plane(0, w, h)?;
        let (_, full_range) = self.header_color();
        let depth = self.bit_depth();
        let max = ((1u32 << depth) - 1) as f32;
        let (offset, scale) = if full_range {
            (0.0, 1.0 / max)
        } else {
            (
                (16u32 << (depth - 8)) as f32,
                1.0 / (219u32 << (depth - 8)) as f32,
            )
        };
        let mut data = Vec::new();
        data.try_reserve_exact(w * h)
            .map_err(|_| Error::ImageTooLarge("cannot allocate the AVIF alpha plane".into()))?;
        let mut row = Vec::new();
        for y in 0..h {
            plane.read_row(y, w, &mut row);
            data.extend(
                row.iter()
                    .map(|&s| (((s - offset) * scale).clamp(0.0, 1.0) * 65535.0 + 0.5) as u16),
            );
        }
        ImageBuffer::from_raw(w as u32, h as u32, data)
            .ok_or_else(|| Error::Internal("AVIF alpha plane size mismatch".into()))
    }
}

/// Alpha samples scaled to 0–65535.
type AlphaPlane = ImageBuffer<image::Luma<u16>, Vec<u16>>;

/// Uses `alpha` as the alpha channel of `color` (un-premultiplying when asked).
fn attach_alpha(
    color: DynamicImage,
    alpha: &AlphaPlane,
    premultiplied: bool,
) -> Result<DynamicImage, Error> {
    let (w, h) = alpha.dimensions();
    if (w, h) != (color.width(), color.height()) {
        return Err(corrupt(
            ImageFormat::Avif,
            "alpha plane size differs from the image",
        ));
    }
    let alpha = |x: u32, y: u32| -> f32 { f32::from(alpha.get_pixel(x, y)[0]) / 65535.0 };
    let unpremultiply = |c: f32, a: f32| {
        if premultiplied && a > 0.0 {
            (c / a).min(1.0)
        } else {
            c
        }
    };
    Ok(match color {
        DynamicImage::ImageRgb8(rgb) => {
            DynamicImage::ImageRgba8(ImageBuffer::from_fn(w, h, |x, y| {
                let p = rgb.get_pixel(x, y);
                let a = alpha(x, y);
                let c = |v: u8| (unpremultiply(f32::from(v) / 255.0, a) * 255.0 + 0.5) as u8;
                image::Rgba([c(p[0]), c(p[1]), c(p[2]), (a * 255.0 + 0.5) as u8])
            }))
        }
        DynamicImage::ImageRgb16(rgb) => {
            DynamicImage::ImageRgba16(ImageBuffer::from_fn(w, h, |x, y| {
                let p = rgb.get_pixel(x, y);
                let a = alpha(x, y);
                let c = |v: u16| (unpremultiply(f32::from(v) / 65535.0, a) * 65535.0 + 0.5) as u16;
                image::Rgba([c(p[0]), c(p[1]), c(p[2]), (a * 65535.0 + 0.5) as u16])
            }))
        }
        DynamicImage::ImageLuma8(grey) => {
            DynamicImage::ImageLumaA8(ImageBuffer::from_fn(w, h, |x, y| {
                let a = alpha(x, y);
                let v = unpremultiply(f32::from(grey.get_pixel(x, y)[0]) / 255.0, a);
                image::LumaA([(v * 255.0 + 0.5) as u8, (a * 255.0 + 0.5) as u8])
            }))
        }
        DynamicImage::ImageLuma16(grey) => {
            DynamicImage::ImageLumaA16(ImageBuffer::from_fn(w, h, |x, y| {
                let a = alpha(x, y);
                let v = unpremultiply(f32::from(grey.get_pixel(x, y)[0]) / 65535.0, a);
                image::LumaA([(v * 65535.0 + 0.5) as u16, (a * 65535.0 + 0.5) as u16])
            }))
        }
        other => other,
    })
}

/// Collects normalised samples into an 8- or 16-bit image buffer.
enum Output {
    Eight {
        w: u32,
        h: u32,
        channels: u8,
        data: Vec<u8>,
    },
    Sixteen {
        w: u32,
        h: u32,
        channels: u8,
        data: Vec<u16>,
    },
}

impl Output {
    fn new(w: usize, h: usize, channels: u8, sixteen: bool) -> Result<Self, Error> {
        let len = w * h * usize::from(channels);
        let too_large = |_| Error::ImageTooLarge("cannot allocate the AVIF pixel buffer".into());
        let (w, h) = (w as u32, h as u32);
        Ok(if sixteen {
            let mut data = Vec::new();
            data.try_reserve_exact(len).map_err(too_large)?;
            Output::Sixteen {
                w,
                h,
                channels,
                data,
            }
        } else {
            let mut data = Vec::new();
            data.try_reserve_exact(len).map_err(too_large)?;
            Output::Eight {
                w,
                h,
                channels,
                data,
            }
        })
    }

    fn push_row(&mut self, values: &[f32]) {
        match self {
            Output::Eight { data, .. } => data.extend(
                values
                    .iter()
                    .map(|v| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8),
            ),
            Output::Sixteen { data, .. } => data.extend(
                values
                    .iter()
                    .map(|v| (v.clamp(0.0, 1.0) * 65535.0 + 0.5) as u16),
            ),
        }
    }

    fn into_image(self) -> Result<DynamicImage, Error> {
        let bad = || Error::Internal("AVIF pixel buffer size mismatch".into());
        Ok(match self {
            Output::Eight {
                w,
                h,
                channels: 1,
                data,
            } => DynamicImage::ImageLuma8(ImageBuffer::from_raw(w, h, data).ok_or_else(bad)?),
            Output::Eight { w, h, data, .. } => {
                DynamicImage::ImageRgb8(ImageBuffer::from_raw(w, h, data).ok_or_else(bad)?)
            }
            Output::Sixteen {
                w,
                h,
                channels: 1,
                data,
            } => DynamicImage::ImageLuma16(ImageBuffer::from_raw(w, h, data).ok_or_else(bad)?),
            Output::Sixteen { w, h, data, .. } => {
                DynamicImage::ImageRgb16(ImageBuffer::from_raw(w, h, data).ok_or_else(bad)?)
            }
        })
    }
}
