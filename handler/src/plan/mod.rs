//! The plan: what one request will do, built once from its [`Params`] and the
//! deployment's [`Limits`], before any I/O. It validates what the parser cannot see
//! alone (colourspace pairs, the number of operations), lists the other images to load
//! (`bo`, `jc`, `wm`), knows how far the decoder may shrink on load and which format to
//! write, and holds the steps in the one declared order ([`order::ORDER`]). The route,
//! the operand loader and the renderer all take this value; nothing re-derives it.

pub mod format;
pub mod order;
pub mod quality;

use std::time::Instant;

use crate::codecs;
use crate::error::{codes, Error, Result};
use crate::ops::{self, Op, OperandKey};
use crate::params::{
    BlurComponents, Colourspace, Description, Format, Params, Quality, StoreKey, WatermarkName,
};

pub use format::{Chosen, FormatChoice, Traits};
pub use order::{Context, Stage, ORDER};
pub use quality::QualityChoice;

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

impl Limits {
    /// The decoder's limits for the original and its operand images, with the request's
    /// deadline (an AVIF decoder child is killed past it).
    pub fn decode(&self) -> codecs::Limits {
        codecs::Limits {
            deadline: self.deadline,
            ..codecs::Limits::for_input(self.max_input_pixels, self.max_input_frames)
        }
    }
}

/// One step of a plan, in [`ORDER`].
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The decoder's embedded colour profile (ICC) converted to sRGB.
    ToSrgb,
    /// The stored orientation (EXIF, or HEIF `irot`/`imir`) applied, so every later step
    /// sees the image upright.
    Orient,
    /// An operation the query asked for.
    Op(Op),
    /// Alpha composited onto white when the output format has no alpha (JPEG).
    FlattenForOutput,
    Encode,
    /// Text about the image in place of its encoding (`fm=json|thumbhash|blurhash`).
    Describe(Describe),
}

/// What a description step writes: the steps before it are the image's, so it
/// describes the image the rest of the query gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Describe {
    /// Metadata as JSON; `gps`: the deployment lets the EXIF GPS position through.
    Json {
        gps: bool,
    },
    ThumbHash,
    BlurHash(BlurComponents),
}

impl Describe {
    pub(crate) fn new(description: Description, params: &Params, context: &Context) -> Describe {
        match description {
            Description::Json => Describe::Json {
                gps: context.metadata_gps,
            },
            Description::ThumbHash => Describe::ThumbHash,
            Description::BlurHash => Describe::BlurHash(params.bhc.unwrap_or_default()),
        }
    }

    /// The answer's media type.
    pub fn mime(self) -> &'static str {
        self.kind().mime_type()
    }

    pub fn kind(self) -> Description {
        match self {
            Describe::Json { .. } => Description::Json,
            Describe::ThumbHash => Description::ThumbHash,
            Describe::BlurHash(_) => Description::BlurHash,
        }
    }

    /// What the cache key adds: the GPS setting changes a JSON answer (a cached answer
    /// with the position must never outlive the setting that allowed it).
    fn cache_key_suffix(self) -> &'static str {
        match self {
            Describe::Json { gps: true } => "\nmetadata-gps=on",
            _ => "",
        }
    }
}

/// Another image the plan needs: a stored image named by a parameter, or a watermark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Store {
        key: StoreKey,
        /// The parameter that named it (`bo` or `jc`), for error messages.
        param: &'static str,
    },
    Watermark(WatermarkName),
}

#[derive(Debug, Clone)]
pub struct Plan {
    steps: Vec<(Stage, Step)>,
    limits: Limits,
    format: FormatChoice,
    quality: QualityChoice,
    lossless: bool,
    cmyk: bool,
    cache_key: String,
    passthrough: bool,
    describe: Option<Describe>,
}

impl Plan {
    /// The plan for a query with no deployment-wide steps.
    pub fn new(params: &Params, limits: Limits) -> Result<Plan> {
        Plan::with_context(params, limits, &Context::default())
    }

    /// The plan for a query; validates it against `limits` before anything is read.
    pub fn with_context(params: &Params, limits: Limits, context: &Context) -> Result<Plan> {
        if params.preset.is_some() {
            // Planning past them would silently drop their keys.
            return Err(Error::Internal(
                "presets must be expanded (presets::Presets::expand) before planning".into(),
            ));
        }
        ops::colourspace::validate(params)?;
        ops::resize::validate(params)?;
        let steps: Vec<(Stage, Step)> = ORDER
            .iter()
            .filter_map(|row| (row.build)(params, context).map(|step| (row.stage, step)))
            .collect();
        let planned = steps
            .iter()
            .filter(|(_, s)| matches!(s, Step::Op(_)))
            .count();
        if planned > limits.max_operations {
            return Err(Error::bad_request(
                codes::TOO_MANY_OPERATIONS,
                format!(
                    "This query asks for {planned} operations; this service applies at most {} per request.",
                    limits.max_operations
                ),
            ));
        }
        // The cache key is the canonical query with the deployment's watermark in
        // place of the query's and its defaults `fm=auto` and `q=auto` made explicit,
        // so the variant ETag follows them; a negotiated format adds the client's
        // class, a quality search its target and budget.
        let mut effective = params.clone();
        if let Some(name) = context.enforced_watermark {
            effective.wm = Some(name.clone());
        }
        if context.auto_format && effective.fm.is_none() && !effective.is_empty() {
            effective.fm = Some(Format::Auto);
        }
        if context.auto_quality
            && effective.q.is_none()
            && effective.ll != Some(true)
            && !effective.is_empty()
        {
            effective.q = Some(Quality::Auto);
        }
        let format = FormatChoice::new(effective.fm, context.accept, context.avif_budget_ms);
        let quality = QualityChoice::new(effective.q, context.quality_search);
        let describe = steps.iter().find_map(|(_, step)| match step {
            Step::Describe(describe) => Some(*describe),
            _ => None,
        });
        let describe_suffix = describe.map_or("", Describe::cache_key_suffix);
        Ok(Plan {
            steps,
            limits,
            format,
            quality,
            lossless: params.ll.unwrap_or(false),
            cmyk: params.tc == Some(Colourspace::Cmyk),
            cache_key: effective.canonical()
                + &format.cache_key_suffix()
                + &quality.cache_key_suffix()
                + describe_suffix,
            passthrough: effective.is_empty(),
            describe,
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The steps in order, each with the stage it runs in.
    pub fn steps(&self) -> impl Iterator<Item = (Stage, &Step)> {
        self.steps.iter().map(|(stage, step)| (*stage, step))
    }

    /// The operations alone, in order.
    pub fn operations(&self) -> impl Iterator<Item = &Op> {
        self.steps.iter().filter_map(|(_, s)| match s {
            Step::Op(op) => Some(op),
            _ => None,
        })
    }

    /// True when nothing is asked: the original bytes are the answer.
    pub fn is_passthrough(&self) -> bool {
        self.passthrough
    }

    /// The canonical query (keys sorted, values normalised), plus the client's class
    /// when the format is negotiated: the variant's cache key.
    pub fn cache_key(&self) -> &str {
        &self.cache_key
    }

    /// True when the answer depends on the request's `Accept` (`fm=auto`).
    pub fn is_negotiated(&self) -> bool {
        self.format.is_negotiated()
    }

    /// The other images to load before rendering, each once, in the order of the steps.
    pub fn operands(&self) -> Vec<Operand> {
        let mut out: Vec<Operand> = Vec::new();
        for op in self.operations() {
            let param = if matches!(op, Op::Boolean(_)) {
                "bo"
            } else {
                "jc"
            };
            let wanted = op.operand_keys().into_iter().map(|k| match k {
                OperandKey::Store(key) => Operand::Store {
                    key: key.clone(),
                    param,
                },
                OperandKey::Watermark(name) => Operand::Watermark(name.clone()),
            });
            for operand in wanted {
                let seen = out.iter().any(|o| match (o, &operand) {
                    (Operand::Store { key: a, .. }, Operand::Store { key: b, .. }) => a == b,
                    (a, b) => a == b,
                });
                if !seen {
                    out.push(operand);
                }
            }
        }
        out
    }

    /// The size the decoder may shrink to: only when a resize is the first operation
    /// (trim and extract work in source pixels) and it reduces the image (`p=face` keeps
    /// enough for the detector, [`ops::resize::Resize::decode_size`]). `upright` is the
    /// source's size after orientation.
    pub fn shrink_to(&self, upright: (u32, u32)) -> Option<(u32, u32)> {
        match self.operations().next() {
            Some(Op::Resize(r)) => {
                let least = r.decode_size(upright);
                (least.0 < upright.0 || least.1 < upright.1).then_some(least)
            }
            _ => None,
        }
    }

    /// What the plan answers in place of an image (`fm=json|thumbhash|blurhash`), if
    /// anything: its last step is then [`Step::Describe`], not [`Step::Encode`].
    pub fn describes(&self) -> Option<Describe> {
        self.describe
    }

    /// How the format to write is decided (see [`format`]).
    pub fn format(&self) -> &FormatChoice {
        &self.format
    }

    /// The quality the encoder uses, or how it searches for one (see [`quality`]).
    pub fn quality(&self) -> QualityChoice {
        self.quality
    }

    pub fn lossless(&self) -> bool {
        self.lossless
    }

    /// `tc=cmyk`: the encoder writes CMYK (JPEG, TIFF) or a CMYK round trip (others).
    pub fn cmyk(&self) -> bool {
        self.cmyk
    }
}

/// The operations `params` asks for, in order, without validating them: for tests that
/// apply what the parser accepts, valid or not.
#[cfg(test)]
pub(crate) fn ops_of(params: &Params) -> Vec<Op> {
    ORDER
        .iter()
        .filter_map(|row| match (row.build)(params, &Context::default()) {
            Some(Step::Op(op)) => Some(op),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests;
