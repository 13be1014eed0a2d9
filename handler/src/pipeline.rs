//! From original bytes to transformed bytes, following a [`Plan`]: probe the headers
//! (the original's and the operand images') and refuse over-limit ones before any pixel
//! buffer exists → decode (shrinking on load when the plan allows) → run the plan's
//! steps in order, checking the size and the deadline between them → encode.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::codecs::{self, DecodeOptions, EncodeOptions};
use crate::error::{Error, Result};
use crate::metrics::{Phase, PhaseTimes};
use crate::ops::Operands;
use crate::params::{StoreKey, Strategy, WatermarkName};
use crate::plan::{format, Chosen, Describe, Plan, QualityChoice, Stage, Step, Traits};
use image::DynamicImage;

mod describe;
pub use describe::SMALL_DECODE_MAX_PIXELS;

pub use crate::plan::Limits;

/// The version of what `render` produces, part of every variant's ETag. Bump it in the
/// same commit as any change that alters output bytes (an encoder, an operation, the
/// order), together with the golden files (`IMAGE_SERVICE_UPDATE_GOLDEN=1`), so caches
/// and clients holding the old bytes revalidate to the new ones. The crate version is
/// not used: it does not move when the output does.
pub const RENDER_VERSION: u32 = 4;

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

/// Encoded bytes of the other images a plan needs ([`Plan::operands`]), fetched by the
/// caller: store operands for `bo`/`jc`, watermark files for `wm`.
#[derive(Debug, Default)]
pub struct OperandSources {
    pub store: HashMap<StoreKey, Vec<u8>>,
    pub watermarks: HashMap<WatermarkName, Vec<u8>>,
}

pub struct Rendered {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    /// Why a negotiated format is not the client's first choice (the value of
    /// [`FALLBACK_HEADER`](crate::plan::format::FALLBACK_HEADER)), if it is not.
    pub fallback: Option<&'static str>,
    /// What `q=auto` chose, for a lossy format (see [`codecs::auto_quality`]).
    pub quality: Option<codecs::auto_quality::Choice>,
    /// For `p=face` with a cover crop: `face` when faces placed it, `attention` when none
    /// was found (the value of [`CROP_HEADER`]).
    pub crop: Option<Strategy>,
}

/// The response header that says what placed a `p=face` crop: `face` or `attention`.
pub const CROP_HEADER: &str = "x-image-crop";

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

/// Renders a plan that needs no other images.
pub fn render(input: &[u8], plan: &Plan) -> Result<Rendered> {
    render_with(
        input,
        plan,
        &OperandSources::default(),
        &mut PhaseTimes::default(),
    )
}

/// Plans `params` under `limits` and renders it: for tools, benchmarks and tests that
/// start from a query and need no other images.
pub fn render_params(
    input: &[u8],
    params: &crate::params::Params,
    limits: Limits,
) -> Result<Rendered> {
    render(input, &Plan::new(params, limits)?)
}

/// Names the operand in a decode error.
fn about_operand(what: &str, e: Error) -> Error {
    match e {
        Error::ImageTooLarge(m) => Error::ImageTooLarge(format!("{what}: {m}")),
        Error::UnsupportedMediaType(m) => Error::UnsupportedMediaType(format!("{what}: {m}")),
        Error::UnprocessableImage(m) => Error::UnprocessableImage(format!("{what}: {m}")),
        other => other,
    }
}

/// Decodes an operand under the same limits as the input (its first frame, upright
/// sRGB); `header` is its probe when the caller already read it.
fn decode_operand(
    what: &str,
    bytes: &[u8],
    header: Option<&codecs::Probe>,
    limits: &codecs::Limits,
) -> Result<DynamicImage> {
    let opts = DecodeOptions {
        limits: *limits,
        shrink_to: None,
    };
    let stored = match header {
        Some(header) => codecs::decode_probed(bytes, header, &opts),
        None => codecs::decode_stored(bytes, &opts),
    }
    .map_err(|e| about_operand(what, e))?;
    Ok(stored
        .into_upright()
        .frames
        .into_iter()
        .next()
        .expect("decode returns at least one frame")
        .image)
}

/// Stored pixels of every frame a header declares.
fn pixels_of(header: &codecs::Probe) -> u64 {
    u64::from(header.width) * u64::from(header.height) * u64::from(header.frames.max(1))
}

/// The original and the stored operand images (`bo`, `jc`) share one pixel budget, the
/// one an animation gets: each alone within the limits is not enough when together they
/// would hold more memory than one request may. Checked from the headers, before any
/// of them is decoded; the headers are returned for the decoder. Watermarks are the
/// deployment's own files and do not count.
fn check_operand_budget(
    input: &codecs::Probe,
    sources: &OperandSources,
    limits: &codecs::Limits,
) -> Result<HashMap<StoreKey, codecs::Probe>> {
    let mut total = pixels_of(input);
    let mut headers = HashMap::new();
    for (key, bytes) in &sources.store {
        let what = format!("operand image '{key}'");
        let header = codecs::probe_within(bytes, limits).map_err(|e| about_operand(&what, e))?;
        total = total.saturating_add(pixels_of(&header));
        headers.insert(key.clone(), header);
    }
    if total > limits.max_total_pixels {
        return Err(Error::ImageTooLarge(format!(
            "the image and its operand images (bo, jc) hold {} pixels together; this service decodes at most {} per request",
            total, limits.max_total_pixels
        )));
    }
    Ok(headers)
}

fn decode_operands(
    sources: &OperandSources,
    headers: &HashMap<StoreKey, codecs::Probe>,
    limits: &codecs::Limits,
) -> Result<Operands> {
    let mut operands = Operands::default();
    for (key, bytes) in &sources.store {
        let what = format!("operand image '{key}'");
        let image = decode_operand(&what, bytes, headers.get(key), limits)?;
        operands.store.insert(key.clone(), image);
    }
    for (name, bytes) in &sources.watermarks {
        let image = decode_operand(&format!("watermark '{name}'"), bytes, None, limits)?;
        operands.watermarks.insert(name.clone(), image);
    }
    Ok(operands)
}

fn phase_of(stage: Stage) -> Phase {
    match stage {
        Stage::Decode => Phase::Decode,
        Stage::Operations => Phase::Operations,
        Stage::Encode => Phase::Encode,
    }
}

/// Renders `plan` on `input`; `sources` holds every store image and watermark
/// [`Plan::operands`] names. The time spent decoding, in the operations and encoding is
/// added to `phases`, also when rendering fails part way.
pub fn render_with(
    input: &[u8],
    plan: &Plan,
    sources: &OperandSources,
    phases: &mut PhaseTimes,
) -> Result<Rendered> {
    if let Some(answer @ Describe::Json { gps }) = plan.describes() {
        if plan.operations().next().is_none() {
            return Ok(Rendered {
                bytes: describe::header_only(input, plan, gps, phases)?,
                mime: answer.mime(),
                fallback: None,
                quality: None,
                crop: None,
            });
        }
    }
    let started = Instant::now();
    let limits = plan.limits();
    let decode_limits = limits.decode();
    let (stored, operands) = phases.measure(Phase::Decode, || -> Result<_> {
        // The header is read once: it refuses over-limit images before any pixel buffer
        // exists and gives the upright size the shrink hint needs.
        let header = codecs::probe_within(input, &decode_limits)?;
        let operand_headers = check_operand_budget(&header, sources, &decode_limits)?;
        let stored = codecs::decode_probed(
            input,
            &header,
            &DecodeOptions {
                limits: decode_limits,
                shrink_to: plan
                    .shrink_to(header.oriented_size())
                    .or_else(|| describe::small_target(plan, header.oriented_size())),
            },
        )?;
        let operands = decode_operands(sources, &operand_headers, &decode_limits)?;
        Ok((stored, operands))
    })?;
    let few_colours = stored.palette.is_some()
        || (plan.format().needs_colour_count(stored.format)
            && stored.images.first().is_some_and(format::few_colours));
    let logical = (stored.source_width, stored.source_height);
    let mut stored = stored;
    let mut images = std::mem::take(&mut stored.images);
    // Chosen at the first encode step, when the image to encode is known.
    let mut chosen: Option<Chosen> = None;
    let choose = |images: &[DynamicImage]| choose_format(plan, stored.format, few_colours, images);
    let mut encoded = None;
    let mut quality = None;
    let mut crop = None;
    let mut first_op = true;
    for (stage, step) in plan.steps() {
        check_deadline(limits, started)?;
        phases.measure(phase_of(stage), || -> Result<()> {
            match step {
                Step::ToSrgb => codecs::to_srgb(&mut images, stored.icc_profile.as_deref()),
                Step::Orient => codecs::upright(&mut images, stored.orientation),
                Step::Op(op) => {
                    // Only a resize that runs first sees the source's logical size (see
                    // `ops::resize::Resize::apply`).
                    let logical = first_op.then_some(logical);
                    let applied = op.run(&mut images, logical, &operands, limits.deadline)?;
                    crop = applied.crop.or(crop);
                    first_op = false;
                    check_size(op.name(), &images, limits)?;
                }
                Step::FlattenForOutput => {
                    let format = chosen.get_or_insert_with(|| choose(&images)).format;
                    codecs::flatten_for_output(format, plan.cmyk(), &mut images)
                }
                Step::Describe(answer) => {
                    let format = chosen.get_or_insert_with(|| choose(&images)).format;
                    let text = describe::describe_pixels(*answer, input, &images, format)?;
                    encoded = Some((text, answer.mime()));
                }
                Step::Encode => {
                    let format = chosen.get_or_insert_with(|| choose(&images)).format;
                    let frames = stored.frames(std::mem::take(&mut images));
                    let opts = EncodeOptions {
                        format,
                        quality: plan.quality().fixed(),
                        lossless: plan.lossless(),
                        palette: stored.palette.as_deref(),
                        cmyk: plan.cmyk(),
                    };
                    let (bytes, choice) = match plan.quality() {
                        QualityChoice::Auto(search) => codecs::auto_quality::encode(
                            &frames,
                            stored.loop_count,
                            &opts,
                            &search,
                            limits.deadline,
                        )?,
                        _ => (codecs::encode(&frames, stored.loop_count, &opts)?, None),
                    };
                    (encoded, quality) = (Some((bytes, format.mime())), choice);
                }
            }
            Ok(())
        })?;
    }
    let (bytes, mime) =
        encoded.ok_or_else(|| Error::Internal("the plan has no encode step".into()))?;
    let chosen = chosen.ok_or_else(|| Error::Internal("the plan chose no format".into()))?;
    Ok(Rendered {
        bytes,
        mime,
        // A description is not an image: no format fell back.
        fallback: chosen.fallback.filter(|_| plan.describes().is_none()),
        quality,
        crop,
    })
}

/// The plan's format for the image about to be encoded (see [`crate::plan::format`]).
fn choose_format(
    plan: &Plan,
    input: codecs::ImageFormat,
    few_colours: bool,
    images: &[DynamicImage],
) -> Chosen {
    let first = images.first();
    plan.format().resolve(&Traits {
        input,
        animated: images.len() > 1,
        alpha: first.is_some_and(|i| i.color().has_alpha()),
        few_colours,
        pixels: first.map_or(0, |i| u64::from(i.width()) * u64::from(i.height())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

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

    /// Plans `query` under `limits` and renders it on `input`.
    fn run(input: &[u8], query: &str, limits: Limits) -> Result<Rendered> {
        render(input, &Plan::new(&Params::parse(query).unwrap(), limits)?)
    }

    #[test]
    fn extend_past_the_side_limit_is_refused() {
        let e = run(&png(10, 10), "ex=16384", limits()).err().unwrap();
        assert_eq!(e.code(), "image-too-large");
    }

    #[test]
    fn limits_on_operations_side_and_time() {
        let few = Limits {
            max_operations: 3,
            ..limits()
        };
        let e = run(&png(20, 20), "w=10&bl=1&sh=1&ng=true", few)
            .err()
            .unwrap();
        assert_eq!(e.code(), "too-many-operations");
        assert!(e.to_string().contains("4 operations"), "{e}");
        let narrow = Limits {
            max_output_side: 64,
            ..limits()
        };
        let e = run(&png(20, 20), "ex=30", narrow).err().unwrap();
        assert_eq!(e.code(), "image-too-large");
        let late = Limits {
            deadline: Some(Instant::now()),
            ..limits()
        };
        let e = run(&png(20, 20), "w=10", late).err().unwrap();
        assert_eq!((e.status().as_u16(), e.code()), (503, "timeout"));
    }

    #[test]
    fn phases_are_timed_where_the_work_happens() {
        let sources = OperandSources::default();
        let plan = Plan::new(&Params::parse("w=10&fm=webp").unwrap(), limits()).unwrap();
        let mut phases = PhaseTimes::default();
        render_with(&png(40, 30), &plan, &sources, &mut phases).unwrap();
        for phase in [Phase::Decode, Phase::Operations, Phase::Encode] {
            assert!(phases.get(phase).is_some(), "{phase:?}");
        }
        assert_eq!(phases.get(Phase::Store), None, "the caller reads the store");
        // A failed decode still reports the time it took, and nothing after it.
        let mut phases = PhaseTimes::default();
        let e = render_with(b"\x89PNG\r\n\x1a\nbroken", &plan, &sources, &mut phases);
        assert!(e.is_err());
        assert!(phases.get(Phase::Decode).is_some());
        assert_eq!(phases.get(Phase::Operations), None);
    }

    #[test]
    fn region_outside_after_resize_is_400() {
        let q = "w=10&ca=b64:eyJsZWZ0IjowLCJ0b3AiOjAsIndpZHRoIjoxMSwiaGVpZ2h0IjoxfQ";
        let e = run(&png(20, 20), q, limits()).err().unwrap();
        assert_eq!(e.code(), "invalid-parameter");
        assert!(e.to_string().contains("'ca'"));
    }

    /// Each operand fits the limits alone; together with the original they are over the
    /// one budget (four times one image's limit), and that is a 413 before any of them is
    /// decoded. One fewer fits.
    #[test]
    fn operands_share_one_pixel_budget_with_the_original() {
        let tight = Limits {
            max_input_pixels: 100 * 100,
            ..limits()
        };
        let grey = || {
            let img = image::GrayImage::from_fn(100, 100, |x, y| image::Luma([(x ^ y) as u8]));
            let mut out = std::io::Cursor::new(Vec::new());
            img.write_to(&mut out, image::ImageFormat::Png).unwrap();
            out.into_inner()
        };
        let mut sources = OperandSources::default();
        for key in ["a.png", "b.png", "c.png", "d.png"] {
            sources.store.insert(StoreKey::parse(key).unwrap(), grey());
        }
        let jc = "jc=%5B%22a.png%22,%22b.png%22,%22c.png%22%5D";
        let five = format!("{jc}&bo=%7B%22operator%22:%22and%22,%22operand%22:%22d.png%22%7D");
        let plan = Plan::new(&Params::parse(&five).unwrap(), tight).unwrap();
        let e = render_with(&grey(), &plan, &sources, &mut PhaseTimes::default())
            .err()
            .unwrap();
        assert_eq!(e.code(), "image-too-large", "{e}");
        assert!(e.to_string().contains("50000 pixels together"), "{e}");
        sources.store.remove(&StoreKey::parse("d.png").unwrap());
        let plan = Plan::new(&Params::parse(jc).unwrap(), tight).unwrap();
        render_with(&grey(), &plan, &sources, &mut PhaseTimes::default()).unwrap();
    }

    /// The decoder's steps are the plan's: a JPEG-bound image with alpha is flattened
    /// onto white by the plan's step, and the stored orientation is applied by its step.
    #[test]
    fn codec_steps_run_as_plan_steps() {
        let plan = Plan::new(&Params::parse("fm=jpeg").unwrap(), limits()).unwrap();
        let steps: Vec<Step> = plan.steps().map(|(_, s)| s.clone()).collect();
        assert_eq!(
            steps,
            [
                Step::ToSrgb,
                Step::Orient,
                Step::FlattenForOutput,
                Step::Encode
            ]
        );
        let clear = image::RgbaImage::from_pixel(8, 8, image::Rgba([0, 0, 0, 0]));
        let mut bytes = std::io::Cursor::new(Vec::new());
        clear.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        let out = render(&bytes.into_inner(), &plan).unwrap();
        let decoded = image::load_from_memory(&out.bytes).unwrap().to_rgb8();
        assert!(
            decoded.pixels().all(|p| p.0.iter().all(|&c| c > 250)),
            "white"
        );
    }
}
