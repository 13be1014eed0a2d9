//! Operations and the plan. `plan()` turns `Params` into an ordered list of operations
//! in one fixed order — Sharp's: trim → extract before resize → resize → extract after
//! → extend → … → output — whatever order the query used. Each operation lives in its
//! own file with its own tests.

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
pub use composite::flatten;
pub use filters::{blur, clahe, convolve, median, sharpen};
pub use geometry::{affine, extend, extract, flip, flop, resize, rotate, strategy, trim};

#[cfg(test)]
pub mod testutil;

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::params::{
    Colourspace, Fit, Gravity, Interpolator, Kernel, Params, Position, Rgba, StoreKey,
    WatermarkName,
};
use image::DynamicImage;

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

/// The operations a query asks for, in the fixed order.
pub fn plan(p: &Params) -> Vec<Op> {
    let mut ops = Vec::new();
    if let Some(colourspace) = p.pc {
        ops.push(Op::PipelineColourspace(colourspace::ToColourspace {
            key: "pc",
            colourspace,
        }));
    }
    if let Some(threshold) = p.tr {
        ops.push(Op::Trim(trim::Trim { threshold }));
    }
    if let Some(region) = p.cb {
        ops.push(Op::Extract(extract::Extract { key: "cb", region }));
    }
    if p.w.is_some() || p.h.is_some() {
        ops.push(Op::Resize(resize::Resize {
            width: p.w,
            height: p.h,
            fit: p.f.unwrap_or(Fit::Cover),
            position: p.p.unwrap_or(Position::Gravity(Gravity::Center)),
            background: p.bg.unwrap_or(Rgba::BLACK),
            kernel: p.k.unwrap_or(Kernel::Lanczos3),
        }));
    }
    if let Some(region) = p.ca {
        ops.push(Op::Extract(extract::Extract { key: "ca", region }));
    }
    if let Some(edges) = p.ex {
        ops.push(Op::Extend(extend::ExtendEdges {
            edges,
            background: p.bg.unwrap_or(Rgba::BLACK),
        }));
    }
    if let Some(degrees) = p.r.filter(|d| d.rem_euclid(360) != 0) {
        ops.push(Op::Rotate(rotate::Rotate {
            degrees,
            background: p.bg,
        }));
    }
    if p.flip == Some(true) {
        ops.push(Op::Flip(flip::Flip));
    }
    if p.flop == Some(true) {
        ops.push(Op::Flop(flop::Flop));
    }
    if let Some(matrix) = p.af {
        ops.push(Op::Affine(affine::Affine {
            matrix,
            background: p.afbg.unwrap_or(Rgba::BLACK),
            interpolator: p.afi.unwrap_or(Interpolator::Bicubic),
        }));
    }
    if let Some(size) = p.md {
        ops.push(Op::Median(median::Median { size }));
    }
    // Sharp blurs before it sharpens.
    if let Some(sigma) = p.bl {
        ops.push(Op::Blur(blur::Blur { sigma }));
    }
    if let Some(sharpen) = p.sh {
        ops.push(Op::Sharpen(sharpen::SharpenOp { sharpen }));
    }
    if let Some(background) = p.fl {
        ops.push(Op::Flatten(flatten::Flatten { background }));
    }
    if let Some(gamma) = p.gm {
        ops.push(Op::Gamma(gamma::GammaCorrection { gamma }));
    }
    if p.ng == Some(true) {
        ops.push(Op::Negate(negate::Negate));
    }
    if p.nr == Some(true) {
        ops.push(Op::Normalise(normalise::Normalise));
    }
    if let Some(clahe) = p.cl {
        ops.push(Op::Clahe(clahe::ClaheOp { clahe }));
    }
    if let Some(convolve) = &p.cv {
        ops.push(Op::Convolve(convolve::ConvolveOp {
            convolve: convolve.clone(),
        }));
    }
    if let Some(value) = p.th {
        ops.push(Op::Threshold(threshold::Threshold { value }));
    }
    if let Some(linear) = &p.li {
        ops.push(Op::Linear(linear::LinearOp {
            linear: linear.clone(),
        }));
    }
    if let Some(matrix) = p.rc {
        ops.push(Op::Recomb(recomb::RecombOp { matrix }));
    }
    if let Some(modulate) = p.mo {
        ops.push(Op::Modulate(modulate::ModulateOp { modulate }));
    }
    // The tail follows Sharp's pipeline: the watermark is composited before boolean,
    // bandbool and tint (so a tint also tints the watermark, as the seed warned), alpha
    // is removed or ensured after compositing, and a channel is extracted last, after
    // the output colourspace, so `ec=red&tc=rgb16` stays one band.
    if let Some(watermark) = &p.wm {
        ops.push(Op::Composite(composite::Composite {
            watermark: watermark.clone(),
            gravity: p.gr.unwrap_or(composite::DEFAULT_GRAVITY),
            padding: 0,
        }));
    }
    if let Some(b) = &p.bo {
        ops.push(Op::Boolean(boolean::Boolean {
            operator: b.operator,
            operand: b.operand.clone(),
        }));
    }
    if let Some(operator) = p.bb {
        ops.push(Op::Bandbool(bandbool::Bandbool { operator }));
    }
    if let Some(colour) = p.t {
        ops.push(Op::Tint(tint::Tint { colour }));
    }
    if p.g == Some(true) {
        ops.push(Op::Greyscale(greyscale::Greyscale));
    }
    if p.ra == Some(true) {
        ops.push(Op::RemoveAlpha(remove_alpha::RemoveAlpha));
    }
    if let Some(alpha) = p.ea {
        ops.push(Op::EnsureAlpha(ensure_alpha::EnsureAlpha { alpha }));
    }
    if let Some(keys) = &p.jc {
        ops.push(Op::JoinChannel(join_channel::JoinChannel {
            operands: keys.clone(),
        }));
    }
    // Sharp writes sRGB unless told otherwise, also after a pipeline colourspace.
    if let Some(colourspace) = p.tc.or(p.pc.map(|_| Colourspace::Srgb)) {
        ops.push(Op::OutputColourspace(colourspace::ToColourspace {
            key: if p.tc.is_some() { "tc" } else { "pc" },
            colourspace,
        }));
    }
    if let Some(channel) = p.ec {
        ops.push(Op::ExtractChannel(extract_channel::ExtractChannel {
            channel,
        }));
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(q: &str) -> Vec<&'static str> {
        plan(&Params::parse(q).unwrap())
            .iter()
            .map(Op::name)
            .collect()
    }

    #[test]
    fn fixed_order_whatever_the_query_order() {
        let want = [
            "trim",
            "extract-before",
            "resize",
            "extract-after",
            "extend",
        ];
        let a = "tr=10&cb=%7B%22left%22:0,%22top%22:0,%22width%22:5,%22height%22:5%7D&w=3&ca=%7B%22left%22:0,%22top%22:0,%22width%22:2,%22height%22:2%7D&ex=1";
        assert_eq!(names(a), want);
        let b = "ex=1&ca=%7B%22left%22:0,%22top%22:0,%22width%22:2,%22height%22:2%7D&w=3&cb=%7B%22left%22:0,%22top%22:0,%22width%22:5,%22height%22:5%7D&tr=10";
        assert_eq!(names(b), want);
    }

    #[test]
    fn image_operations_follow_extend_in_the_fixed_order() {
        let want = [
            "extend",
            "rotate",
            "flip",
            "flop",
            "affine",
            "median",
            "blur",
            "sharpen",
            "flatten",
            "gamma",
            "negate",
            "normalise",
            "clahe",
            "convolve",
            "threshold",
            "linear",
            "recomb",
            "modulate",
        ];
        let q = "mo=%7B%22hue%22:9%7D&rc=%5B%5B1,0,0%5D,%5B0,1,0%5D,%5B0,0,1%5D%5D&li=%5B1,2%5D\
                 &th&cv=%7B%22width%22:1,%22height%22:1,%22kernel%22:%5B1%5D%7D\
                 &cl=%7B%22width%22:3,%22height%22:3%7D&nr&ng&gm&fl=fff&sh&bl=2&md\
                 &af=%5B1,0,0,1%5D&flop&flip&r=33&ex=1";
        assert_eq!(names(q), want);
        let mut shuffled: Vec<&str> = q.split('&').collect();
        shuffled.reverse();
        assert_eq!(names(&shuffled.join("&")), want);
    }

    #[test]
    fn no_op_values_plan_nothing() {
        assert!(names("r=0&flip=false&flop=false&ng=false&nr=false").is_empty());
        assert!(names("r=360").is_empty());
        assert_eq!(names("r=-90"), ["rotate"]);
    }

    /// Extreme values of every image-operation key, on every pixel type, 1×1 included:
    /// errors are fine (too large), panics are not.
    #[test]
    fn extreme_values_never_panic() {
        let queries = [
            "r=1", "r=359", "r=-1", "flip&flop",
            "af=%5B100,-100,100,100%5D", "af=%5B0.001,0,0,0.001%5D",
            "af=%5B-1,0.5,0.001,-1%5D&afi=nohalo&afbg=00000000",
            "af=%5B1,1,0.0000001,1.0000011%5D&afi=vsqbs",
            "md=51", "md=2", "bl=0.3", "bl=1000", "sh", "sh=0.000001", "sh=10",
            "sh=%7B%22sigma%22:10,%22m1%22:1000000,%22m2%22:1000000,%22x1%22:0,%22y2%22:1000000,%22y3%22:1000000%7D",
            "fl=00000000", "gm=1", "gm=%5B3,1%5D", "ng", "nr",
            "cl=%7B%22width%22:1024,%22height%22:1,%22maxSlope%22:100%7D",
            "cl=%7B%22width%22:1,%22height%22:1,%22maxSlope%22:0%7D",
            "cv=%7B%22width%22:15,%22height%22:1,%22kernel%22:%5B1000000,-1000000,1,1,1,1,1,1,1,1,1,1,1,1,1%5D,%22scale%22:-0.000001,%22offset%22:-1000000%7D",
            "th=0", "th=255", "li=%5B-1000000,1000000%5D",
            "li=%5B%5B1,2,3,4%5D,%5B-1,-2,-3,-4%5D%5D",
            "rc=%5B%5B1000000,0,0,0%5D,%5B0,1,0,0%5D,%5B0,0,1,0%5D,%5B0,0,0,-1000000%5D%5D",
            "mo=%7B%22brightness%22:100,%22saturation%22:100,%22hue%22:-1000000000,%22lightness%22:-100%7D",
            "mo=%7B%22brightness%22:0,%22saturation%22:0%7D",
        ];
        let sizes = [(1, 1), (3, 2)];
        for q in queries {
            let ops = plan(&Params::parse(q).unwrap_or_else(|e| panic!("{q}: {e}")));
            assert!(!ops.is_empty(), "{q}");
            for (w, h) in sizes {
                for img in pixel::tests::every_variant(w, h) {
                    let mut frames = [img.clone(), img];
                    for op in &ops {
                        if let Err(e) = op.apply(&mut frames, None) {
                            assert!(
                                matches!(e, crate::error::Error::ImageTooLarge(_)),
                                "{q}: {e}"
                            );
                            break;
                        }
                    }
                    assert_eq!(frames[0], frames[1], "{q}: frames differ");
                }
            }
        }
    }

    /// Rough timings on a 2000×1500 RGB photo-sized image; run with `--ignored`.
    #[test]
    #[ignore]
    fn timings_2000x1500() {
        let img = testutil::fixture("ops-photo.png").resize_exact(
            2000,
            1500,
            image::imageops::FilterType::Triangle,
        );
        for q in [
            "r=33",
            "af=%5B1,0.3,0.1,0.8%5D",
            "md=3",
            "md=15",
            "bl=5",
            "bl=1000",
            "sh",
            "sh=2",
            "nr",
            "cl=%7B%22width%22:50,%22height%22:50%7D",
            "mo=%7B%22hue%22:90%7D",
            "cv=%7B%22width%22:3,%22height%22:3,%22kernel%22:%5B1,1,1,1,1,1,1,1,1%5D%7D",
        ] {
            let ops = plan(&Params::parse(q).unwrap());
            let mut frames = [img.clone()];
            let start = std::time::Instant::now();
            for op in &ops {
                op.apply(&mut frames, None).unwrap();
            }
            eprintln!("{q}: {:?}", start.elapsed());
        }
    }

    #[test]
    fn colour_and_channel_ops_in_their_fixed_order() {
        let q = "tc=b-w&wm=corner.png&jc=%5B%22m.png%22%5D&ec=red&ea=0.5&ra&bb=and\
                 &bo=%7B%22operator%22:%22and%22,%22operand%22:%22o.png%22%7D&g&t=red&pc=rgb16&w=5";
        assert_eq!(
            names(q),
            [
                "pipeline-colourspace",
                "resize",
                "composite",
                "boolean",
                "bandbool",
                "tint",
                "greyscale",
                "remove-alpha",
                "ensure-alpha",
                "join-channel",
                "output-colourspace",
                "extract-channel",
            ]
        );
    }

    #[test]
    fn false_flags_plan_nothing_and_pc_alone_writes_srgb() {
        assert!(names("g=false&ra=0").is_empty());
        let ops = plan(&Params::parse("pc=b-w").unwrap());
        assert_eq!(
            ops.last(),
            Some(&Op::OutputColourspace(colourspace::ToColourspace {
                key: "pc",
                colourspace: Colourspace::Srgb
            }))
        );
    }

    #[test]
    fn operand_ops_name_their_operands_and_need_them_loaded() {
        let ops = plan(
            &Params::parse(
                "wm=corner.png&bo=%7B%22operator%22:%22and%22,%22operand%22:%22a.png%22%7D",
            )
            .unwrap(),
        );
        let keys: Vec<OperandKey> = ops.iter().flat_map(Op::operand_keys).collect();
        assert_eq!(keys.len(), 2);
        // The watermark makes the grey image RGBA; the boolean keeps that layout.
        let mut imgs = [DynamicImage::new_luma8(2, 2)];
        let err = ops[0].apply(&mut imgs, None).unwrap_err();
        assert_eq!(err.status().as_u16(), 500);
        let mut operands = Operands::default();
        for key in keys {
            match key {
                OperandKey::Store(k) => {
                    operands
                        .store
                        .insert(k.clone(), DynamicImage::new_luma8(3, 3));
                }
                OperandKey::Watermark(w) => {
                    operands
                        .watermarks
                        .insert(w.clone(), DynamicImage::new_rgba8(1, 1));
                }
            }
        }
        for op in &ops {
            op.apply_with(&mut imgs, None, &operands).unwrap();
        }
        assert_eq!(imgs[0].color(), image::ColorType::Rgba8);
    }

    mod never_panic {
        use super::*;
        use crate::params::{BitwiseOperator, Channel};
        use proptest::prelude::*;

        fn any_image() -> impl Strategy<Value = DynamicImage> {
            (0usize..10, 1u32..6, 1u32..6)
                .prop_map(|(i, w, h)| crate::ops::testutil::all_variants(w, h).swap_remove(i))
        }

        fn any_colourspace() -> impl Strategy<Value = Option<Colourspace>> {
            prop::option::of(prop::sample::select(Colourspace::ALL.to_vec()))
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]
            /// Every value the parser accepts, on every pixel type: Ok or a 400, never
            /// a panic or a 500.
            #[test]
            fn colour_and_channel_ops(
                img in any_image(),
                operand in any_image(),
                mark in any_image(),
                tint in prop::option::of(any::<[u8; 4]>()),
                g in prop::option::of(any::<bool>()),
                ra in prop::option::of(any::<bool>()),
                ea in prop::option::of(0.0f64..=1.0),
                ec in prop::option::of(prop::sample::select(Channel::ALL.to_vec())),
                bb in prop::option::of(prop::sample::select(BitwiseOperator::ALL.to_vec())),
                bo in prop::option::of(prop::sample::select(BitwiseOperator::ALL.to_vec())),
                jc in 0usize..=3,
                wm in prop::option::of(prop::sample::select(Gravity::ALL.to_vec())),
                pc in any_colourspace(),
                tc in any_colourspace(),
            ) {
                let key = StoreKey::parse("o.png").unwrap();
                let name = WatermarkName::parse("w.png").unwrap();
                let params = Params {
                    t: tint.map(|[r, g, b, a]| Rgba::new(r, g, b, a)),
                    g, ra, ea, ec, bb, pc, tc,
                    bo: bo.map(|operator| crate::params::BooleanOp { operator, operand: key.clone() }),
                    jc: (jc > 0).then(|| vec![key.clone(); jc]),
                    wm: wm.map(|_| name.clone()),
                    gr: wm,
                    ..Params::default()
                };
                let mut operands = Operands::default();
                operands.store.insert(key.clone(), operand);
                operands.watermarks.insert(name.clone(), mark);
                let valid = colourspace::validate(&params);
                let mut imgs = [img];
                let mut result = Ok(());
                for op in plan(&params) {
                    result = op.apply_with(&mut imgs, None, &operands);
                    if result.is_err() {
                        break;
                    }
                }
                if let Err(e) = result {
                    prop_assert_eq!(e.status().as_u16(), 400, "{}", e);
                }
                if valid.is_err() {
                    prop_assert!(plan(&params).iter().any(|op| op
                        .apply_with(&mut [DynamicImage::new_rgb8(1, 1)], None, &operands)
                        .is_err()));
                }
            }
        }
    }

    #[test]
    fn output_only_queries_plan_nothing() {
        assert!(names("q=50&fm=webp").is_empty());
        assert_eq!(names("h=10"), ["resize"]);
    }
}
