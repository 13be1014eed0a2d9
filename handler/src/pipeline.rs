//! From original bytes to transformed bytes: probe the header → plan → decode (refusing
//! over-limit headers first, shrinking on load when the plan allows) → decode the operand images
//! (`bo`, `jc`, `wm`) under the same limits → apply each operation, checking the size
//! between steps → encode.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::codecs::{self, DecodeOptions, EncodeOptions, Frame, OutputFormat};
use crate::error::{codes, Error, Result};
use crate::metrics::{Phase, PhaseTimes};
use crate::ops::{self, Op, Operands};
use crate::params::{Format, Params, StoreKey, WatermarkName};
use image::DynamicImage;

/// The version of what `render` produces, part of every variant's ETag. Bump it in the
/// same commit as any change that alters output bytes (an encoder, an operation, the
/// order), together with the golden files (`IMAGE_SERVICE_UPDATE_GOLDEN=1`), so caches
/// and clients holding the old bytes revalidate to the new ones. The crate version is
/// not used: it does not move when the output does.
pub const RENDER_VERSION: u32 = 2;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_input_pixels: u64,
    pub max_input_frames: u32,
    /// Largest side any step may produce (16384 by default: Sharp's and libwebp's
    /// practical ceiling).
    pub max_output_side: u32,
    /// Most operations one query may plan.
    pub max_operations: usize,
    /// When the request must be answered; checked between steps.
    pub deadline: Option<Instant>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_pixels: 50_000_000,
            max_input_frames: 500,
            max_output_side: 16_384,
            max_operations: 16,
            deadline: None,
        }
    }
}

/// The answer when a request runs past its processing deadline.
pub fn deadline_error(allowed: Duration) -> Error {
    Error::Timeout(format!(
        "Processing took longer than the {} ms this service allows per request; ask for a smaller image or fewer operations.",
        allowed.as_millis()
    ))
}

fn check_deadline(limits: &Limits, started: Instant) -> Result<()> {
    match limits.deadline {
        Some(at) if Instant::now() >= at => {
            Err(deadline_error(at.saturating_duration_since(started)))
        }
        _ => Ok(()),
    }
}

/// Encoded bytes of the other images a plan needs (see [`Op::operand_keys`]), fetched by
/// the caller: store operands for `bo`/`jc`, watermark files for `wm`.
#[derive(Debug, Default)]
pub struct OperandSources {
    pub store: HashMap<StoreKey, Vec<u8>>,
    pub watermarks: HashMap<WatermarkName, Vec<u8>>,
}

/// Checks what the parser cannot see alone (colourspace pairs, the number of
/// operations), before any I/O.
pub fn validate(params: &Params, limits: &Limits) -> Result<()> {
    ops::colourspace::validate(params)?;
    let planned = ops::plan(params).len();
    if planned > limits.max_operations {
        return Err(Error::bad_request(
            codes::TOO_MANY_OPERATIONS,
            format!(
                "This query asks for {planned} operations; this service applies at most {} per request.",
                limits.max_operations
            ),
        ));
    }
    Ok(())
}

pub struct Rendered {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
}

pub fn output_format(p: &Params, input: codecs::ImageFormat) -> OutputFormat {
    match p.fm {
        Some(Format::Jpeg) => OutputFormat::Jpeg,
        Some(Format::Png) => OutputFormat::Png,
        Some(Format::Webp) => OutputFormat::Webp,
        Some(Format::Gif) => OutputFormat::Gif,
        Some(Format::Tiff) => OutputFormat::Tiff,
        Some(Format::Avif) => OutputFormat::Avif,
        None => codecs::default_output(input),
    }
}

/// The size the decoder may shrink to: only when a resize is the first step (trim and
/// extract work in source pixels) and it reduces the image.
fn shrink_hint(ops: &[Op], source: (u32, u32)) -> Option<(u32, u32)> {
    match ops.first() {
        Some(Op::Resize(r)) => {
            let g = r.geometry(source);
            (g.scaled.0 < source.0 || g.scaled.1 < source.1).then_some(g.scaled)
        }
        _ => None,
    }
}

fn check_size(step: &str, images: &[DynamicImage], limits: &Limits) -> Result<()> {
    if let Some(img) = images.first() {
        let (w, h) = (img.width() as u64, img.height() as u64);
        let side = u64::from(limits.max_output_side);
        if w > side || h > side || w * h > limits.max_input_pixels {
            return Err(Error::ImageTooLarge(format!(
                "After {step} the image would be {w}x{h}; this service produces images up to {side} pixels a side and {} pixels in all.",
                limits.max_input_pixels
            )));
        }
    }
    Ok(())
}

pub fn render(input: &[u8], params: &Params, limits: &Limits) -> Result<Rendered> {
    render_with(input, params, limits, &OperandSources::default())
}

/// Decodes an operand under the same limits as the input, naming it in any error.
fn decode_operand(what: &str, bytes: &[u8], limits: &codecs::Limits) -> Result<DynamicImage> {
    let decoded = codecs::decode(
        bytes,
        &DecodeOptions {
            limits: *limits,
            shrink_to: None,
        },
    )
    .map_err(|e| match e {
        Error::ImageTooLarge(m) => Error::ImageTooLarge(format!("{what}: {m}")),
        Error::UnsupportedMediaType(m) => Error::UnsupportedMediaType(format!("{what}: {m}")),
        Error::UnprocessableImage(m) => Error::UnprocessableImage(format!("{what}: {m}")),
        other => other,
    })?;
    Ok(decoded
        .frames
        .into_iter()
        .next()
        .expect("decode returns at least one frame")
        .image)
}

fn decode_operands(sources: &OperandSources, limits: &codecs::Limits) -> Result<Operands> {
    let mut operands = Operands::default();
    for (key, bytes) in &sources.store {
        let image = decode_operand(&format!("operand image '{key}'"), bytes, limits)?;
        operands.store.insert(key.clone(), image);
    }
    for (name, bytes) in &sources.watermarks {
        let image = decode_operand(&format!("watermark '{name}'"), bytes, limits)?;
        operands.watermarks.insert(name.clone(), image);
    }
    Ok(operands)
}

/// [`render`] for plans that need other images: `sources` holds every image
/// [`Op::operand_keys`] names.
pub fn render_with(
    input: &[u8],
    params: &Params,
    limits: &Limits,
    sources: &OperandSources,
) -> Result<Rendered> {
    render_timed(input, params, limits, sources, &mut PhaseTimes::default())
}

/// [`render_with`], adding the time spent decoding (the input and the operands),
/// applying the operations and encoding to `phases`, also when it fails part way.
pub fn render_timed(
    input: &[u8],
    params: &Params,
    limits: &Limits,
    sources: &OperandSources,
    phases: &mut PhaseTimes,
) -> Result<Rendered> {
    let started = Instant::now();
    validate(params, limits)?;
    let ops = ops::plan(params);
    let decode_limits = codecs::Limits::for_input(limits.max_input_pixels, limits.max_input_frames);
    let (decoded, operands) = phases.measure(Phase::Decode, || -> Result<_> {
        // The shrink hint needs the upright size; `decode` probes again and refuses
        // over-limit headers itself, before any pixel buffer exists.
        let upright = codecs::probe(input)?.oriented_size();
        let decoded = codecs::decode(
            input,
            &DecodeOptions {
                limits: decode_limits,
                shrink_to: shrink_hint(&ops, upright),
            },
        )?;
        let operands = decode_operands(sources, &decode_limits)?;
        Ok((decoded, operands))
    })?;
    let logical = (decoded.source_width, decoded.source_height);
    let delays: Vec<u32> = decoded.frames.iter().map(|f| f.delay_ms).collect();
    let mut images: Vec<DynamicImage> = decoded.frames.into_iter().map(|f| f.image).collect();
    phases.measure(Phase::Operations, || -> Result<()> {
        for (i, op) in ops.iter().enumerate() {
            check_deadline(limits, started)?;
            op.apply_with(&mut images, (i == 0).then_some(logical), &operands)?;
            check_size(op.name(), &images, limits)?;
        }
        Ok(())
    })?;
    check_deadline(limits, started)?;
    let frames: Vec<Frame> = images
        .into_iter()
        .zip(delays)
        .map(|(image, delay_ms)| Frame { image, delay_ms })
        .collect();
    let format = output_format(params, decoded.format);
    let bytes = phases.measure(Phase::Encode, || {
        codecs::encode(
            &frames,
            decoded.loop_count,
            &EncodeOptions {
                format,
                quality: params.q,
                lossless: params.ll.unwrap_or(false),
                palette: decoded.palette.as_deref(),
            },
        )
    })?;
    Ok(Rendered {
        bytes,
        mime: format.mime(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            max_input_frames: 100,
            ..Limits::default()
        }
    }

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn shrink_only_when_resize_comes_first_and_reduces() {
        let p = Params::parse("w=500").unwrap();
        assert_eq!(shrink_hint(&ops::plan(&p), (3840, 2160)), Some((500, 281)));
        let p = Params::parse("w=5000").unwrap();
        assert_eq!(shrink_hint(&ops::plan(&p), (3840, 2160)), None);
        let p = Params::parse("w=500&tr=10").unwrap();
        assert_eq!(shrink_hint(&ops::plan(&p), (3840, 2160)), None);
    }

    #[test]
    fn extend_past_the_side_limit_is_refused() {
        let p = Params::parse("ex=16384").unwrap();
        let e = render(&png(10, 10), &p, &limits()).err().unwrap();
        assert_eq!(e.code(), "image-too-large");
    }

    #[test]
    fn limits_on_operations_side_and_time() {
        let p = Params::parse("w=10&bl=1&sh=1&ng=true").unwrap();
        let few = Limits {
            max_operations: 3,
            ..limits()
        };
        let e = render(&png(20, 20), &p, &few).err().unwrap();
        assert_eq!(e.code(), "too-many-operations");
        assert!(e.to_string().contains("4 operations"), "{e}");
        let narrow = Limits {
            max_output_side: 64,
            ..limits()
        };
        let e = render(&png(20, 20), &Params::parse("ex=30").unwrap(), &narrow)
            .err()
            .unwrap();
        assert_eq!(e.code(), "image-too-large");
        let late = Limits {
            deadline: Some(Instant::now()),
            ..limits()
        };
        let e = render(&png(20, 20), &Params::parse("w=10").unwrap(), &late)
            .err()
            .unwrap();
        assert_eq!((e.status().as_u16(), e.code()), (503, "timeout"));
    }

    #[test]
    fn phases_are_timed_where_the_work_happens() {
        let sources = OperandSources::default();
        let mut phases = PhaseTimes::default();
        let p = Params::parse("w=10&fm=webp").unwrap();
        render_timed(&png(40, 30), &p, &limits(), &sources, &mut phases).unwrap();
        for phase in [Phase::Decode, Phase::Operations, Phase::Encode] {
            assert!(phases.get(phase).is_some(), "{phase:?}");
        }
        assert_eq!(phases.get(Phase::Store), None, "the caller reads the store");
        // A failed decode still reports the time it took, and nothing after it.
        let mut phases = PhaseTimes::default();
        let e = render_timed(
            b"\x89PNG\r\n\x1a\nbroken",
            &p,
            &limits(),
            &sources,
            &mut phases,
        );
        assert!(e.is_err());
        assert!(phases.get(Phase::Decode).is_some());
        assert_eq!(phases.get(Phase::Operations), None);
    }

    #[test]
    fn region_outside_after_resize_is_400() {
        let p = Params::parse("w=10&ca=b64:eyJsZWZ0IjowLCJ0b3AiOjAsIndpZHRoIjoxMSwiaGVpZ2h0IjoxfQ")
            .unwrap();
        let e = render(&png(20, 20), &p, &limits()).err().unwrap();
        assert_eq!(e.code(), "invalid-parameter");
        assert!(e.to_string().contains("'ca'"));
    }
}
