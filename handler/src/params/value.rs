//! Helpers shared by every key: the raw value kept beside its key (so every error can
//! name both), integers, numbers, booleans, `b64:` values and the canonical number format.

use std::borrow::Cow;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

use crate::error::Error;

/// Prefix that marks a value as URL-safe base64 of its JSON (or other) text.
pub const BASE64_PREFIX: &str = "b64:";

/// Longest raw value echoed back in an error; a longer one is cut and ends with "…".
const MAX_ECHOED_CHARS: usize = 200;

/// URL-safe alphabet, padding optional: `=` is awkward in a query value.
const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// One key's percent-decoded value, untrimmed, with the key it was given for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawValue<'a> {
    pub key: &'static str,
    pub value: &'a str,
}

impl<'a> RawValue<'a> {
    pub fn new(key: &'static str, value: &'a str) -> Self {
        RawValue { key, value }
    }

    /// The value without surrounding whitespace (a `+` in a query is a space).
    pub fn text(&self) -> &'a str {
        self.value.trim()
    }

    /// True for a bare key (`sh`) or an empty value (`sh=`).
    pub fn is_bare(&self) -> bool {
        self.text().is_empty()
    }

    /// The 400 for this key and value.
    pub fn invalid(&self, expected: impl Into<String>) -> Error {
        Error::invalid_parameter(self.key, echo(self.value), expected)
    }

    /// The 400 for a value of the right general shape with one specific problem.
    pub fn invalid_because(&self, expected: &str, problem: impl std::fmt::Display) -> Error {
        self.invalid(format!("{expected} ({problem})"))
    }

    /// The text to parse: the value itself, or the decoded text of a `b64:` value.
    pub fn decoded_text(&self, expected: &str) -> Result<Cow<'a, str>, Error> {
        let text = self.text();
        let Some(encoded) = text.strip_prefix(BASE64_PREFIX) else {
            return Ok(Cow::Borrowed(text));
        };
        let bytes = URL_SAFE_ANY_PADDING.decode(encoded.trim()).map_err(|_| {
            self.invalid_because(
                expected,
                "after b64: comes URL-safe base64 (A-Z a-z 0-9 - _)",
            )
        })?;
        let decoded = String::from_utf8(bytes)
            .map_err(|_| self.invalid_because(expected, "the b64: value is not UTF-8 text"))?;
        Ok(Cow::Owned(decoded.trim().to_string()))
    }
}

/// The raw value as shown in an error message, cut when very long.
pub(crate) fn echo(value: &str) -> String {
    match value.char_indices().nth(MAX_ECHOED_CHARS) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

/// A whole number in `min..=max`; anything else (fractions, overflow, words) is a 400.
pub(crate) fn integer_in(raw: &RawValue, min: i64, max: i64, expected: &str) -> Result<i64, Error> {
    match raw.text().parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(raw.invalid(expected)),
    }
}

/// A finite decimal number in `min..=max`.
pub(crate) fn number_in(raw: &RawValue, min: f64, max: f64, expected: &str) -> Result<f64, Error> {
    match raw.text().parse::<f64>() {
        Ok(x) if x.is_finite() && (min..=max).contains(&x) => Ok(normalise_zero(x)),
        _ => Err(raw.invalid(expected)),
    }
}

/// `true/false/1/0` in any case; a bare key or empty value means true.
pub(crate) fn parse_flag(raw: RawValue) -> Result<bool, Error> {
    let text = raw.text();
    if text.is_empty() || text == "1" || text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text == "0" || text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(raw.invalid("true, false, 1 or 0 (a bare key means true)"))
    }
}

/// `-0.0` and `0.0` compare equal but print differently; keep one of them.
pub(crate) fn normalise_zero(x: f64) -> f64 {
    if x == 0.0 {
        0.0
    } else {
        x
    }
}

/// Shortest text that parses back to exactly `x`: whole numbers without `.0`,
/// others in Rust's shortest round-trip form (which is also valid JSON).
pub(crate) fn format_f64(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x:?}")
    }
}

/// [`format_f64`] for `f32` values, so they print with `f32` precision.
pub(crate) fn format_f32(x: f32) -> String {
    if x == x.trunc() && x.abs() < 1e7 {
        format!("{}", x as i64)
    } else {
        format!("{x:?}")
    }
}

/// Canonical text of a boolean key.
pub(crate) fn render_flag(flag: &bool) -> String {
    flag.to_string()
}

/// Canonical text of an integer key.
pub(crate) fn render_integer<T: std::fmt::Display>(n: &T) -> String {
    n.to_string()
}

/// Canonical text of a decimal key.
pub(crate) fn render_f64(x: &f64) -> String {
    format_f64(*x)
}

/// Canonical text of an `f32` key.
pub(crate) fn render_f32(x: &f32) -> String {
    format_f32(*x)
}
