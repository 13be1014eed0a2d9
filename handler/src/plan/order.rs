//! The order of the steps, declared once. Every transformed image runs the rows of
//! [`ORDER`] that its query (or the deployment) asks for, top to bottom, whatever order
//! the query was written in — Sharp's order, with the codec's own steps (colour
//! profile, orientation, flattening for formats without alpha) as rows too, so nothing
//! happens "on the side". The README's order line is generated from this table and a
//! test keeps the two equal (`IMAGE_SERVICE_UPDATE_README=1 cargo test readme` rewrites it).

use super::{Describe, Step};
use crate::codecs::auto_quality::Search;
use crate::ops::{
    affine, bandbool, blur, boolean, clahe, colourspace, composite, convolve, ensure_alpha, extend,
    extract, extract_channel, flatten, flip, flop, gamma, greyscale, join_channel, linear, median,
    modulate, negate, normalise, recomb, remove_alpha, resize, rotate, sharpen, threshold, tint,
    trim, unflatten, Op,
};
use crate::params::accept::AcceptClass;
use crate::params::WatermarkName;
use crate::params::{
    Colourspace, Extend, Fit, Format, Gravity, Interpolator, Kernel, Params, Position, Rgba,
};

/// Where a row runs, which is also the phase its time is reported under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Right after the pixels are decoded.
    Decode,
    /// The operations a query asks for.
    Operations,
    /// Just before the encoder.
    Encode,
}

/// What a plan may read besides the query: the deployment's settings and what the
/// request's headers say.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The deployment's watermark for every image (`IMAGE_SERVICE_WATERMARK`); it takes
    /// the place of a query's `wm`.
    pub enforced_watermark: Option<&'a WatermarkName>,
    /// The formats the client takes, for `fm=auto` (`x-image-accept`, else `Accept`).
    pub accept: AcceptClass,
    /// `IMAGE_SERVICE_AUTO_FORMAT`: a transform without `fm` means `fm=auto`.
    pub auto_format: bool,
    /// `IMAGE_SERVICE_AVIF_BUDGET_MS`: a negotiated AVIF estimated to take longer is
    /// WebP; 0 = no budget.
    pub avif_budget_ms: u64,
    /// `IMAGE_SERVICE_AUTO_QUALITY`: a transform without `q` (and without `ll`) means
    /// `q=auto`.
    pub auto_quality: bool,
    /// `IMAGE_SERVICE_AUTO_QUALITY_TARGET` and `_BUDGET_MS`: what `q=auto` aims at.
    pub quality_search: Search,
    /// `IMAGE_SERVICE_METADATA_GPS`: `fm=json` includes the EXIF GPS position.
    pub metadata_gps: bool,
}

impl Default for Context<'_> {
    /// No deployment settings, and a client that takes neither AVIF nor WebP.
    fn default() -> Self {
        Context {
            enforced_watermark: None,
            accept: AcceptClass::Other,
            auto_format: false,
            avif_budget_ms: 0,
            auto_quality: false,
            quality_search: Search::default(),
            metadata_gps: false,
        }
    }
}

/// One row of the order: a step's name, the query keys that ask for it (none for the
/// codec's steps, which every transformed image runs) and how it is built.
pub struct Row {
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub stage: Stage,
    pub build: fn(&Params, &Context) -> Option<Step>,
}

const fn row(
    name: &'static str,
    keys: &'static [&'static str],
    build: fn(&Params, &Context) -> Option<Step>,
) -> Row {
    Row {
        name,
        keys,
        stage: Stage::Operations,
        build,
    }
}

/// A pixel length of the request at its `dpr` (unchanged without one).
fn density(p: &Params, side: u32) -> u32 {
    p.dpr.map_or(side, |dpr| dpr.scale(side))
}

fn op(op: Op) -> Option<Step> {
    Some(Step::Op(op))
}

/// The order. Sharp's pipeline: trim, extract before resize, resize, extract after,
/// extend, rotate, flip/flop, affine, then the filters (median before blur, blur before
/// sharpen), then colour; the watermark is composited before boolean, bandbool and tint
/// (so a tint also tints the watermark, as the seed warned), alpha is removed or
/// ensured after compositing, and a channel is extracted last, after the output
/// colourspace, so `ec=red&tc=rgb16` stays one band. `pc` runs first so every operation
/// works in that colourspace.
pub static ORDER: &[Row] = &[
    Row {
        name: "colour profile to sRGB",
        keys: &[],
        stage: Stage::Decode,
        build: |_, _| Some(Step::ToSrgb),
    },
    Row {
        name: "orientation",
        keys: &[],
        stage: Stage::Decode,
        build: |_, _| Some(Step::Orient),
    },
    row("pipeline colourspace", &["pc"], |p, _| {
        op(Op::PipelineColourspace(colourspace::ToColourspace {
            key: "pc",
            colourspace: p.pc?,
        }))
    }),
    row("trim", &["tr"], |p, _| {
        op(Op::Trim(trim::Trim { threshold: p.tr? }))
    }),
    row("crop before resize", &["cb"], |p, _| {
        op(Op::Extract(extract::Extract {
            key: "cb",
            region: p.cb?,
        }))
    }),
    row("resize", &["w", "h", "dpr", "f", "p", "fp", "k"], |p, _| {
        if p.w.is_none() && p.h.is_none() {
            return None;
        }
        op(Op::Resize(resize::Resize {
            width: p.w.map(|w| density(p, w)),
            height: p.h.map(|h| density(p, h)),
            fit: p.f.unwrap_or(Fit::Cover),
            position: p.p.unwrap_or(Position::Gravity(Gravity::Center)),
            focal_point: p.fp,
            background: p.bg.unwrap_or(Rgba::BLACK),
            kernel: p.k.unwrap_or(Kernel::Lanczos3),
        }))
    }),
    row("crop after resize", &["ca"], |p, _| {
        op(Op::Extract(extract::Extract {
            key: "ca",
            region: p.ca?,
        }))
    }),
    // `dpr` scales `ex` too; the key is listed once, with the resize it mostly serves.
    row("extend", &["ex"], |p, _| {
        let ex = p.ex?;
        op(Op::Extend(extend::ExtendEdges {
            edges: Extend {
                top: density(p, ex.top),
                bottom: density(p, ex.bottom),
                left: density(p, ex.left),
                right: density(p, ex.right),
            },
            background: p.bg.unwrap_or(Rgba::BLACK),
        }))
    }),
    row("rotate", &["r"], |p, _| {
        op(Op::Rotate(rotate::Rotate {
            degrees: p.r.filter(|d| d.rem_euclid(360) != 0)?,
            background: p.bg,
        }))
    }),
    row("flip", &["flip"], |p, _| {
        (p.flip == Some(true)).then_some(Step::Op(Op::Flip(flip::Flip)))
    }),
    row("flop", &["flop"], |p, _| {
        (p.flop == Some(true)).then_some(Step::Op(Op::Flop(flop::Flop)))
    }),
    row("affine", &["af", "afbg", "afi"], |p, _| {
        op(Op::Affine(affine::Affine {
            matrix: p.af?,
            background: p.afbg.unwrap_or(Rgba::BLACK),
            interpolator: p.afi.unwrap_or(Interpolator::Bicubic),
        }))
    }),
    row("median", &["md"], |p, _| {
        op(Op::Median(median::Median { size: p.md? }))
    }),
    row("blur", &["bl"], |p, _| {
        op(Op::Blur(blur::Blur { sigma: p.bl? }))
    }),
    row("sharpen", &["sh"], |p, _| {
        op(Op::Sharpen(sharpen::SharpenOp { sharpen: p.sh? }))
    }),
    row("flatten", &["fl"], |p, _| {
        op(Op::Flatten(flatten::Flatten { background: p.fl? }))
    }),
    row("gamma", &["gm"], |p, _| {
        op(Op::Gamma(gamma::GammaCorrection { gamma: p.gm? }))
    }),
    row("negate", &["ng"], |p, _| {
        let ng = p.ng.filter(|ng| ng.on)?;
        op(Op::Negate(negate::Negate { alpha: ng.alpha }))
    }),
    row("normalise", &["nr"], |p, _| {
        (p.nr == Some(true)).then_some(Step::Op(Op::Normalise(normalise::Normalise)))
    }),
    row("clahe", &["cl"], |p, _| {
        op(Op::Clahe(clahe::ClaheOp { clahe: p.cl? }))
    }),
    row("convolve", &["cv"], |p, _| {
        op(Op::Convolve(convolve::ConvolveOp {
            convolve: p.cv.clone()?,
        }))
    }),
    row("threshold", &["th"], |p, _| {
        op(Op::Threshold(threshold::Threshold { value: p.th? }))
    }),
    // After threshold, as in Sharp, so a threshold can make near-white white first.
    row("unflatten", &["uf"], |p, _| {
        (p.uf == Some(true)).then_some(Step::Op(Op::Unflatten(unflatten::Unflatten)))
    }),
    row("linear", &["li"], |p, _| {
        op(Op::Linear(linear::LinearOp {
            linear: p.li.clone()?,
        }))
    }),
    row("recomb", &["rc"], |p, _| {
        op(Op::Recomb(recomb::RecombOp { matrix: p.rc? }))
    }),
    row("modulate", &["mo"], |p, _| {
        op(Op::Modulate(modulate::ModulateOp { modulate: p.mo? }))
    }),
    row("watermark", &["wm", "gr"], |p, c| {
        op(Op::Composite(composite::Composite {
            watermark: c.enforced_watermark.or(p.wm.as_ref())?.clone(),
            gravity: p.gr.unwrap_or(composite::DEFAULT_GRAVITY),
            padding: 0,
        }))
    }),
    row("boolean", &["bo"], |p, _| {
        let b = p.bo.as_ref()?;
        op(Op::Boolean(boolean::Boolean {
            operator: b.operator,
            operand: b.operand.clone(),
        }))
    }),
    row("bandbool", &["bb"], |p, _| {
        op(Op::Bandbool(bandbool::Bandbool { operator: p.bb? }))
    }),
    row("tint", &["t"], |p, _| {
        op(Op::Tint(tint::Tint { colour: p.t? }))
    }),
    row("greyscale", &["g"], |p, _| {
        (p.g == Some(true)).then_some(Step::Op(Op::Greyscale(greyscale::Greyscale)))
    }),
    row("remove alpha", &["ra"], |p, _| {
        (p.ra == Some(true)).then_some(Step::Op(Op::RemoveAlpha(remove_alpha::RemoveAlpha)))
    }),
    row("ensure alpha", &["ea"], |p, _| {
        op(Op::EnsureAlpha(ensure_alpha::EnsureAlpha { alpha: p.ea? }))
    }),
    row("join channels", &["jc"], |p, _| {
        op(Op::JoinChannel(join_channel::JoinChannel {
            operands: p.jc.clone()?,
        }))
    }),
    // Sharp writes sRGB unless told otherwise, also after a pipeline colourspace.
    row("output colourspace", &["tc"], |p, _| {
        op(Op::OutputColourspace(colourspace::ToColourspace {
            key: if p.tc.is_some() { "tc" } else { "pc" },
            colourspace: p.tc.or(p.pc.map(|_| Colourspace::Srgb))?,
        }))
    }),
    row("extract channel", &["ec"], |p, _| {
        op(Op::ExtractChannel(extract_channel::ExtractChannel {
            channel: p.ec?,
        }))
    }),
    Row {
        name: "alpha onto white for formats without alpha",
        keys: &[],
        stage: Stage::Encode,
        build: |_, _| Some(Step::FlattenForOutput),
    },
    Row {
        name: "encode, or describe",
        keys: &["fm", "q", "ll", "bhc"],
        stage: Stage::Encode,
        build: |p, context| {
            Some(match p.fm.and_then(Format::description) {
                Some(description) => Step::Describe(Describe::new(description, p, context)),
                None => Step::Encode,
            })
        },
    },
];

/// The README's order line: every row, its keys in code.
pub fn readme_line() -> String {
    let rows: Vec<String> = ORDER
        .iter()
        .map(|row| {
            let keys: Vec<String> = row.keys.iter().map(|k| format!("`{k}`")).collect();
            match (row.stage, keys.is_empty()) {
                (Stage::Decode, _) => format!("{} (decoder)", row.name),
                (_, true) => row.name.to_string(),
                (_, false) => format!("{} ({})", row.name, keys.join(" ")),
            }
        })
        .collect();
    let mut out = String::new();
    let mut width = 0;
    // One Markdown paragraph, wrapped at about 88 columns like the prose around it.
    for (i, part) in rows.iter().enumerate() {
        let piece = if i == 0 {
            part.clone()
        } else {
            format!(" → {part}")
        };
        if width + piece.len() > 88 && width > 0 {
            out.push('\n');
            width = 0;
            let trimmed = piece.trim_start();
            out.push_str(trimmed);
            width += trimmed.len();
        } else {
            out.push_str(&piece);
            width += piece.len();
        }
    }
    out.push('.');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::KEYS;

    #[test]
    fn every_operation_key_is_in_one_row_and_rows_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for row in ORDER {
            assert!(seen.insert(row.name), "row {} twice", row.name);
        }
        let mut owners = std::collections::HashMap::new();
        for row in ORDER {
            for key in row.keys {
                assert!(
                    KEYS.iter().any(|k| k.name == *key),
                    "row {} names unknown key {key}",
                    row.name
                );
                assert_eq!(owners.insert(*key, row.name), None, "{key} in two rows");
            }
        }
        // Keys that only modify another row's step (bg for resize/extend/rotate) need
        // no row of their own, nor does preset, replaced by its keys before planning.
        let modifiers = ["bg", "preset"];
        for k in KEYS {
            assert!(
                owners.contains_key(k.name) || modifiers.contains(&k.name),
                "key {} has no row in the order",
                k.name
            );
        }
    }

    #[test]
    fn stages_run_decode_then_operations_then_encode() {
        let stages: Vec<Stage> = ORDER.iter().map(|r| r.stage).collect();
        let mut sorted = stages.clone();
        sorted.sort_by_key(|s| match s {
            Stage::Decode => 0,
            Stage::Operations => 1,
            Stage::Encode => 2,
        });
        assert_eq!(stages, sorted);
    }

    #[test]
    fn readme_order_line_is_generated_from_the_table() {
        assert!(readme_line().starts_with("colour profile to sRGB (decoder) → orientation"));
        let section = format!("\n{}", readme_line());
        crate::readme::check_section("order", "handler/src/plan/order.rs", &section);
    }
}
