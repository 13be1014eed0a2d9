//! Stored samples → sRGB pixels, for every photometric interpretation libvips reads:
//! grey (either polarity), RGB, palette, CMYK (embedded profile or the naive formula),
//! YCbCr, CIE L*a*b*, ICC L*a*b* and 32-bit LogLuv, with an alpha channel when there is
//! one. Integer samples of 1–64 bits, 16/32/64-bit floats. Float grey and RGB are linear light (scRGB,
//! as libvips reads float RGB) and come out as 8-bit sRGB; 9–16-bit grey and RGB stay
//! 16-bit. Signed samples are read at face value, as libvips does (see `convert`).

use image::{DynamicImage, ImageBuffer};

use super::bad;
use super::layout::{
    Layout, SampleKind, BLACK_IS_ZERO, CIELAB, CMYK, ICCLAB, PALETTE, RGB, WHITE_IS_ZERO, YCBCR,
};
use super::logluv::LOGLUV;
use crate::codecs::color;

/// libvips shows LogLuv's XYZ as if its white were equal-energy (X = Y = Z): X and Z
/// scaled by D65's white before the sRGB matrix reproduce Sharp (0.28 levels on
/// libtiff's off_luv32.tif, 6.4 without the scaling).
const EQUAL_ENERGY_TO_D65: [f64; 3] = [0.950_47, 1.0, 1.088_83];
use crate::error::Error;

/// Reads one stored sample as a number (integers as their value, floats as floats).
struct Samples<'a> {
    planes: &'a [u8],
    layout: &'a Layout<'a>,
    row_bytes: usize,
    plane_len: usize,
}

impl Samples<'_> {
    fn get(&self, x: u32, y: u32, s: u32) -> f64 {
        let l = self.layout;
        let (plane, index) = if l.planar {
            (s as usize, x as usize)
        } else {
            (0, x as usize * l.samples as usize + s as usize)
        };
        let row =
            &self.planes[plane * self.plane_len + y as usize * self.row_bytes..][..self.row_bytes];
        let bits = l.bits as usize;
        let raw: u64 = if bits.is_multiple_of(8) {
            let n = bits / 8;
            let b = &row[index * n..index * n + n];
            let mut v = 0u64;
            for i in 0..n {
                v = (v << 8) | u64::from(if l.little_endian { b[n - 1 - i] } else { b[i] });
            }
            v
        } else {
            // Sub-byte and odd widths are packed most significant bit first.
            let mut v = 0u64;
            let start = index * bits;
            for i in start..start + bits {
                v = (v << 1) | u64::from((row[i / 8] >> (7 - i % 8)) & 1);
            }
            v
        };
        match (l.kind, bits) {
            (SampleKind::Float, 16) => f64::from(half_to_f32(raw as u16)),
            (SampleKind::Float, 32) => f64::from(f32::from_bits(raw as u32)),
            (SampleKind::Float, 64) => f64::from_bits(raw),
            (SampleKind::Int, _) if bits < 64 && raw >> (bits - 1) & 1 == 1 => {
                raw as f64 - (1u64 << bits) as f64
            }
            _ => raw as f64,
        }
    }
}

fn half_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = i32::from((h >> 10) & 0x1f);
    let frac = f32::from(h & 0x3ff);
    sign * match exp {
        0 => frac * 2f32.powi(-24),
        31 => f32::INFINITY,
        e => (1.0 + frac / 1024.0) * 2f32.powi(e - 15),
    }
}

fn srgb_encode(linear: f64) -> f64 {
    let v = linear.clamp(0.0, 1.0);
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// CIE L*a*b* (D65 white, as libvips assumes) → sRGB in 0..1.
fn lab_to_srgb(l: f64, a: f64, b: f64) -> [f64; 3] {
    let fy = (l + 16.0) / 116.0;
    let (fx, fz) = (fy + a / 500.0, fy - b / 200.0);
    let inv = |t: f64| {
        if t > 6.0 / 29.0 {
            t * t * t
        } else {
            3.0 * (6.0f64 / 29.0).powi(2) * (t - 4.0 / 29.0)
        }
    };
    xyz_to_srgb(0.950_47 * inv(fx), inv(fy), 1.088_83 * inv(fz))
}

/// CIE XYZ (D65, Y = 1 white) → sRGB in 0..1.
fn xyz_to_srgb(x: f64, y: f64, z: f64) -> [f64; 3] {
    let r = 3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z;
    let g = -0.969_266 * x + 1.876_010_8 * y + 0.041_556 * z;
    let bl = 0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z;
    [srgb_encode(r), srgb_encode(g), srgb_encode(bl)]
}

/// The sample value that means full intensity.
fn full_scale(layout: &Layout, grey: bool) -> f64 {
    match layout.kind {
        SampleKind::Uint => ((1u128 << layout.bits) - 1) as f64,
        // libvips takes signed samples at face value: it casts them to 8 bits (clipping
        // at 0 and 255), except 16-bit grey, which it reads as grey16 (65535 = white).
        SampleKind::Int if grey && layout.bits == 16 => 65535.0,
        SampleKind::Int => 255.0,
        SampleKind::Float => 1.0,
    }
}

/// Converts the assembled planes into an image; `icc` is used up for CMYK (the result is
/// sRGB) and returned otherwise.
pub(super) fn convert<'a>(
    planes: &[u8],
    layout: &Layout<'a>,
) -> Result<(DynamicImage, Option<&'a [u8]>), Error> {
    let row_bytes = layout.row_bytes();
    let src = Samples {
        planes,
        layout,
        row_bytes,
        plane_len: row_bytes * layout.height as usize,
    };
    let (w, h) = (layout.width, layout.height);
    let float = layout.kind == SampleKind::Float;
    let grey = matches!(layout.photometric, WHITE_IS_ZERO | BLACK_IS_ZERO);
    let max = full_scale(layout, grey);
    let unit = |v: f64| if float { v } else { (v / max).clamp(0.0, 1.0) };
    let deep =
        !float && layout.bits > 8 && layout.bits <= 16 && (grey || layout.photometric == RGB);
    let channels = if grey { 1 } else { 3 } + usize::from(layout.has_alpha());
    let alpha_at = layout.colour_samples;
    let mut out = Out::new(w as usize * h as usize * channels, deep)?;
    let mut cmyk: Vec<u8> = Vec::new();
    let palette = palette(layout)?;
    for y in 0..h {
        for x in 0..w {
            let s = |i| src.get(x, y, i);
            match layout.photometric {
                WHITE_IS_ZERO if float => out.put(srgb_encode(1.0 - s(0))),
                BLACK_IS_ZERO if float => out.put(srgb_encode(s(0))),
                WHITE_IS_ZERO => out.put(1.0 - unit(s(0))),
                BLACK_IS_ZERO => out.put(unit(s(0))),
                RGB if float => (0..3).for_each(|i| out.put(srgb_encode(s(i)))),
                RGB => (0..3).for_each(|i| out.put(unit(s(i)))),
                PALETTE => {
                    let p = palette.as_ref().expect("checked above");
                    let i = (s(0) as usize).min(p.len() - 1);
                    p[i].iter().for_each(|&c| out.put(c));
                }
                CMYK => cmyk.extend((0..4).map(|i| (unit(s(i)) * 255.0).round() as u8)),
                YCBCR => ycbcr(layout, [s(0), s(1), s(2)])
                    .into_iter()
                    .for_each(|c| out.put(c)),
                LOGLUV => {
                    let [x, y, z] = [0, 1, 2].map(|i| s(i) * EQUAL_ENERGY_TO_D65[i as usize]);
                    xyz_to_srgb(x, y, z).into_iter().for_each(|c| out.put(c));
                }
                CIELAB | ICCLAB => {
                    let [l, a, b] = lab(layout, [s(0), s(1), s(2)]);
                    lab_to_srgb(l, a, b).into_iter().for_each(|c| out.put(c));
                }
                p => return Err(bad(format!("photometric {p}"))),
            }
            if layout.has_alpha() {
                out.put(unit(s(alpha_at)));
            }
        }
    }
    if layout.alpha == Some(1) {
        out.unpremultiply(channels);
    }
    let mut icc = layout.icc;
    if layout.photometric == CMYK {
        let rgb = color::cmyk_to_srgb(&cmyk, icc.take());
        drop(cmyk);
        let Out::Eight(alpha) = out else {
            unreachable!("CMYK comes out 8-bit")
        };
        let mut rgba = Vec::with_capacity(w as usize * h as usize * channels);
        if layout.has_alpha() {
            for (c, &a) in rgb.chunks_exact(3).zip(alpha.iter()) {
                rgba.extend_from_slice(&[c[0], c[1], c[2], a]);
            }
        } else {
            rgba = rgb;
        }
        out = Out::Eight(rgba);
    }
    Ok((out.into_image(w, h, channels), icc))
}

/// The output buffer: 8-bit, or 16-bit for deep grey/RGB.
enum Out {
    Eight(Vec<u8>),
    Sixteen(Vec<u16>),
}

impl Out {
    fn new(len: usize, deep: bool) -> Result<Out, Error> {
        let fail = |_| Error::ImageTooLarge(format!("cannot allocate {len} samples"));
        Ok(if deep {
            let mut v = Vec::new();
            v.try_reserve_exact(len).map_err(fail)?;
            Out::Sixteen(v)
        } else {
            let mut v = Vec::new();
            v.try_reserve_exact(len).map_err(fail)?;
            Out::Eight(v)
        })
    }

    fn put(&mut self, v: f64) {
        let v = v.clamp(0.0, 1.0);
        match self {
            Out::Eight(o) => o.push((v * 255.0).round() as u8),
            Out::Sixteen(o) => o.push((v * 65535.0).round() as u16),
        }
    }

    /// Associated (premultiplied) alpha → straight alpha, as libvips reads it.
    fn unpremultiply(&mut self, channels: usize) {
        fn run<T: Copy + Into<f64>>(
            v: &mut [T],
            channels: usize,
            max: f64,
            back: impl Fn(f64) -> T,
        ) {
            for px in v.chunks_exact_mut(channels) {
                let a: f64 = px[channels - 1].into();
                if a > 0.0 {
                    for c in &mut px[..channels - 1] {
                        *c = back(((*c).into() * max / a).min(max).round());
                    }
                }
            }
        }
        match self {
            Out::Eight(v) => run(v, channels, 255.0, |x| x as u8),
            Out::Sixteen(v) => run(v, channels, 65535.0, |x| x as u16),
        }
    }

    fn into_image(self, w: u32, h: u32, channels: usize) -> DynamicImage {
        fn buffer<P: image::Pixel>(
            w: u32,
            h: u32,
            v: Vec<P::Subpixel>,
        ) -> ImageBuffer<P, Vec<P::Subpixel>> {
            ImageBuffer::from_raw(w, h, v).expect("pixel count matches the size")
        }
        match (self, channels) {
            (Out::Sixteen(v), 1) => DynamicImage::ImageLuma16(buffer(w, h, v)),
            (Out::Sixteen(v), 2) => DynamicImage::ImageLumaA16(buffer(w, h, v)),
            (Out::Sixteen(v), 3) => DynamicImage::ImageRgb16(buffer(w, h, v)),
            (Out::Sixteen(v), _) => DynamicImage::ImageRgba16(buffer(w, h, v)),
            (Out::Eight(v), 1) => DynamicImage::ImageLuma8(buffer(w, h, v)),
            (Out::Eight(v), 2) => DynamicImage::ImageLumaA8(buffer(w, h, v)),
            (Out::Eight(v), 3) => DynamicImage::ImageRgb8(buffer(w, h, v)),
            (Out::Eight(v), _) => DynamicImage::ImageRgba8(buffer(w, h, v)),
        }
    }
}

fn palette(layout: &Layout) -> Result<Option<Vec<[f64; 3]>>, Error> {
    if layout.photometric != PALETTE {
        return Ok(None);
    }
    let map = layout
        .colormap
        .as_ref()
        .ok_or_else(|| bad("a palette image without a colour map"))?;
    let n = map.len() / 3;
    if n == 0 {
        return Err(bad("an empty colour map"));
    }
    // Some writers store 8-bit values in the 16-bit map; libtiff and libvips accept them.
    let scale = if map.iter().all(|&v| v < 256) {
        255.0
    } else {
        65535.0
    };
    Ok(Some(
        (0..n)
            .map(|i| [map[i], map[n + i], map[2 * n + i]].map(|v| f64::from(v) / scale))
            .collect(),
    ))
}

/// YCbCr (8-bit stored) → sRGB 0..1 with the file's coefficients and reference range.
fn ycbcr(layout: &Layout, [y, cb, cr]: [f64; 3]) -> [f64; 3] {
    let [kr, kg, kb] = layout.ycbcr_coefficients;
    let rbw = layout
        .reference_black_white
        .as_deref()
        .unwrap_or(&[0.0, 255.0, 128.0, 255.0, 128.0, 255.0]);
    let range = |v: f64, black: f64, white: f64, full: f64| {
        if (white - black).abs() < 1e-6 {
            v - black
        } else {
            (v - black) * full / (white - black)
        }
    };
    let y = range(y, rbw[0], rbw[1], 255.0);
    let cb = range(cb, rbw[2], rbw[3], 127.0);
    let cr = range(cr, rbw[4], rbw[5], 127.0);
    let r = y + cr * (2.0 - 2.0 * kr);
    let b = y + cb * (2.0 - 2.0 * kb);
    let g = (y - kb * b - kr * r) / kg;
    [r, g, b].map(|c| (c / 255.0).clamp(0.0, 1.0))
}

fn lab(layout: &Layout, [l, a, b]: [f64; 3]) -> [f64; 3] {
    if layout.kind == SampleKind::Float {
        return [l, a, b];
    }
    let bits = layout.bits.min(16);
    let full = ((1u32 << bits) - 1) as f64;
    let half = (1u32 << (bits - 1)) as f64;
    let scale = half / 128.0;
    let signed = |v: f64| if v >= half { v - 2.0 * half } else { v };
    let (a, b) = if layout.photometric == CIELAB {
        (signed(a) / scale, signed(b) / scale)
    } else {
        ((a - half) / scale, (b - half) / scale)
    };
    [l * 100.0 / full, a, b]
}
