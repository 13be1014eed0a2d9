//! A small strict JSON reader for parameter values, plus the helpers that read fields.
//!
//! Why not `serde_json::Value`: with the crate's default features it parses floats
//! "best effort" (sometimes one ULP off), which would break the exact round trip of
//! the canonical form, and it silently keeps the last of two equal object fields.
//! Here numbers go through `str::parse::<f64>` (correctly rounded), repeated fields
//! are an error, nesting is capped and every failure is a message, never a panic.

use std::fmt::Write as _;

use super::value::{format_f64, normalise_zero, RawValue};
use crate::error::Error;

/// Parameter values nest at most two levels; anything deeper is refused early.
const MAX_DEPTH: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    /// Fields in the order given; names are unique.
    Object(Vec<(String, Json)>),
}

impl Json {
    /// What this value is, for messages ("a string", "an array", …).
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// Parses one complete JSON text; the error says what is wrong and where.
pub(crate) fn parse(text: &str) -> Result<Json, String> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = reader.value(0)?;
    reader.skip_whitespace();
    if reader.at != reader.bytes.len() {
        return Err(format!(
            "unexpected text after the JSON value at byte {}",
            reader.at
        ));
    }
    Ok(value)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("'{}'", byte as char)))
        }
    }

    fn unexpected(&self, wanted: &str) -> String {
        match self.peek() {
            None => format!("the JSON ends early, {wanted} expected"),
            Some(b) if b.is_ascii_graphic() => {
                format!(
                    "{wanted} expected at byte {} but found '{}'",
                    self.at, b as char
                )
            }
            Some(_) => format!("{wanted} expected at byte {}", self.at),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_DEPTH {
            return Err(format!("JSON nested deeper than {MAX_DEPTH} levels"));
        }
        self.skip_whitespace();
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, String> {
        self.expect(b'{')?;
        let mut fields: Vec<(String, Json)> = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Json::Object(fields));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a quoted field name"));
            }
            let name = self.string()?;
            if fields.iter().any(|(seen, _)| *seen == name) {
                return Err(format!("field \"{name}\" is given more than once"));
            }
            self.skip_whitespace();
            self.expect(b':')?;
            let value = self.value(depth + 1)?;
            fields.push((name, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, String> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    /// A number exactly as RFC 8259 writes it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Result<f64, String> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit in the exponent"));
            }
            self.digits();
        }
        // The lexeme is ASCII digits and signs only, so slicing and parsing cannot fail
        // on valid input; an error is still reported rather than unwrapped.
        let lexeme = std::str::from_utf8(&self.bytes[start..self.at])
            .map_err(|_| format!("bad number at byte {start}"))?;
        let x: f64 = lexeme
            .parse()
            .map_err(|_| format!("bad number at byte {start}"))?;
        if !x.is_finite() {
            return Err(format!("number {lexeme} is too large"));
        }
        Ok(normalise_zero(x))
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(byte) = self.peek() else {
                return Err("a string is not closed".to_string());
            };
            self.at += 1;
            match byte {
                b'"' => break,
                b'\\' => self.escape(&mut out)?,
                0x00..=0x1f => {
                    return Err(format!(
                        "control character in a string at byte {}",
                        self.at - 1
                    ))
                }
                // Other bytes, including the parts of multi-byte UTF-8 characters, are
                // copied as they are: the input is a &str, so they stay valid UTF-8.
                other => out.push(other),
            }
        }
        String::from_utf8(out).map_err(|_| "a string is not valid UTF-8".to_string())
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), String> {
        let Some(byte) = self.peek() else {
            return Err("a string is not closed".to_string());
        };
        self.at += 1;
        let simple = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let ch = self.unicode_escape()?;
                out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                return Ok(());
            }
            _ => {
                return Err(format!(
                    "unknown escape in a string at byte {}",
                    self.at - 2
                ))
            }
        };
        out.push(simple);
        Ok(())
    }

    /// `\uXXXX`, with surrogate pairs joined; a lone surrogate is an error.
    fn unicode_escape(&mut self) -> Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.at..].starts_with(b"\\u") {
                return Err("unpaired surrogate in a \\u escape".to_string());
            }
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err("unpaired surrogate in a \\u escape".to_string());
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| "unpaired surrogate in a \\u escape".to_string())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let Some(digits) = self.bytes.get(self.at..self.at + 4) else {
            return Err("short \\u escape".to_string());
        };
        let mut code = 0u32;
        for &d in digits {
            let v = (d as char)
                .to_digit(16)
                .ok_or_else(|| format!("bad \\u escape at byte {}", self.at))?;
            code = code * 16 + v;
        }
        self.at += 4;
        Ok(code)
    }
}

/// Appends `s` as a JSON string literal.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `[a,b,…]` with numbers in canonical form.
pub(crate) fn write_numbers(out: &mut String, numbers: &[f64]) {
    out.push('[');
    for (i, x) in numbers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format_f64(*x));
    }
    out.push(']');
}

/// Builds a compact JSON object with fields in the order they are added.
pub(crate) struct ObjectWriter {
    out: String,
}

impl ObjectWriter {
    pub fn new() -> Self {
        ObjectWriter {
            out: String::from("{"),
        }
    }

    fn name(&mut self, name: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_string(&mut self.out, name);
        self.out.push(':');
    }

    pub fn number(mut self, name: &str, x: f64) -> Self {
        self.name(name);
        self.out.push_str(&format_f64(x));
        self
    }

    pub fn string(mut self, name: &str, s: &str) -> Self {
        self.name(name);
        write_string(&mut self.out, s);
        self
    }

    pub fn numbers(mut self, name: &str, numbers: &[f64]) -> Self {
        self.name(name);
        write_numbers(&mut self.out, numbers);
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// Parses the value of `raw` (plain or `b64:`) as JSON; `expected` describes the shape.
pub(crate) fn parse_value(raw: &RawValue, expected: &str) -> Result<Json, Error> {
    let text = raw.decoded_text(expected)?;
    parse_decoded(raw, &text, expected)
}

/// Parses `text`, already taken from `raw` by `decoded_text`, as JSON.
pub(crate) fn parse_decoded(raw: &RawValue, text: &str, expected: &str) -> Result<Json, Error> {
    if text.is_empty() {
        return Err(raw.invalid_because(expected, "the value is empty"));
    }
    parse(text).map_err(|why| raw.invalid_because(expected, format!("malformed JSON: {why}")))
}

/// The fields of a JSON object value, taken one by one; leftovers are unknown fields.
pub(crate) struct Fields<'r> {
    raw: RawValue<'r>,
    expected: &'static str,
    allowed: &'static [&'static str],
    fields: Vec<(String, Json)>,
}

impl<'r> Fields<'r> {
    /// Reads the value of `raw` as a JSON object whose field names are `allowed`.
    pub fn parse(
        raw: &RawValue<'r>,
        expected: &'static str,
        allowed: &'static [&'static str],
    ) -> Result<Self, Error> {
        match parse_value(raw, expected)? {
            Json::Object(fields) => Fields::from_object(raw, expected, allowed, fields),
            other => Err(raw.invalid_because(expected, format!("got {}", other.kind()))),
        }
    }

    /// Wraps fields already parsed; unknown names are refused here, before any value is read.
    pub fn from_object(
        raw: &RawValue<'r>,
        expected: &'static str,
        allowed: &'static [&'static str],
        fields: Vec<(String, Json)>,
    ) -> Result<Self, Error> {
        if let Some((unknown, _)) = fields
            .iter()
            .find(|(name, _)| !allowed.contains(&name.as_str()))
        {
            return Err(raw.invalid_because(
                expected,
                format!(
                    "unknown field \"{unknown}\"; known fields: {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Fields {
            raw: *raw,
            expected,
            allowed,
            fields,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Removes and returns field `name`, if given (`null` counts as given).
    pub fn take(&mut self, name: &str) -> Option<Json> {
        debug_assert!(self.allowed.contains(&name), "field {name} not declared");
        let index = self.fields.iter().position(|(n, _)| n == name)?;
        Some(self.fields.remove(index).1)
    }

    /// The 400 for a problem with field `name`.
    pub fn invalid_field(&self, name: &str, problem: impl std::fmt::Display) -> Error {
        self.raw
            .invalid_because(self.expected, format!("\"{name}\" {problem}"))
    }

    /// The 400 for a problem with the object as a whole.
    pub fn invalid(&self, problem: impl std::fmt::Display) -> Error {
        self.raw.invalid_because(self.expected, problem)
    }

    /// A required field.
    pub fn required(&mut self, name: &str) -> Result<Json, Error> {
        self.take(name)
            .ok_or_else(|| self.invalid_field(name, "is required"))
    }

    /// A finite number in `min..=max`.
    pub fn number(&self, name: &str, value: &Json, min: f64, max: f64) -> Result<f64, Error> {
        number_in(value, min, max).ok_or_else(|| {
            self.invalid_field(
                name,
                format!("must be a number {}-{}", format_f64(min), format_f64(max)),
            )
        })
    }

    /// A whole number in `min..=max`.
    pub fn integer(&self, name: &str, value: &Json, min: i64, max: i64) -> Result<i64, Error> {
        integer_in(value, min, max)
            .ok_or_else(|| self.invalid_field(name, format!("must be an integer {min}-{max}")))
    }

    /// An optional number; `default` when the field is absent.
    pub fn number_or(
        &mut self,
        name: &str,
        min: f64,
        max: f64,
        default: f64,
    ) -> Result<f64, Error> {
        match self.take(name) {
            Some(value) => self.number(name, &value, min, max),
            None => Ok(default),
        }
    }

    /// An optional whole number; `default` when the field is absent.
    pub fn integer_or(
        &mut self,
        name: &str,
        min: i64,
        max: i64,
        default: i64,
    ) -> Result<i64, Error> {
        match self.take(name) {
            Some(value) => self.integer(name, &value, min, max),
            None => Ok(default),
        }
    }

    /// A required whole number.
    pub fn required_integer(&mut self, name: &str, min: i64, max: i64) -> Result<i64, Error> {
        let value = self.required(name)?;
        self.integer(name, &value, min, max)
    }
}

/// `value` as a finite number in `min..=max`.
pub(crate) fn number_in(value: &Json, min: f64, max: f64) -> Option<f64> {
    match value {
        Json::Number(x) if (min..=max).contains(x) => Some(*x),
        _ => None,
    }
}

/// `value` as a whole number in `min..=max` (`10.0` and `1e1` count as 10).
pub(crate) fn integer_in(value: &Json, min: i64, max: i64) -> Option<i64> {
    match value {
        Json::Number(x) if x.fract() == 0.0 && *x >= min as f64 && *x <= max as f64 => {
            Some(*x as i64)
        }
        _ => None,
    }
}
