//! One strip or tile: decompression (none, PackBits, LZW, Deflate, CCITT fax, JPEG) and
//! the horizontal / floating-point predictors. Every output is bounded by the size the
//! chunk should have, so a small file cannot expand into a large buffer.

use std::io::Read;

use super::layout::{Layout, SampleKind};
use super::{bad, unsupported};
use crate::error::Error;

/// Compression schemes (tag 259).
pub(super) const NONE: u16 = 1;
pub(super) const CCITT_RLE: u16 = 2;
pub(super) const FAX3: u16 = 3;
pub(super) const FAX4: u16 = 4;
pub(super) const LZW: u16 = 5;
pub(super) const JPEG: u16 = 7;
pub(super) const DEFLATE: u16 = 8;
pub(super) const PACKBITS: u16 = 32773;
pub(super) const DEFLATE_OLD: u16 = 32946;

/// Decompresses one chunk of `width`×`rows` pixels into at most `expected` bytes. Short
/// data is padded with zeros (libtiff warns and keeps what it got).
pub(super) fn decompress(
    layout: &Layout,
    data: &[u8],
    width: u32,
    rows: u32,
    expected: usize,
) -> Result<Vec<u8>, Error> {
    let mut out = match layout.compression {
        NONE => data[..data.len().min(expected)].to_vec(),
        PACKBITS => packbits(data, expected),
        LZW => lzw(data, expected)?,
        DEFLATE | DEFLATE_OLD => {
            let mut out = Vec::with_capacity(expected);
            let _ = flate2::read::ZlibDecoder::new(data)
                .take(expected as u64)
                .read_to_end(&mut out);
            out
        }
        CCITT_RLE | FAX3 | FAX4 => fax(layout, data, width, rows)?,
        JPEG => jpeg(layout, data, width, rows)?,
        super::logluv::SGILOG => super::logluv::decode(data, width, rows, layout.little_endian)?,
        other => {
            return Err(unsupported(format!(
                "TIFF compression {other} is not supported"
            )))
        }
    };
    out.resize(expected, 0);
    Ok(out)
}

fn packbits(data: &[u8], expected: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(expected);
    let mut i = 0;
    while i < data.len() && out.len() < expected {
        let n = data[i] as i8;
        i += 1;
        if n >= 0 {
            let end = (i + n as usize + 1).min(data.len());
            out.extend_from_slice(&data[i..end]);
            i = end;
        } else if n != -128 {
            if let Some(&b) = data.get(i) {
                out.extend(std::iter::repeat_n(b, (1 - i32::from(n)) as usize));
            }
            i += 1;
        }
    }
    out.truncate(expected);
    out
}

fn lzw(data: &[u8], expected: usize) -> Result<Vec<u8>, Error> {
    let mut out = vec![0u8; expected];
    let mut decoder = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
    let (mut read, mut written) = (0, 0);
    while written < expected {
        let r = decoder.decode_bytes(&data[read..], &mut out[written..]);
        read += r.consumed_in;
        written += r.consumed_out;
        match r.status {
            Ok(weezl::LzwStatus::Ok) if r.consumed_in + r.consumed_out > 0 => {}
            Ok(_) => break,
            // A damaged stream keeps what it decoded, as libtiff does.
            Err(_) if written > 0 => break,
            Err(e) => return Err(bad(format!("LZW data: {e}"))),
        }
    }
    out.truncate(written);
    Ok(out)
}

/// CCITT fax → 1 bit per pixel, MSB first, black = 1 (the photometric tag says how to
/// read the bits: fax files are normally WhiteIsZero).
fn fax(layout: &Layout, data: &[u8], width: u32, rows: u32) -> Result<Vec<u8>, Error> {
    let w = u16::try_from(width).map_err(|_| unsupported("fax lines over 65535 pixels"))?;
    let h = u16::try_from(rows).map_err(|_| unsupported("fax strips over 65535 lines"))?;
    let row_bytes = width.div_ceil(8) as usize;
    let mut out = Vec::with_capacity(row_bytes * rows as usize);
    let mut lines = 0u32;
    let mut put_line = |transitions: &[u16]| {
        if lines >= rows {
            return;
        }
        lines += 1;
        let mut row = vec![0u8; row_bytes];
        for (x, colour) in fax::decoder::pels(transitions, w).enumerate() {
            if colour == fax::Color::Black {
                row[x / 8] |= 0x80 >> (x % 8);
            }
        }
        out.extend_from_slice(&row);
    };
    let bytes: Vec<u8> = if layout.lsb_first {
        data.iter().map(|b| b.reverse_bits()).collect()
    } else {
        data.to_vec()
    };
    let ok = match layout.compression {
        FAX4 => fax::decoder::decode_g4(bytes.iter().copied(), w, Some(h), &mut put_line),
        FAX3 if layout.t4_options & 1 == 0 => {
            fax::decoder::decode_g3(bytes.iter().copied(), &mut put_line)
        }
        FAX3 => return Err(unsupported("2-D CCITT Group 3 fax is not supported")),
        _ => return Err(unsupported("CCITT modified Huffman (RLE) is not supported")),
    };
    if ok.is_none() && lines == 0 {
        return Err(bad("the fax data does not decode"));
    }
    Ok(out)
}

/// JPEG-in-TIFF ("new style", compression 7): the shared tables are put in front of the
/// chunk's stream. The samples come out as stored (YCbCr stays YCbCr, upsampled), and
/// the photometric tag decides the colour conversion, as libtiff does.
fn jpeg(layout: &Layout, data: &[u8], width: u32, rows: u32) -> Result<Vec<u8>, Error> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::options::DecoderOptions;

    let stream = match layout.jpeg_tables {
        Some(tables) if tables.len() >= 4 && data.len() >= 2 => {
            let mut s = tables[..tables.len() - 2].to_vec();
            s.extend_from_slice(&data[2..]);
            s
        }
        _ => data.to_vec(),
    };
    let options = DecoderOptions::default()
        .set_max_width(width as usize + 16)
        .set_max_height(rows as usize + 16)
        .set_strict_mode(false);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(stream), options);
    decoder
        .decode_headers()
        .map_err(|e| bad(format!("JPEG data: {e:?}")))?;
    if let Some(colorspace) = decoder.input_colorspace() {
        decoder.set_options(options.jpeg_set_out_colorspace(colorspace));
    }
    let pixels = decoder
        .decode()
        .map_err(|e| bad(format!("JPEG data: {e:?}")))?;
    let info = decoder
        .info()
        .ok_or_else(|| bad("JPEG data without a header"))?;
    let components = pixels.len() / (usize::from(info.width) * usize::from(info.height)).max(1);
    if components != layout.samples as usize || layout.bits != 8 {
        return Err(unsupported(format!(
            "JPEG-in-TIFF with {components} components for {} samples",
            layout.samples
        )));
    }
    // The JPEG may be narrower/shorter than the chunk (last strip): copy row by row.
    let (jw, jh) = (usize::from(info.width), usize::from(info.height));
    let row = width as usize * components;
    let mut out = vec![0u8; row * rows as usize];
    for y in 0..jh.min(rows as usize) {
        let n = (jw * components).min(row);
        let src = &pixels[y * jw * components..][..n];
        out[y * row..][..n].copy_from_slice(src);
    }
    Ok(out)
}

/// Undoes the predictor on one decompressed chunk whose rows are `row_bytes` long and hold
/// `width` pixels of `samples` samples each.
pub(super) fn unpredict(
    layout: &Layout,
    chunk: &mut [u8],
    width: u32,
    samples: u32,
) -> Result<(), Error> {
    let bits = layout.bits;
    let row_bytes = (width as usize * samples as usize * bits as usize).div_ceil(8);
    if row_bytes == 0 {
        return Ok(());
    }
    match layout.predictor {
        1 => Ok(()),
        2 if row_bytes == 0 => Err(unsupported(String::from(
            "horizontal predictor on empty rows",
        ))),
        2 => {
            let step = samples as usize;
            for row in chunk.chunks_exact_mut(row_bytes) {
                match bits {
                    8 => {
                        for i in step..row.len() {
                            row[i] = row[i].wrapping_add(row[i - step]);
                        }
                    }
                    16 => add_words::<2>(row, step, layout.little_endian),
                    32 => add_words::<4>(row, step, layout.little_endian),
                    64 => add_words::<8>(row, step, layout.little_endian),
                    _ => {
                        return Err(unsupported(format!(
                            "horizontal predictor on {bits}-bit samples"
                        )))
                    }
                }
            }
            Ok(())
        }
        3 if layout.kind == SampleKind::Float => {
            // Whole bytes per sample and whole samples per row, or the file lies.
            if !matches!(bits, 16 | 32 | 64)
                || row_bytes == 0
                || !row_bytes.is_multiple_of(bits as usize / 8)
            {
                return Err(unsupported(format!(
                    "floating-point predictor on {bits}-bit samples"
                )));
            }
            let bytes = bits as usize / 8;
            let step = samples as usize;
            let mut plain = vec![0u8; row_bytes];
            for row in chunk.chunks_exact_mut(row_bytes) {
                for i in step..row.len() {
                    row[i] = row[i].wrapping_add(row[i - step]);
                }
                // Bytes are stored by significance (all most-significant bytes first).
                let count = row_bytes / bytes;
                for k in 0..count {
                    for b in 0..bytes {
                        let dst = if layout.little_endian {
                            bytes - 1 - b
                        } else {
                            b
                        };
                        plain[k * bytes + dst] = row[b * count + k];
                    }
                }
                row.copy_from_slice(&plain);
            }
            Ok(())
        }
        p => Err(unsupported(format!("TIFF predictor {p} is not supported"))),
    }
}

fn add_words<const N: usize>(row: &mut [u8], step: usize, little_endian: bool) {
    let read = |b: &[u8]| -> u64 {
        let mut v = 0u64;
        for i in 0..N {
            let byte = if little_endian { b[N - 1 - i] } else { b[i] };
            v = (v << 8) | u64::from(byte);
        }
        v
    };
    let count = row.len() / N;
    for k in step..count {
        let sum = read(&row[k * N..]).wrapping_add(read(&row[(k - step) * N..]));
        for i in 0..N {
            let byte = (sum >> (8 * i)) as u8;
            let at = if little_endian { i } else { N - 1 - i };
            row[k * N + at] = byte;
        }
    }
}

/// Non-JPEG YCbCr with chroma subsampling: data units of h×v luma samples followed by one
/// Cb and one Cr → full-resolution Y, Cb, Cr triplets (nearest chroma, as libtiff does).
pub(super) fn expand_subsampled(data: &[u8], width: u32, rows: u32, (h, v): (u32, u32)) -> Vec<u8> {
    let (w, r) = (width as usize, rows as usize);
    let (h, v) = (h as usize, v as usize);
    let mut out = vec![0u8; w * r * 3];
    let unit = h * v + 2;
    let units_across = w.div_ceil(h);
    for (u, block) in data.chunks_exact(unit).enumerate() {
        let (bx, by) = (u % units_across * h, u / units_across * v);
        if by >= r {
            break;
        }
        let (cb, cr) = (block[h * v], block[h * v + 1]);
        for dy in 0..v {
            for dx in 0..h {
                let (x, y) = (bx + dx, by + dy);
                if x < w && y < r {
                    let at = (y * w + x) * 3;
                    out[at..at + 3].copy_from_slice(&[block[dy * h + dx], cb, cr]);
                }
            }
        }
    }
    out
}
