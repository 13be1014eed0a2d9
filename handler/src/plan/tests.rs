//! The order every query plans in, and operations applied through the plan.

use super::*;
use crate::ops::{colourspace, pixel, testutil, OperandKey, Operands};
use crate::params::{Colourspace, Extend, Gravity, Rgba, StoreKey};
use image::DynamicImage;

/// The operations a query plans, without the plan's validation (some tests apply
/// invalid colourspace pairs on purpose).
fn plan(p: &Params) -> Vec<Op> {
    ops_of(p)
}

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
        &Params::parse("wm=corner.png&bo=%7B%22operator%22:%22and%22,%22operand%22:%22a.png%22%7D")
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
    use crate::params::{BitwiseOperator, Channel, WatermarkName};
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

fn resize_and_extend(q: &str) -> (Option<u32>, Option<u32>, Option<Extend>) {
    let ops = plan(&Params::parse(q).unwrap());
    let mut out = (None, None, None);
    for op in ops {
        match op {
            Op::Resize(r) => (out.0, out.1) = (r.width, r.height),
            Op::Extend(e) => out.2 = Some(e.edges),
            _ => {}
        }
    }
    out
}

#[test]
fn dpr_multiplies_w_h_and_ex_but_not_crop_boxes() {
    let ex = |top, bottom, left, right| {
        Some(Extend {
            top,
            bottom,
            left,
            right,
        })
    };
    assert_eq!(resize_and_extend("w=100&dpr=2"), (Some(200), None, None));
    assert_eq!(
        resize_and_extend("w=100&h=50&dpr=1.5"),
        (Some(150), Some(75), None)
    );
    // Half up: 333 × 1.5 = 499.5.
    assert_eq!(resize_and_extend("w=333&dpr=1.5").0, Some(500));
    assert_eq!(
        resize_and_extend("ex={\"top\":10,\"left\":3}&dpr=2.5"),
        (None, None, ex(25, 0, 8, 0))
    );
    // At most the side limit.
    assert_eq!(resize_and_extend("w=9000&dpr=2").0, Some(16384));
    // No dpr, or dpr=1: the request's own pixels.
    assert_eq!(resize_and_extend("w=100&dpr=1").0, Some(100));
    assert_eq!(resize_and_extend("w=100").0, Some(100));
    // dpr alone plans nothing; crop boxes stay in image pixels.
    assert!(names("dpr=2").is_empty());
    let crop = Params::parse("cb={\"left\":1,\"top\":2,\"width\":30,\"height\":40}&dpr=2").unwrap();
    let Some(Op::Extract(e)) = plan(&crop).into_iter().next() else {
        panic!("no crop planned")
    };
    assert_eq!((e.region.width, e.region.height), (30, 40));
}

fn planned(q: &str) -> Plan {
    Plan::new(&Params::parse(q).unwrap(), Limits::default()).unwrap()
}

#[test]
fn shrink_only_when_resize_comes_first_and_reduces() {
    assert_eq!(planned("w=500").shrink_to((3840, 2160)), Some((500, 281)));
    assert_eq!(planned("w=5000").shrink_to((3840, 2160)), None);
    assert_eq!(planned("w=500&tr=10").shrink_to((3840, 2160)), None);
    // The decoder's own steps (profile, orientation) do not count as first operations.
    assert_eq!(planned("h=100").shrink_to((400, 400)), Some((100, 100)));
}

/// `p=face` keeps a copy the detector reads at full detail (longest side 640), so the
/// faces found do not depend on the output size; without a cover crop it finds none
/// and shrinks as usual, and a bigger output needs no floor.
#[test]
fn face_crops_shrink_no_further_than_the_detector_reads() {
    let photo = (4000, 3000);
    assert_eq!(planned("w=200&h=200").shrink_to(photo), Some((267, 200)));
    assert_eq!(
        planned("w=200&h=200&p=face").shrink_to(photo),
        Some((640, 480))
    );
    assert_eq!(
        planned("w=200&h=200&p=attention").shrink_to(photo),
        Some((267, 200))
    );
    assert_eq!(planned("w=200&p=face").shrink_to(photo), Some((200, 150)));
    assert_eq!(
        planned("w=200&h=200&f=contain&p=face").shrink_to(photo),
        Some((200, 150))
    );
    assert_eq!(
        planned("w=1000&h=200&p=face").shrink_to(photo),
        Some((1000, 750))
    );
    // An original smaller than the detector's copy is decoded whole.
    assert_eq!(planned("w=200&h=200&p=face").shrink_to((600, 400)), None);
}

#[test]
fn a_focal_point_with_p_is_a_400_naming_fp() {
    for p in ["attention", "face", "north", "centre"] {
        let q = format!("w=100&h=100&fp=0.3,0.7&p={p}");
        let e = Plan::new(&Params::parse(&q).unwrap(), Limits::default()).unwrap_err();
        assert_eq!((e.status().as_u16(), e.code()), (400, "invalid-parameter"));
        let message = e.to_string();
        assert!(
            message.contains("'fp'") && message.contains("0.3,0.7"),
            "{message}"
        );
        assert!(message.contains("no p alongside it"), "{message}");
    }
    Plan::new(
        &Params::parse("w=100&h=100&fp=0.3,0.7").unwrap(),
        Limits::default(),
    )
    .unwrap();
    let Some(Op::Resize(r)) = planned("w=100&h=100&fp=0.3,0.7")
        .operations()
        .next()
        .cloned()
    else {
        panic!("no resize planned")
    };
    assert_eq!(
        r.focal_point,
        Some(crate::params::FocalPoint { x: 0.3, y: 0.7 })
    );
}

#[test]
fn operands_are_listed_once_with_the_parameter_that_named_them() {
    let plan = planned(
        "wm=corner.png&jc=%5B%22a.png%22,%22b.png%22,%22a.png%22%5D\
         &bo=%7B%22operator%22:%22and%22,%22operand%22:%22a.png%22%7D",
    );
    let store = |k: &str, param| Operand::Store {
        key: StoreKey::parse(k).unwrap(),
        param,
    };
    assert_eq!(
        plan.operands(),
        [
            Operand::Watermark(WatermarkName::parse("corner.png").unwrap()),
            store("a.png", "bo"),
            store("b.png", "jc"),
        ]
    );
}

#[test]
fn the_enforced_watermark_is_a_step_in_the_order_and_in_the_cache_key() {
    let mark = WatermarkName::parse("brand.png").unwrap();
    let context = Context {
        enforced_watermark: Some(&mark),
        ..Context::default()
    };
    let params = Params::parse("w=10&wm=other.png&t=red").unwrap();
    let plan = Plan::with_context(&params, Limits::default(), &context).unwrap();
    let names: Vec<&str> = plan.operations().map(Op::name).collect();
    assert_eq!(names, ["resize", "composite", "tint"]);
    assert!(matches!(
        plan.operations().nth(1),
        Some(Op::Composite(c)) if c.watermark == mark
    ));
    assert!(
        plan.cache_key().contains("wm=brand.png"),
        "{}",
        plan.cache_key()
    );
    // An original asked for plainly still gets the deployment's watermark.
    let plain = Plan::with_context(&Params::default(), Limits::default(), &context).unwrap();
    assert!(!plain.is_passthrough());
    assert!(Plan::new(&Params::default(), Limits::default())
        .unwrap()
        .is_passthrough());
}

#[test]
fn the_plan_validates_before_any_io() {
    let e = Plan::new(&Params::parse("pc=cmyk&tc=b-w").unwrap(), Limits::default()).unwrap_err();
    assert_eq!((e.status().as_u16(), e.code()), (400, "invalid-parameter"));
    assert!(e.to_string().contains("'pc'"), "{e}");
    let few = Limits {
        max_operations: 1,
        ..Limits::default()
    };
    let e = Plan::new(&Params::parse("w=10&bl=1").unwrap(), few).unwrap_err();
    assert_eq!(e.code(), "too-many-operations");
    // The codec's steps are not operations a query asked for.
    Plan::new(&Params::parse("w=10").unwrap(), few).unwrap();
}
