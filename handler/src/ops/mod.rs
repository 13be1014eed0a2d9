//! Operations: each lives in its own file with its own tests; [`Op`] is the one list
//! of them that a plan holds (`crate::plan` builds it from the parameters, in the order
//! `plan::ORDER` declares).

pub mod channels;
pub mod colour;
pub mod composite;
pub mod filters;
pub mod geometry;
pub mod pixel;

// Every operation module stays reachable at its old path (`ops::trim::Trim`, …).
pub use channels::{bandbool, boolean, ensure_alpha, extract_channel, join_channel, remove_alpha};
pub use colour::{
    colourspace, gamma, greyscale, linear, modulate, negate, normalise, recomb, threshold, tint,
};
pub use composite::{flatten, unflatten};
pub use filters::{blur, clahe, convolve, median, sharpen};
pub use geometry::{affine, extend, extract, face, flip, flop, resize, rotate, strategy, trim};

#[cfg(test)]
pub mod testutil;

use std::collections::HashMap;

use std::time::Instant;

use crate::error::{Error, Result};
use crate::params::{StoreKey, Strategy, WatermarkName};
use image::DynamicImage;

/// What an operation found out while running, for the response to report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// For `p=face`: the strategy that placed the cover crop, `Face` or `Attention`
    /// (the `X-Image-Crop` header).
    pub crop: Option<Strategy>,
}

/// Other images some operations need (`bo`, `jc` from the store, `wm` from the
/// watermark assets), loaded and decoded by the pipeline before the operations run.
#[derive(Debug, Default)]
pub struct Operands {
    pub store: HashMap<StoreKey, DynamicImage>,
    pub watermarks: HashMap<WatermarkName, DynamicImage>,
}

/// One image an operation needs, for the pipeline to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperandKey<'a> {
    Store(&'a StoreKey),
    Watermark(&'a WatermarkName),
}

impl Operands {
    fn store(&self, key: &StoreKey) -> Result<&DynamicImage> {
        self.store
            .get(key)
            .ok_or_else(|| Error::Internal(format!("operand {key} was not loaded")))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Trim(trim::Trim),
    Extract(extract::Extract),
    Resize(resize::Resize),
    Extend(extend::ExtendEdges),
    Rotate(rotate::Rotate),
    Flip(flip::Flip),
    Flop(flop::Flop),
    Affine(affine::Affine),
    Median(median::Median),
    Blur(blur::Blur),
    Sharpen(sharpen::SharpenOp),
    Flatten(flatten::Flatten),
    Gamma(gamma::GammaCorrection),
    Negate(negate::Negate),
    Normalise(normalise::Normalise),
    Clahe(clahe::ClaheOp),
    Convolve(convolve::ConvolveOp),
    Threshold(threshold::Threshold),
    Unflatten(unflatten::Unflatten),
    Linear(linear::LinearOp),
    Recomb(recomb::RecombOp),
    Modulate(modulate::ModulateOp),
    /// `pc`: first of all, so every operation works in that colourspace.
    PipelineColourspace(colourspace::ToColourspace),
    Composite(composite::Composite),
    Boolean(boolean::Boolean),
    Bandbool(bandbool::Bandbool),
    Tint(tint::Tint),
    Greyscale(greyscale::Greyscale),
    RemoveAlpha(remove_alpha::RemoveAlpha),
    EnsureAlpha(ensure_alpha::EnsureAlpha),
    JoinChannel(join_channel::JoinChannel),
    /// `tc`, or sRGB after a `pc` (Sharp's default output colourspace).
    OutputColourspace(colourspace::ToColourspace),
    ExtractChannel(extract_channel::ExtractChannel),
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Trim(_) => "trim",
            Op::Extract(e) if e.key == "cb" => "extract-before",
            Op::Extract(_) => "extract-after",
            Op::Resize(_) => "resize",
            Op::Extend(_) => "extend",
            Op::Rotate(_) => "rotate",
            Op::Flip(_) => "flip",
            Op::Flop(_) => "flop",
            Op::Affine(_) => "affine",
            Op::Median(_) => "median",
            Op::Blur(_) => "blur",
            Op::Sharpen(_) => "sharpen",
            Op::Flatten(_) => "flatten",
            Op::Gamma(_) => "gamma",
            Op::Negate(_) => "negate",
            Op::Normalise(_) => "normalise",
            Op::Clahe(_) => "clahe",
            Op::Convolve(_) => "convolve",
            Op::Threshold(_) => "threshold",
            Op::Unflatten(_) => "unflatten",
            Op::Linear(_) => "linear",
            Op::Recomb(_) => "recomb",
            Op::Modulate(_) => "modulate",
            Op::PipelineColourspace(_) => "pipeline-colourspace",
            Op::Composite(_) => "composite",
            Op::Boolean(_) => "boolean",
            Op::Bandbool(_) => "bandbool",
            Op::Tint(_) => "tint",
            Op::Greyscale(_) => "greyscale",
            Op::RemoveAlpha(_) => "remove-alpha",
            Op::EnsureAlpha(_) => "ensure-alpha",
            Op::JoinChannel(_) => "join-channel",
            Op::OutputColourspace(_) => "output-colourspace",
            Op::ExtractChannel(_) => "extract-channel",
        }
    }

    /// The other images this operation needs loaded into [`Operands`].
    pub fn operand_keys(&self) -> Vec<OperandKey<'_>> {
        match self {
            Op::Boolean(b) => vec![OperandKey::Store(&b.operand)],
            Op::JoinChannel(j) => j.operands.iter().map(OperandKey::Store).collect(),
            Op::Composite(c) => vec![OperandKey::Watermark(&c.watermark)],
            _ => Vec::new(),
        }
    }

    /// Applies the operation to every frame. `logical_source` is only meaningful for a
    /// resize that runs first (see [`resize::Resize::apply`]).
    pub fn apply(
        &self,
        images: &mut [DynamicImage],
        logical_source: Option<(u32, u32)>,
    ) -> Result<()> {
        self.apply_with(images, logical_source, &Operands::default())
    }

    /// [`Op::apply_with`] for the pipeline: with the request's `deadline`, checked
    /// inside a step that runs a long analysis before its own work (`p=face` finds the
    /// faces, then resizes), and what the operation reports.
    pub fn run(
        &self,
        images: &mut [DynamicImage],
        logical_source: Option<(u32, u32)>,
        operands: &Operands,
        deadline: Option<Instant>,
    ) -> Result<Applied> {
        match self {
            Op::Resize(r) => Ok(Applied {
                crop: r.apply_reporting(images, logical_source, deadline)?,
            }),
            other => other
                .apply_with(images, logical_source, operands)
                .map(|()| Applied::default()),
        }
    }

    /// [`Op::apply`] for plans with operand images (`bo`, `jc`, `wm`): `operands`
    /// holds every image [`Op::operand_keys`] named.
    pub fn apply_with(
        &self,
        images: &mut [DynamicImage],
        logical_source: Option<(u32, u32)>,
        operands: &Operands,
    ) -> Result<()> {
        match self {
            Op::Trim(t) => t.apply(images),
            Op::Extract(e) => e.apply(images),
            Op::Resize(r) => r.apply(images, logical_source),
            Op::Extend(e) => e.apply(images),
            Op::Rotate(o) => o.apply(images),
            Op::Flip(o) => o.apply(images),
            Op::Flop(o) => o.apply(images),
            Op::Affine(o) => o.apply(images),
            Op::Median(o) => o.apply(images),
            Op::Blur(o) => o.apply(images),
            Op::Sharpen(o) => o.apply(images),
            Op::Flatten(o) => o.apply(images),
            Op::Gamma(o) => o.apply(images),
            Op::Negate(o) => o.apply(images),
            Op::Normalise(o) => o.apply(images),
            Op::Clahe(o) => o.apply(images),
            Op::Convolve(o) => o.apply(images),
            Op::Threshold(o) => o.apply(images),
            Op::Unflatten(o) => o.apply(images),
            Op::Linear(o) => o.apply(images),
            Op::Recomb(o) => o.apply(images),
            Op::Modulate(o) => o.apply(images),
            Op::PipelineColourspace(c) | Op::OutputColourspace(c) => c.apply(images),
            Op::Tint(t) => t.apply(images),
            Op::Greyscale(g) => g.apply(images),
            Op::Boolean(b) => b.apply(images, operands.store(&b.operand)?),
            Op::Bandbool(b) => b.apply(images),
            Op::RemoveAlpha(r) => r.apply(images),
            Op::EnsureAlpha(e) => e.apply(images),
            Op::ExtractChannel(e) => e.apply(images),
            Op::JoinChannel(j) => {
                let loaded = j
                    .operands
                    .iter()
                    .map(|key| operands.store(key).cloned())
                    .collect::<Result<Vec<_>>>()?;
                j.apply(images, &loaded)
            }
            Op::Composite(c) => {
                let mark = operands.watermarks.get(&c.watermark).ok_or_else(|| {
                    Error::Internal(format!("watermark {} was not loaded", c.watermark))
                })?;
                c.apply(images, mark)
            }
        }
    }
}
