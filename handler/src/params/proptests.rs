//! Properties: parsing never panics; order, unknown keys and spelling never change the
//! result; the canonical form round-trips. Valid queries come from per-key strategies
//! that write values in every accepted syntax (JSON built with serde_json, so the
//! reader is checked against an independent writer).

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::json;

// Named one by one: a glob would clash with proptest's `Strategy` trait.
use super::{
    color, is_known_key, Gamma, KeySpec, Modulate, Params, SharpenOptions, KEYS, MAX_AFFINE_ENTRY,
    MAX_BLUR_SIGMA, MAX_CLAHE_WINDOW, MAX_COEFFICIENT, MAX_CONVOLVE_SIDE, MAX_DIMENSION,
    MAX_JOINED_CHANNELS, MAX_MEDIAN_SIZE, MAX_OFFSET, MIN_AFFINE_DETERMINANT, MIN_BLUR_SIGMA,
    RESERVED_KEYS,
};
use crate::error::Error;

/// Every key's canonical-or-alias spellings of keyword values.
const FITS: &[&str] = &["cover", "contain", "fill", "inside", "outside", "COVER"];
const KERNELS: &[&str] = &[
    "nearest", "linear", "cubic", "mitchell", "lanczos2", "lanczos3", "Lanczos3", "mks2013",
    "MKS2021",
];
const POSITIONS: &[&str] = &[
    "top",
    "right top",
    "right",
    "right bottom",
    "bottom",
    "left bottom",
    "left",
    "left top",
    "centre",
    "center",
    "right-top",
    "top_right",
    "righttop",
    "BottomLeft",
    "north",
    "northeast",
    "east",
    "southeast",
    "south",
    "southwest",
    "west",
    "northwest",
    "north-west",
    "entropy",
    "attention",
    "Attention",
    "face",
    "FACE",
];
const GRAVITIES: &[&str] = &[
    "north",
    "northeast",
    "east",
    "southeast",
    "south",
    "southwest",
    "west",
    "northwest",
    "center",
    "centre",
    "CENTER",
    "left top",
];
const INTERPOLATORS: &[&str] = &[
    "nearest",
    "bilinear",
    "bicubic",
    "lbb",
    "nohalo",
    "vsqbs",
    "locallyBoundedBicubic",
    "vertexSplitQuadraticBasisSpline",
];
const COLOURSPACES: &[&str] = &[
    "srgb", "rgb", "rgb16", "b-w", "grey16", "lab", "lch", "cmyk", "hsv", "xyz", "SRGB",
];
const CHANNELS: &[&str] = &["red", "green", "blue", "alpha", "0", "1", "2", "3", "Red"];
const OPERATORS: &[&str] = &["and", "or", "eor", "AND"];
const FORMATS: &[&str] = &[
    "jpeg",
    "jpg",
    "png",
    "webp",
    "gif",
    "tiff",
    "tif",
    "avif",
    "JPG",
    "auto",
    "AUTO",
    "json",
    "thumbhash",
    "blurhash",
    "BlurHash",
];
const FLAGS: &[&str] = &["", "true", "false", "1", "0", "TRUE", "False"];
const AUTO: &[&str] = &["auto", "AUTO", "Auto", " auto "];

fn keyword(names: &'static [&'static str]) -> BoxedStrategy<String> {
    select(names).prop_map(str::to_string).boxed()
}

/// `x` written in one of the forms people use (plain, exponent, debug).
fn number_text(x: f64, style: u8) -> String {
    match style % 3 {
        0 => format!("{x}"),
        1 => format!("{x:e}"),
        _ => format!("{x:?}"),
    }
}

fn number_in(min: f64, max: f64) -> BoxedStrategy<String> {
    (min..=max, any::<u8>())
        .prop_map(|(x, style)| number_text(x, style))
        .boxed()
}

fn integer_in(min: i64, max: i64) -> BoxedStrategy<String> {
    (min..=max).prop_map(|n| n.to_string()).boxed()
}

fn store_key() -> BoxedStrategy<String> {
    let segment = "[A-Za-z0-9 _%+&=\"#é-]{1,6}(\\.png)?";
    (proptest::collection::vec(segment, 1..4), any::<bool>())
        .prop_map(|(segments, leading_slash)| {
            let key = segments.join("/");
            if leading_slash {
                format!("/{key}")
            } else {
                key
            }
        })
        .boxed()
}

fn colour() -> BoxedStrategy<String> {
    let case = |text: String, upper: bool| {
        if upper {
            text.to_ascii_uppercase()
        } else {
            text
        }
    };
    let names: Vec<&'static str> = color::CSS_NAMED_COLOURS
        .iter()
        .map(|(name, _)| *name)
        .chain(["transparent"])
        .collect();
    prop_oneof![
        (any::<[u8; 3]>(), any::<bool>(), any::<bool>()).prop_map(move |(c, hash, upper)| {
            let hex = case(format!("{:02x}{:02x}{:02x}", c[0], c[1], c[2]), upper);
            if hash {
                format!("#{hex}")
            } else {
                hex
            }
        }),
        (any::<[u8; 4]>(), any::<bool>()).prop_map(move |(c, upper)| case(
            format!("#{:02x}{:02x}{:02x}{:02x}", c[0], c[1], c[2], c[3]),
            upper
        )),
        (0u8..16, 0u8..16, 0u8..16, proptest::option::of(0u8..16)).prop_map(
            |(r, g, b, a)| match a {
                Some(a) => format!("{r:x}{g:x}{b:x}{a:x}"),
                None => format!("#{r:x}{g:x}{b:x}"),
            }
        ),
        (select(names), any::<bool>()).prop_map(move |(name, upper)| case(name.to_string(), upper)),
        (any::<[u8; 3]>(), proptest::option::of(0.0..=1.0f64)).prop_map(|(c, alpha)| match alpha {
            Some(a) => format!("rgba({}, {},{} ,{a})", c[0], c[1], c[2]),
            None => format!("rgb({},{},{})", c[0], c[1], c[2]),
        }),
        (any::<[u8; 3]>(), proptest::option::of(0.0..=1.0f64)).prop_map(|(c, alpha)| {
            let mut object = json!({"r": c[0], "g": c[1], "b": c[2]});
            if let Some(a) = alpha {
                object["alpha"] = json!(a);
            }
            object.to_string()
        }),
    ]
    .boxed()
}

fn extend() -> BoxedStrategy<String> {
    let side = proptest::option::of(0u32..=MAX_DIMENSION);
    prop_oneof![
        integer_in(1, i64::from(MAX_DIMENSION)),
        (side.clone(), side.clone(), side.clone(), side)
            .prop_filter("at least one side above 0", |(t, b, l, r)| {
                [t, b, l, r].iter().any(|s| s.is_some_and(|n| n > 0))
            })
            .prop_map(|(t, b, l, r)| {
                let mut object = serde_json::Map::new();
                for (name, value) in [("top", t), ("bottom", b), ("left", l), ("right", r)] {
                    if let Some(v) = value {
                        object.insert(name.into(), json!(v));
                    }
                }
                serde_json::Value::Object(object).to_string()
            }),
    ]
    .boxed()
}

fn region() -> BoxedStrategy<String> {
    (
        0..=MAX_OFFSET,
        0..=MAX_OFFSET,
        1..=MAX_DIMENSION,
        1..=MAX_DIMENSION,
    )
        .prop_map(|(left, top, width, height)| {
            json!({"height": height, "left": left, "width": width, "top": top}).to_string()
        })
        .boxed()
}

fn affine() -> BoxedStrategy<String> {
    let entry = -MAX_AFFINE_ENTRY..=MAX_AFFINE_ENTRY;
    (
        [entry.clone(), entry.clone(), entry.clone(), entry],
        any::<bool>(),
        any::<u8>(),
    )
        .prop_filter("non-singular", |([a, b, c, d], _, _)| {
            (a * d - b * c).abs() >= MIN_AFFINE_DETERMINANT
        })
        .prop_map(|([a, b, c, d], nested, style)| {
            // Written by hand so every number style reaches the JSON reader.
            let [a, b, c, d] = [a, b, c, d].map(|x| number_text(x, style));
            if nested {
                format!("[[{a},{b}], [{c},{d}]]")
            } else {
                format!("[{a}, {b}, {c}, {d}]")
            }
        })
        .boxed()
}

fn sharpen() -> BoxedStrategy<String> {
    let level = proptest::option::of(0.0..=SharpenOptions::MAX_LEVEL);
    let sigma = SharpenOptions::MIN_SIGMA..=SharpenOptions::MAX_SIGMA;
    prop_oneof![
        Just(String::new()),
        (sigma.clone(), any::<u8>()).prop_map(|(s, style)| number_text(s, style)),
        (
            proptest::option::of(sigma),
            [
                level.clone(),
                level.clone(),
                level.clone(),
                level.clone(),
                level
            ],
        )
            .prop_map(|(sigma, levels)| {
                let mut object = serde_json::Map::new();
                if let Some(s) = sigma {
                    object.insert("sigma".into(), json!(s));
                }
                for (name, value) in ["m1", "m2", "x1", "y2", "y3"].iter().zip(levels) {
                    if let Some(v) = value {
                        object.insert((*name).into(), json!(v));
                    }
                }
                serde_json::Value::Object(object).to_string()
            }),
    ]
    .boxed()
}

fn gamma() -> BoxedStrategy<String> {
    let g = Gamma::MIN..=Gamma::MAX;
    prop_oneof![
        Just(String::new()),
        number_in(Gamma::MIN, Gamma::MAX),
        g.clone().prop_map(|x| json!([x]).to_string()),
        (g.clone(), g).prop_map(|(x, y)| json!([x, y]).to_string()),
    ]
    .boxed()
}

fn clahe() -> BoxedStrategy<String> {
    (
        1..=MAX_CLAHE_WINDOW,
        1..=MAX_CLAHE_WINDOW,
        proptest::option::of(0u8..=100),
    )
        .prop_map(|(width, height, slope)| {
            let mut object = json!({"width": width, "height": height});
            if let Some(s) = slope {
                object["maxSlope"] = json!(s);
            }
            object.to_string()
        })
        .boxed()
}

fn convolve() -> BoxedStrategy<String> {
    let odd = (0..=(MAX_CONVOLVE_SIDE / 2)).prop_map(|n| 2 * n + 1);
    (odd.clone(), odd)
        .prop_flat_map(|(width, height)| {
            let cells = (width * height) as usize;
            (
                Just((width, height)),
                proptest::collection::vec(-MAX_COEFFICIENT..=MAX_COEFFICIENT, cells),
                proptest::option::of(prop_oneof![-1e6..=-1e-3f64, 1e-3..=1e6f64]),
                proptest::option::of(-MAX_COEFFICIENT..=MAX_COEFFICIENT),
            )
        })
        .prop_map(|((width, height), kernel, scale, offset)| {
            let mut object = json!({"kernel": kernel, "width": width, "height": height});
            if let Some(s) = scale {
                object["scale"] = json!(s);
            }
            if let Some(o) = offset {
                object["offset"] = json!(o);
            }
            object.to_string()
        })
        .boxed()
}

fn boolean_op() -> BoxedStrategy<String> {
    (select(OPERATORS), store_key())
        .prop_map(|(operator, operand)| {
            json!({"operator": operator, "operand": operand}).to_string()
        })
        .boxed()
}

fn linear() -> BoxedStrategy<String> {
    let c = -MAX_COEFFICIENT..=MAX_COEFFICIENT;
    prop_oneof![
        (c.clone(), c.clone()).prop_map(|(a, b)| json!([a, b]).to_string()),
        (1usize..=4).prop_flat_map(move |n| {
            (
                proptest::collection::vec(c.clone(), n),
                proptest::collection::vec(c.clone(), n),
            )
                .prop_map(|(a, b)| json!([a, b]).to_string())
        }),
    ]
    .boxed()
}

fn recomb() -> BoxedStrategy<String> {
    let c = -MAX_COEFFICIENT..=MAX_COEFFICIENT;
    prop_oneof![Just(3usize), Just(4usize)]
        .prop_flat_map(move |n| {
            proptest::collection::vec(proptest::collection::vec(c.clone(), n), n)
                .prop_map(|rows| json!(rows).to_string())
        })
        .boxed()
}

fn modulate() -> BoxedStrategy<String> {
    (
        proptest::option::of(0.0..=Modulate::MAX_MULTIPLIER),
        proptest::option::of(0.0..=Modulate::MAX_MULTIPLIER),
        proptest::option::of(-100_000i64..=100_000),
        proptest::option::of(-Modulate::MAX_LIGHTNESS..=Modulate::MAX_LIGHTNESS),
    )
        .prop_filter("at least one field", |(b, s, h, l)| {
            b.is_some() || s.is_some() || h.is_some() || l.is_some()
        })
        .prop_map(|(b, s, h, l)| {
            let mut object = serde_json::Map::new();
            if let Some(v) = b {
                object.insert("brightness".into(), json!(v));
            }
            if let Some(v) = s {
                object.insert("saturation".into(), json!(v));
            }
            if let Some(v) = h {
                object.insert("hue".into(), json!(v));
            }
            if let Some(v) = l {
                object.insert("lightness".into(), json!(v));
            }
            serde_json::Value::Object(object).to_string()
        })
        .boxed()
}

fn join() -> BoxedStrategy<String> {
    proptest::collection::vec(store_key(), 1..=MAX_JOINED_CHANNELS)
        .prop_map(|keys| json!(keys).to_string())
        .boxed()
}

fn watermark() -> BoxedStrategy<String> {
    "[A-Za-z0-9._-]{1,128}"
        .prop_filter("not . or ..", |name| name != "." && name != "..")
        .boxed()
}

/// Valid values of `key`, written in every syntax the key accepts (before `b64:`).
fn plain_value(key: &str) -> BoxedStrategy<String> {
    let dimension = i64::from(MAX_DIMENSION);
    match key {
        "w" | "h" => prop_oneof![
            integer_in(1, dimension),
            (1..=dimension).prop_map(|n| format!(" +{n} ")),
        ]
        .boxed(),
        "f" => keyword(FITS),
        "p" => keyword(POSITIONS),
        "fp" => (0.0..=1.0f64, 0.0..=1.0f64, any::<u8>(), any::<u8>())
            .prop_map(|(x, y, sx, sy)| format!("{},{}", number_text(x, sx), number_text(y, sy)))
            .boxed(),
        "bg" | "afbg" | "fl" | "t" => colour(),
        "k" => keyword(KERNELS),
        "ex" => extend(),
        "dpr" => prop_oneof![
            (1u8..=4).prop_map(|n| n.to_string()),
            (10u8..=40).prop_map(|t| format!("{}.{}", t / 10, t % 10)),
        ]
        .boxed(),
        "cb" | "ca" => region(),
        "tr" | "th" => prop_oneof![Just(String::new()), integer_in(0, 255)].boxed(),
        "r" => any::<i64>().prop_map(|n| n.to_string()).boxed(),
        "flip" | "flop" | "ng" | "nr" | "uf" | "g" | "ra" | "ll" => keyword(FLAGS),
        "af" => affine(),
        "afi" => keyword(INTERPOLATORS),
        "sh" => sharpen(),
        "md" => prop_oneof![
            Just(String::new()),
            integer_in(1, i64::from(MAX_MEDIAN_SIZE))
        ]
        .boxed(),
        "bl" => (MIN_BLUR_SIGMA..=MAX_BLUR_SIGMA)
            .prop_map(|x| x.to_string())
            .boxed(),
        "gm" => gamma(),
        "cl" => clahe(),
        "cv" => convolve(),
        "bo" => boolean_op(),
        "li" => linear(),
        "rc" => recomb(),
        "mo" => modulate(),
        "pc" | "tc" => keyword(COLOURSPACES),
        "ea" => prop_oneof![Just(String::new()), number_in(0.0, 1.0)].boxed(),
        "ec" => keyword(CHANNELS),
        "jc" => join(),
        "bb" => keyword(OPERATORS),
        "wm" => watermark(),
        "gr" => keyword(GRAVITIES),
        "q" => prop_oneof![integer_in(1, 100), keyword(AUTO)].boxed(),
        "fm" => keyword(FORMATS),
        "bhc" => (1u8..=9, 1u8..=9, any::<bool>(), 0u8..3)
            .prop_map(|(x, y, upper, pad)| {
                let pad = " ".repeat(usize::from(pad));
                let sep = if upper { 'X' } else { 'x' };
                format!("{pad}{x}{sep}{y}{pad}")
            })
            .boxed(),
        "preset" => proptest::collection::vec("[A-Za-z0-9_-]{1,12}", 1..=8)
            .prop_map(|names| names.join(","))
            .boxed(),
        other => panic!("no strategy for key {other}: add one"),
    }
}

/// A valid value for `spec`, wrapped in `b64:` some of the time where that is allowed.
fn value_for(spec: &'static KeySpec) -> BoxedStrategy<String> {
    let plain = plain_value(spec.name);
    if !spec.kind.accepts_base64() {
        return plain;
    }
    (plain, 0u8..4)
        .prop_map(|(value, wrap)| match wrap {
            // An empty value means "bare", which b64 cannot express.
            _ if value.is_empty() => value,
            0 => format!("b64:{}", URL_SAFE_NO_PAD.encode(&value)),
            1 => format!("b64:{}", URL_SAFE.encode(&value)),
            _ => value,
        })
        .boxed()
}

/// Each key at most once, with a valid value, in table order.
fn valid_pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let per_key: Vec<BoxedStrategy<Option<(String, String)>>> = KEYS
        .iter()
        .map(|spec| {
            proptest::option::weighted(0.3, value_for(spec))
                .prop_map(move |value| value.map(|v| (spec.name.to_string(), v)))
                .boxed()
        })
        .collect();
    per_key.prop_map(|pairs| pairs.into_iter().flatten().collect())
}

/// Percent-encodes a query component; spaces as `+` or `%20`.
fn encode(component: &str, plus_for_space: bool) -> String {
    let encoded = utf8_percent_encode(component, NON_ALPHANUMERIC).to_string();
    if plus_for_space {
        encoded.replace("%20", "+")
    } else {
        encoded
    }
}

fn to_query(pairs: &[(String, String)], plus_for_space: bool) -> String {
    pairs
        .iter()
        .map(|(key, value)| {
            if value.is_empty() && plus_for_space {
                key.clone() // a bare key
            } else {
                format!("{key}={}", encode(value, plus_for_space))
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Keys that are neither known nor reserved-but-known: cache busters and friends.
fn unknown_key() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-zA-Z_]{1,8}".prop_filter("unknown", |k| !is_known_key(k)),
        select(RESERVED_KEYS).prop_map(str::to_string),
        Just("W".to_string()),
        Just("utm_source".to_string()),
    ]
    .boxed()
}

/// Checks the round trip and that every error is a 400 naming a known key.
fn check_outcome(query: &str, outcome: &Result<Params, Error>) -> Result<(), TestCaseError> {
    match outcome {
        Ok(params) => {
            let canonical = params.canonical();
            let reparsed = Params::parse(&canonical);
            prop_assert_eq!(reparsed.as_ref().ok(), Some(params), "query {:?}", query);
            prop_assert_eq!(
                reparsed.map(|p| p.canonical()).ok(),
                Some(canonical.clone())
            );
            prop_assert!(!canonical.contains(' ') && !canonical.contains('#'));
        }
        Err(Error::InvalidParameter { key, .. }) => {
            prop_assert!(is_known_key(key), "error names unknown key {:?}", key);
        }
        Err(other) => prop_assert!(false, "unexpected error kind {:?}", other),
    }
    Ok(())
}

/// Query-ish text: mostly known keys with values drawn from JSON-, colour- and
/// number-like characters, so parsing gets deep into every value parser.
fn query_like() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        select(KEYS).prop_map(|spec| spec.name.to_string()),
        "[a-z]{1,3}",
    ];
    let value = "[-+0-9a-fA-F.eE{}\\[\\]\":,#% _/b64rgbaxyz()\\\\]{0,24}";
    proptest::collection::vec((key, value, any::<bool>()), 0..8).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v, bare)| if bare { k } else { format!("{k}={v}") })
            .collect::<Vec<_>>()
            .join("&")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// (1) Arbitrary text never panics; what is accepted round-trips.
    #[test]
    fn arbitrary_strings_never_panic(query in any::<String>()) {
        let outcome = Params::parse(&query);
        check_outcome(&query, &outcome)?;
    }

    /// (1) Query-shaped noise never panics; what is accepted round-trips.
    #[test]
    fn query_like_noise_never_panics(query in query_like()) {
        let outcome = Params::parse(&query);
        check_outcome(&query, &outcome)?;
    }

    /// (1) Any bytes, percent-encoded (often invalid UTF-8), for any key never panic.
    #[test]
    fn arbitrary_bytes_for_every_key_never_panic(
        spec in select(KEYS),
        bytes in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let value: String = bytes.iter().map(|b| format!("%{b:02X}")).collect();
        let query = format!("{}={value}", spec.name);
        let outcome = Params::parse(&query);
        check_outcome(&query, &outcome)?;
        if std::str::from_utf8(&bytes).is_err() {
            prop_assert!(outcome.is_err(), "invalid UTF-8 accepted for {}", spec.name);
        }
    }

    /// `q` takes exactly the integers 1-100 and `auto` in any case (spaces around
    /// allowed); anything else is a 400 naming q. The canonical form is `q=auto` or
    /// the plain number.
    #[test]
    fn q_is_an_integer_1_to_100_or_auto(value in " {0,2}([AaUuTtOo]{1,5}|[A-Za-z]{1,6}|[-+]?[0-9]{1,4}) {0,2}") {
        let outcome = Params::from_pairs(vec![("q".to_string(), value.clone())]);
        let text = value.trim();
        let expected = if text.eq_ignore_ascii_case("auto") {
            Some("q=auto".to_string())
        } else {
            text.parse::<i64>().ok().filter(|n| (1..=100).contains(n)).map(|n| format!("q={n}"))
        };
        match (outcome, expected) {
            (Ok(params), Some(canonical)) => prop_assert_eq!(params.canonical(), canonical),
            (Err(Error::InvalidParameter { key, .. }), None) => prop_assert_eq!(key, "q"),
            (other, expected) => prop_assert!(false, "{:?}: got {:?}, expected {:?}", value, other, expected),
        }
    }

    /// (1) Arbitrary text as the decoded value of every key, through from_pairs.
    #[test]
    fn arbitrary_values_for_every_key_never_panic(spec in select(KEYS), value in any::<String>()) {
        let outcome = Params::from_pairs(vec![(spec.name.to_string(), value.clone())]);
        check_outcome(&value, &outcome)?;
    }

    /// Every generated valid query is accepted, in both space encodings, and from_pairs agrees.
    #[test]
    fn generated_valid_queries_are_accepted(pairs in valid_pairs(), plus in any::<bool>()) {
        let query = to_query(&pairs, plus);
        let parsed = Params::parse(&query);
        prop_assert!(parsed.is_ok(), "{:?} rejected: {:?}", query, parsed);
        prop_assert_eq!(parsed.ok(), Params::from_pairs(pairs).ok());
    }

    /// (2) Shuffling a valid query changes neither the Params nor the canonical form.
    #[test]
    fn shuffled_queries_are_equal(
        (pairs, shuffled) in valid_pairs().prop_flat_map(|pairs| (Just(pairs.clone()), Just(pairs).prop_shuffle())),
        plus in any::<bool>(),
    ) {
        let original = Params::parse(&to_query(&pairs, plus));
        let reordered = Params::parse(&to_query(&shuffled, !plus));
        prop_assert!(original.is_ok());
        prop_assert_eq!(original.as_ref().ok(), reordered.as_ref().ok());
        prop_assert_eq!(
            original.map(|p| p.canonical()).ok(),
            reordered.map(|p| p.canonical()).ok()
        );
    }

    /// (3) parse(canonical(p)) == p, canonical is a fixed point, and one pair per field.
    #[test]
    fn canonical_form_round_trips(pairs in valid_pairs()) {
        let params = Params::parse(&to_query(&pairs, false));
        prop_assert!(params.is_ok(), "{:?}", params);
        let params = params.unwrap_or_default();
        let canonical = params.canonical();
        let reparsed = Params::parse(&canonical);
        prop_assert_eq!(reparsed.as_ref().ok(), Some(&params), "canonical {:?}", canonical);
        prop_assert_eq!(reparsed.map(|p| p.canonical()).ok(), Some(canonical.clone()));
        let set = if canonical.is_empty() { 0 } else { canonical.split('&').count() };
        prop_assert_eq!(set, pairs.len());
        prop_assert_eq!(params.is_empty(), pairs.is_empty());
    }

    /// (4) Unknown and reserved keys, wherever they are, change nothing.
    #[test]
    fn unknown_keys_never_change_the_result(
        pairs in valid_pairs(),
        noise in proptest::collection::vec((unknown_key(), any::<String>(), any::<prop::sample::Index>()), 0..6),
    ) {
        let clean = Params::parse(&to_query(&pairs, false));
        let mut noisy_pairs = pairs.clone();
        for (key, value, at) in noise {
            let position = at.index(noisy_pairs.len() + 1);
            noisy_pairs.insert(position, (key, value));
        }
        let noisy = Params::parse(&to_query(&noisy_pairs, false));
        prop_assert!(clean.is_ok());
        prop_assert_eq!(clean.as_ref().ok(), noisy.as_ref().ok());
        prop_assert_eq!(clean.map(|p| p.canonical()).ok(), noisy.map(|p| p.canonical()).ok());
    }

    /// A known key repeated anywhere is always a 400 naming it.
    #[test]
    fn any_repeated_key_is_rejected(pairs in valid_pairs(), pick in any::<prop::sample::Index>()) {
        prop_assume!(!pairs.is_empty());
        let mut doubled = pairs.clone();
        let repeated = pairs[pick.index(pairs.len())].clone();
        doubled.push(repeated.clone());
        match Params::parse(&to_query(&doubled, false)) {
            Err(Error::InvalidParameter { key, expected, .. }) => {
                prop_assert_eq!(key, repeated.0);
                prop_assert!(expected.contains("more than once"));
            }
            other => prop_assert!(false, "accepted a repeated key: {:?}", other),
        }
    }

    /// `bhc` takes exactly two components 1-9: any other pair of integers is a 400
    /// naming it, and an accepted pair renders as written.
    #[test]
    fn blurhash_components_are_one_to_nine_each(x in 0u32..=12, y in 0u32..=12) {
        let valid = (1..=MAX_BLURHASH_COMPONENTS_U32).contains(&x)
            && (1..=MAX_BLURHASH_COMPONENTS_U32).contains(&y);
        match Params::parse(&format!("bhc={x}x{y}")) {
            Ok(params) => {
                prop_assert!(valid, "accepted {}x{}", x, y);
                prop_assert_eq!(params.canonical(), format!("bhc={x}x{y}"));
            }
            Err(Error::InvalidParameter { key, .. }) => {
                prop_assert!(!valid, "refused {}x{}", x, y);
                prop_assert_eq!(key, "bhc");
            }
            Err(other) => prop_assert!(false, "{}", other),
        }
    }
}

const MAX_BLURHASH_COMPONENTS_U32: u32 = super::MAX_BLURHASH_COMPONENTS as u32;
