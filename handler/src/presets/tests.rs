use super::*;

fn presets(json: &str) -> Presets {
    Presets::parse(json).unwrap_or_else(|e| panic!("{json}: {e}"))
}

fn expand(p: &Presets, query: &str) -> Result<String> {
    p.expand(&Params::parse(query)?).map(|e| e.canonical())
}

#[test]
fn the_built_in_file_is_valid_and_has_the_documented_presets() {
    let built_in = Presets::default();
    assert_eq!(
        built_in.names(),
        ["avatar", "card", "hero", "mono", "og", "retina", "thumb"]
    );
    assert_eq!(
        built_in.get("thumb").unwrap().canonical(),
        "f=cover&h=200&w=200"
    );
}

/// Every way a presets file can be wrong stops the load with a message naming the
/// preset (and the parameter, when one is at fault).
#[test]
fn load_errors_name_the_preset_and_the_parameter() {
    let cases: &[(&str, &[&str])] = &[
        (
            r#"{"thumb": "w=200", "big": "w=99999"}"#,
            &["'big'", "'w'", "99999"],
        ),
        (r#"{"odd": "fm=bmp"}"#, &["'odd'", "'fm'"]),
        (r#"{"loop": "preset=thumb"}"#, &["'loop'", "'preset'"]),
        (r#"{"loop": "w=1&preset=loop"}"#, &["'loop'", "'preset'"]),
        (r#"{"empty": "v=3"}"#, &["'empty'", "sets no parameter"]),
        (r#"{"twice": "w=1&w=2"}"#, &["'twice'", "'w'"]),
        (r#"{"num": 200}"#, &["'num'", "query string"]),
        (
            r#"{"bad name": "w=1"}"#,
            &["\"bad name\"", "A-Z a-z 0-9 _ -"],
        ),
        (r#"["w=1"]"#, &["JSON object"]),
        (r#"{"thumb": "w=1""#, &["JSON object"]),
    ];
    for (json, needles) in cases {
        let e = Presets::parse(json).unwrap_err();
        for needle in *needles {
            assert!(e.contains(needle), "{json}: {e} lacks {needle}");
        }
    }
    // A file that is not there names itself.
    let missing = std::path::Path::new("/nonexistent/presets.json");
    let e = Presets::load(missing).unwrap_err();
    assert!(e.contains("/nonexistent/presets.json"), "{e}");
}

/// Later presets win over earlier ones; the query's keys win over every preset; keys
/// nobody overrides stay.
#[test]
fn precedence_table() {
    let p = presets(r#"{"a": "w=100&h=100&q=50", "b": "w=200&g", "c": "fm=webp&q=60"}"#);
    let rows = [
        ("preset=a", "h=100&q=50&w=100"),
        ("preset=b", "g=true&w=200"),
        ("preset=a,b", "g=true&h=100&q=50&w=200"),
        ("preset=b,a", "g=true&h=100&q=50&w=100"),
        ("preset=a,c", "fm=webp&h=100&q=60&w=100"),
        ("preset=a,b,c", "fm=webp&g=true&h=100&q=60&w=200"),
        ("preset=a&w=50", "h=100&q=50&w=50"),
        ("w=50&preset=a,b", "g=true&h=100&q=50&w=50"),
        ("preset=a,b&g=false&q=90", "g=false&h=100&q=90&w=200"),
        ("preset=a&fm=auto", "fm=auto&h=100&q=50&w=100"),
        ("preset=a,a", "h=100&q=50&w=100"),
        ("w=7", "w=7"),
        ("", ""),
    ];
    for (query, want) in rows {
        assert_eq!(expand(&p, query).unwrap(), want, "{query}");
    }
}

#[test]
fn a_preset_and_its_spelled_out_query_are_one_canonical_form() {
    let p = Presets::default();
    let spelled = Params::parse("w=200&h=200&f=cover").unwrap();
    assert_eq!(expand(&p, "preset=thumb").unwrap(), spelled.canonical());
    assert_ne!(
        expand(&p, "preset=thumb&w=201").unwrap(),
        spelled.canonical()
    );
    assert_eq!(
        expand(&p, "preset=card,retina").unwrap(),
        expand(&p, "w=600&h=400&f=cover&q=80&dpr=2").unwrap()
    );
}

#[test]
fn an_unknown_preset_is_a_400_listing_the_available_ones() {
    let p = presets(r#"{"thumb": "w=200", "card": "w=600"}"#);
    let e = expand(&p, "preset=thumb,hero").unwrap_err();
    match e {
        Error::InvalidParameter {
            key,
            value,
            expected,
        } => {
            assert_eq!((key.as_str(), value.as_str()), ("preset", "hero"));
            assert!(expected.contains("card, thumb"), "{expected}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn only_presets_allows_presets_and_fm_auto() {
    let only = |q: &str| only_presets(&Params::parse(q).unwrap());
    assert!(only("preset=thumb"));
    assert!(only("preset=thumb,retina&fm=auto"));
    assert!(only("preset=thumb&v=3&kid=k1"));
    assert!(!only("preset=thumb&w=300"));
    assert!(!only("preset=thumb&fm=png"));
    assert!(!only("fm=auto"));
    assert!(!only("w=10"));
    assert!(!only(""));
}
