//! The README's parameter reference, generated from [`KEYS`] and one example per key so
//! the two cannot drift apart: a test compares the README section between the markers
//! with [`reference`] (see `crate::readme`); `IMAGE_SERVICE_UPDATE_README=1 cargo test
//! readme` rewrites it.

use super::table::{KeyGroup, KEYS};

/// One example query per key, in [`KEYS`] order. JSON is shown unencoded for reading;
/// a client percent-encodes it (or sends `b64:` + URL-safe base64 of the JSON).
pub const EXAMPLES: &[(&str, &str)] = &[
    ("w", "w=500"),
    ("h", "h=300"),
    ("f", "w=500&h=200&f=contain"),
    ("p", "w=500&h=200&p=right+top"),
    ("fp", "w=400&h=400&fp=0.3,0.7"),
    ("bg", "w=500&h=200&f=contain&bg=rgba(255,255,255,0.5)"),
    ("k", "w=500&k=nearest"),
    (
        "ex",
        r#"ex={"top":10,"bottom":10,"left":20,"right":20}&bg=white"#,
    ),
    ("dpr", "w=300&dpr=2"),
    (
        "cb",
        r#"cb={"left":100,"top":50,"width":400,"height":300}&w=200"#,
    ),
    (
        "ca",
        r#"w=500&ca={"left":0,"top":0,"width":200,"height":200}"#,
    ),
    ("tr", "tr=10"),
    ("r", "r=-90"),
    ("flip", "flip"),
    ("flop", "flop=true"),
    ("af", "af=[1,0.3,0,1]"),
    ("afbg", "af=[1,0.3,0,1]&afbg=ffffff"),
    ("afi", "af=[1,0.3,0,1]&afi=nohalo"),
    ("sh", r#"sh={"sigma":2,"m1":0,"m2":3}"#),
    ("md", "md=5"),
    ("bl", "bl=2.2"),
    ("fl", "fl=f0a703"),
    ("gm", "gm=[2.2,2.3]"),
    ("ng", "ng"),
    ("nr", "nr"),
    ("cl", r#"cl={"width":32,"height":32,"maxSlope":3}"#),
    (
        "cv",
        r#"cv={"width":3,"height":3,"kernel":[-1,0,1,-2,0,2,-1,0,1]}"#,
    ),
    ("th", "th=125"),
    ("uf", "th=240&uf"),
    (
        "bo",
        r#"bo={"operator":"and","operand":"masks/circle.png"}"#,
    ),
    ("li", "li=[1.2,-10]"),
    (
        "rc",
        "rc=[[0.3588,0.7044,0.1368],[0.299,0.587,0.114],[0.2392,0.4696,0.0912]]",
    ),
    ("mo", r#"mo={"brightness":1.2,"saturation":0.8,"hue":90}"#),
    ("t", "t=ff10f0"),
    ("g", "g"),
    ("pc", "pc=rgb16"),
    ("tc", "tc=b-w"),
    ("ra", "ra"),
    ("ea", "ea=0.5"),
    ("ec", "ec=red"),
    ("jc", r#"jc=["channels/alpha.png"]"#),
    ("bb", "bb=eor"),
    ("wm", "wm=image-service.png"),
    ("gr", "wm=image-service.png&gr=northeast"),
    ("q", "w=250&q=auto"),
    ("fm", "w=100&fm=auto"),
    ("bhc", "fm=blurhash&bhc=5x4"),
    ("ll", "fm=webp&ll"),
    ("preset", "preset=card,retina"),
];

/// The Markdown between the README markers: one table per group.
pub fn reference() -> String {
    let mut out = String::new();
    let mut group: Option<KeyGroup> = None;
    for (spec, (_, example)) in KEYS.iter().zip(EXAMPLES) {
        if group != Some(spec.group) {
            group = Some(spec.group);
            out.push_str(&format!(
                "\n#### {}\n\n| key | value | example |\n|---|---|---|\n",
                spec.group.title()
            ));
        }
        out.push_str(&format!(
            "| `{}` | {} | `/photos/cat.jpg?{}` |\n",
            spec.name,
            spec.doc.replace('|', "\\|"),
            example.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    #[test]
    fn every_key_has_one_example_that_parses_and_uses_it() {
        assert_eq!(EXAMPLES.len(), KEYS.len());
        for (spec, (key, example)) in KEYS.iter().zip(EXAMPLES) {
            assert_eq!(spec.name, *key, "EXAMPLES must follow KEYS order");
            let params = Params::parse(example)
                .unwrap_or_else(|e| panic!("example for {key} does not parse: {e}"));
            assert!(
                params
                    .canonical()
                    .split('&')
                    .any(|pair| pair.split('=').next() == Some(key)),
                "example for {key} does not set it: {example}"
            );
        }
    }

    #[test]
    fn readme_parameter_reference_is_current() {
        crate::readme::check_section("parameters", "handler/src/params/docs.rs", &reference());
    }
}
