//! Transformed GETs, driven by the table in `integration-tests/transforms.json` (shared
//! with the Postman collection): each valid row is decoded to check its format and
//! size, each invalid row must be a 400 naming its parameter.

use crate::{test, Svc, Test};
use integration_tests::{encode_query_value, samples};
use serde_json::Value;

const TABLE: &str = include_str!("../../transforms.json");

pub fn tests() -> Vec<Test> {
    vec![
        test!(valid_rows_have_the_expected_format_and_size),
        test!(invalid_values_are_400_naming_the_parameter),
        test!(every_parameter_is_covered),
        test!(quality_changes_the_size),
        test!(animated_gif_keeps_its_animation_when_resized),
    ]
}

fn table() -> Value {
    serde_json::from_str(TABLE).expect("transforms.json")
}

/// `a=1&b={"x":1}` → `a=1&b=%7B%22x%22%3A1%7D`, with `{src}` replaced by the run's folder.
pub fn encode_query(query: &str, src: &str) -> String {
    query
        .replace("{src}", src)
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => format!("{k}={}", encode_query_value(v)),
            None => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

async fn valid_rows_have_the_expected_format_and_size(svc: Svc) {
    let table = table();
    let src_dir = format!("{}/src", svc.prefix);
    let mut failures = Vec::new();
    let mut pending_notes = Vec::new();
    let rows = table["valid"].as_array().expect("valid rows");
    for row in rows {
        let query = row["query"].as_str().unwrap();
        let src = row["src"].as_str().unwrap();
        let format = row["format"].as_str().unwrap();
        let size = row["size"]
            .as_array()
            .map(|s| (s[0].as_u64().unwrap() as u32, s[1].as_u64().unwrap() as u32));
        let pending = row["pending"].as_bool().unwrap_or(false);
        let path = svc.path(&format!("src/{src}?{}", encode_query(query, &src_dir)));
        let headers = row_headers(row);
        let res = svc.get_with(&path, &headers).await;

        let full = if DESCRIPTIONS.contains(&format) {
            check_description(&res, format, row)
        } else {
            check_row(&res, format, size)
        }
        .and_then(|()| check_vary(&res, row))
        .and_then(|()| check_response_headers(&res, row));
        match (full, pending) {
            (Ok(()), false) => {}
            (Ok(()), true) => {
                // Only a size that differs from the original's shows the family works.
                let source = &table["sources"][src]["size"];
                let differs = size.is_some_and(|(w, h)| source != &serde_json::json!([w, h]));
                if differs {
                    pending_notes.push(format!(
                        "{src}?{query}: pending but now passes — drop \"pending\""
                    ));
                }
            }
            (Err(e), false) => failures.push(format!("{src}?{query}: {e}")),
            (Err(e), true) => {
                // Not implemented yet: the parameter must still be accepted.
                let accepted = if res.status == 200 {
                    integration_tests::decode(&res.body, res.header("content-type")).map(|_| ())
                } else if res.status == 415 && format == "avif" {
                    res.check_error(415, "unsupported-media-type").map(|_| ())
                } else {
                    Err(format!("status {}: {}", res.status, res.text()))
                };
                match accepted {
                    Ok(()) => pending_notes.push(format!("{src}?{query}: pending ({e})")),
                    Err(why) => failures.push(format!(
                        "{src}?{query}: pending row not even accepted: {why}"
                    )),
                }
            }
        }
    }
    for note in &pending_notes {
        println!("    {note}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n  {}",
        failures.len(),
        rows.len(),
        failures.join("\n  ")
    );
}

/// The request headers a row asks for (`"headers": {"Accept": "…"}`), if any.
fn row_headers(row: &Value) -> Vec<(&str, &str)> {
    row["headers"].as_object().map_or_else(Vec::new, |headers| {
        headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str(),
                    value.as_str().expect("header values are strings"),
                )
            })
            .collect()
    })
}

/// A row's `"vary"` must be one of the response's `Vary` names (any case).
fn check_vary(res: &integration_tests::Res, row: &Value) -> Result<(), String> {
    let Some(want) = row["vary"].as_str() else {
        return Ok(());
    };
    let vary: Vec<&str> = res
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let vary = vary.join(", ");
    let listed = vary
        .split(',')
        .any(|name| name.trim().eq_ignore_ascii_case(want));
    if listed {
        Ok(())
    } else {
        Err(format!("Vary {vary:?} does not list {want}"))
    }
}

/// `fm` values that answer text about the image instead of the image.
const DESCRIPTIONS: &[&str] = &["json", "thumbhash", "blurhash"];

/// A row's `"response_headers"`: each named header must contain the given text.
fn check_response_headers(res: &integration_tests::Res, row: &Value) -> Result<(), String> {
    let Some(want) = row["response_headers"].as_object() else {
        return Ok(());
    };
    for (name, part) in want {
        let part = part.as_str().expect("response_headers values are strings");
        match res.header(name) {
            Some(value) if value.contains(part) => {}
            other => return Err(format!("{name}: {other:?} (want it to contain {part:?})")),
        }
    }
    Ok(())
}

/// A description row (`fm=json`, `fm=thumbhash`, `fm=blurhash`): 200 with its content
/// type, an ETag and no `Vary: Accept`; for json every field of the row's `"json"` with
/// that value, for the hashes their alphabet and the row's `"length"` when given.
fn check_description(
    res: &integration_tests::Res,
    format: &str,
    row: &Value,
) -> Result<(), String> {
    if res.status != 200 {
        return Err(format!("status {}: {}", res.status, res.text()));
    }
    let content_type = res.header("content-type").unwrap_or_default();
    let want_type = if format == "json" {
        "application/json"
    } else {
        "text/plain"
    };
    if !content_type.starts_with(want_type) {
        return Err(format!("Content-Type {content_type:?} (want {want_type})"));
    }
    if res.header("etag").is_none_or(str::is_empty) {
        return Err("no ETag".into());
    }
    let body = std::str::from_utf8(&res.body).map_err(|e| format!("body is not UTF-8: {e}"))?;
    if format == "json" {
        let got: Value = serde_json::from_str(body).map_err(|e| format!("not JSON: {e}"))?;
        for (field, value) in row["json"].as_object().expect("json rows name fields") {
            if &got[field] != value {
                return Err(format!("{field}: {} (want {value})", got[field]));
            }
        }
        return Ok(());
    }
    let alphabet: &dyn Fn(char) -> bool = if format == "thumbhash" {
        &|c: char| c.is_ascii_alphanumeric() || "+/=".contains(c)
    } else {
        // BlurHash's base83 digits.
        &|c: char| c.is_ascii_alphanumeric() || "#$%*+,-.:;=?@[]^_{|}~".contains(c)
    };
    if body.is_empty() || !body.chars().all(alphabet) {
        return Err(format!("{body:?} is not a {format}"));
    }
    match row["length"].as_u64() {
        Some(n) if body.len() as u64 != n => {
            Err(format!("{body:?}: {} characters (want {n})", body.len()))
        }
        _ => Ok(()),
    }
}

/// The full expectation of a valid row: 200, an image whose `Content-Type` matches its
/// bytes, the format, the size when given, an ETag.
fn check_row(
    res: &integration_tests::Res,
    format: &str,
    size: Option<(u32, u32)>,
) -> Result<(), String> {
    if res.status != 200 {
        return Err(format!("status {}: {}", res.status, res.text()));
    }
    let img = integration_tests::decode(&res.body, res.header("content-type"))?;
    if img.format != format {
        return Err(format!("format {} (want {format})", img.format));
    }
    if let Some((w, h)) = size {
        if (img.width, img.height) != (w, h) {
            return Err(format!("size {}x{} (want {w}x{h})", img.width, img.height));
        }
    }
    if res.header("etag").is_none_or(str::is_empty) {
        return Err("no ETag".into());
    }
    Ok(())
}

async fn invalid_values_are_400_naming_the_parameter(svc: Svc) {
    let table = table();
    let mut failures = Vec::new();
    let rows = table["invalid"].as_array().expect("invalid rows");
    for row in rows {
        let query = row["query"].as_str().unwrap();
        let param = row["param"].as_str().unwrap();
        let res = svc
            .get(&svc.path(&format!("src/cat.jpg?{}", encode_query(query, ""))))
            .await;
        match res.check_error(400, "invalid-parameter") {
            Ok(msg) if msg.contains(&format!("'{param}'")) => {}
            Ok(msg) => failures.push(format!("{query}: message does not name '{param}': {msg}")),
            Err(e) => failures.push(format!("{query}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n  {}",
        failures.len(),
        rows.len(),
        failures.join("\n  ")
    );
    // The message quotes the value, as the README documents.
    let msg = svc
        .get(&svc.path("src/cat.jpg?h=-350"))
        .await
        .expect_error(400, "invalid-parameter");
    assert!(msg.contains("-350") && msg.contains("'h'"), "{msg}");
}

async fn every_parameter_is_covered(_svc: Svc) {
    // The parameters the README documents; a new one must get rows in transforms.json.
    const PARAMS: &[&str] = &[
        "w", "h", "f", "p", "fp", "bg", "k", "ex", "dpr", "cb", "ca", "tr", "r", "flip", "flop",
        "af", "afbg", "afi", "sh", "md", "bl", "fl", "gm", "ng", "nr", "cl", "cv", "th", "uf",
        "bo", "li", "rc", "mo", "t", "g", "pc", "tc", "ra", "ea", "ec", "jc", "bb", "wm", "gr",
        "q", "fm", "bhc", "ll", "preset",
    ];
    let table = table();
    for kind in ["valid", "invalid"] {
        let covered: Vec<&str> = table[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["param"].as_str().unwrap())
            .collect();
        let missing: Vec<&&str> = PARAMS.iter().filter(|p| !covered.contains(p)).collect();
        assert!(
            missing.is_empty(),
            "transforms.json has no {kind} row for {missing:?}"
        );
    }
}

async fn quality_changes_the_size(svc: Svc) {
    let low = svc.get(&svc.path("src/cat.jpg?q=10")).await;
    let high = svc.get(&svc.path("src/cat.jpg?q=95")).await;
    assert_eq!(low.expect(200).image().format, "jpeg");
    assert_eq!(high.expect(200).image().format, "jpeg");
    assert!(
        low.body.len() * 2 < high.body.len(),
        "q=10 {} bytes vs q=95 {} bytes",
        low.body.len(),
        high.body.len()
    );
    let webp_low = svc.get(&svc.path("src/cat.jpg?fm=webp&q=10")).await;
    let webp_high = svc.get(&svc.path("src/cat.jpg?fm=webp&q=95")).await;
    assert_eq!(webp_low.expect(200).image().format, "webp");
    let (low, high) = (webp_low.body.len(), webp_high.expect(200).body.len());
    if low * 2 >= high {
        // The interim encoder writes lossless WebP whatever q says.
        println!(
            "    pending: webp q=10 {low} bytes vs q=95 {high} bytes (q not applied to WebP yet)"
        );
    }
}

async fn animated_gif_keeps_its_animation_when_resized(svc: Svc) {
    use image::AnimationDecoder;
    // (frames, total duration in ms): repeated frames may be merged into longer ones,
    // so the count may drop, but the animation's length may not.
    let timeline = |bytes: &[u8]| {
        let frames: Vec<_> =
            image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes.to_vec()))
                .unwrap()
                .into_frames()
                .collect_frames()
                .unwrap();
        let total: u32 = frames
            .iter()
            .map(|f| {
                let (numer, denom) = f.delay().numer_denom_ms();
                numer / denom.max(1)
            })
            .sum();
        (frames.len(), total)
    };
    let (original_frames, original_ms) = timeline(samples::SQUARES_GIF);
    let res = svc.get(&svc.path("src/squares.gif?w=40")).await;
    let img = res.expect(200).image();
    assert_eq!((img.format, img.width), ("gif", 40));
    let (frames, ms) = timeline(&res.body);
    assert!(frames > 1 && frames <= original_frames, "{frames} frames");
    assert_eq!(ms, original_ms, "the animation lasts as long");
}
