//! Names inside parameter values: keys of other stored images (`bo`, `jc`), watermark
//! asset names (`wm`) and preset names (`preset`). None may ever be a URL or escape its
//! folder.

use std::fmt;

use super::value::RawValue;
use crate::error::Error;

/// S3's own limit on key length, in bytes.
pub const MAX_STORE_KEY_BYTES: usize = 1024;

/// Longest watermark asset name.
pub const MAX_WATERMARK_NAME_CHARS: usize = 128;

/// Longest preset name.
pub const MAX_PRESET_NAME_CHARS: usize = 64;

/// Most presets one `preset` value may list.
pub const MAX_PRESETS_PER_REQUEST: usize = 8;

/// The key of an image in the service's own store, e.g. `logos/mark.png`.
///
/// Valid keys have no leading `/` (one is stripped), no empty, `.` or `..` segment,
/// no backslash, no control character, and are at most 1024 bytes. URLs are refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StoreKey(String);

impl StoreKey {
    /// Checks and normalises `text`; the error says which rule it breaks.
    pub fn parse(text: &str) -> Result<StoreKey, &'static str> {
        if text.contains("://") || text.starts_with("//") {
            return Err("operands are keys of images in the store, not URLs");
        }
        let key = text.strip_prefix('/').unwrap_or(text);
        if key.is_empty() {
            return Err("a store key must not be empty");
        }
        if key.len() > MAX_STORE_KEY_BYTES {
            return Err("a store key is at most 1024 bytes");
        }
        if key.chars().any(|c| c.is_control()) {
            return Err("a store key must not contain control characters");
        }
        if key.contains('\\') {
            return Err("a store key must not contain a backslash");
        }
        if key
            .split('/')
            .any(|segment| segment.is_empty() || segment == "." || segment == "..")
        {
            return Err("a store key must not have empty, '.' or '..' path segments");
        }
        Ok(StoreKey(key.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for StoreKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// `wm`: the file name of a watermark asset (existence is checked by the pipeline).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WatermarkName(String);

impl WatermarkName {
    /// 1-128 characters from `A-Z a-z 0-9 . _ -`, not `.` or `..`.
    pub fn parse(text: &str) -> Option<WatermarkName> {
        let valid = !text.is_empty()
            && text.len() <= MAX_WATERMARK_NAME_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && text != "."
            && text != "..";
        valid.then(|| WatermarkName(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WatermarkName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for WatermarkName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

pub(crate) fn parse_watermark(raw: RawValue) -> Result<WatermarkName, Error> {
    WatermarkName::parse(raw.text()).ok_or_else(|| {
        raw.invalid("a watermark file name: 1-128 characters from A-Z a-z 0-9 . _ - (no paths)")
    })
}

pub(crate) fn render_watermark(name: &WatermarkName) -> String {
    name.0.clone()
}

/// One name of `preset` (whether such a preset exists is checked against the
/// deployment's presets when the request is expanded, see `crate::presets`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PresetName(String);

impl PresetName {
    /// 1-64 characters from `A-Z a-z 0-9 _ -`.
    pub fn parse(text: &str) -> Option<PresetName> {
        let valid = !text.is_empty()
            && text.len() <= MAX_PRESET_NAME_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
        valid.then(|| PresetName(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PresetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `preset=a,b`: 1-8 comma-separated names, in the order they apply.
pub(crate) fn parse_presets(raw: RawValue) -> Result<Vec<PresetName>, Error> {
    let expected = "1-8 comma-separated preset names, each 1-64 characters from A-Z a-z 0-9 _ -";
    let names: Option<Vec<PresetName>> = raw
        .text()
        .split(',')
        .map(|n| PresetName::parse(n.trim()))
        .collect();
    match names {
        Some(names) if names.len() <= MAX_PRESETS_PER_REQUEST => Ok(names),
        _ => Err(raw.invalid(expected)),
    }
}

pub(crate) fn render_presets(names: &[PresetName]) -> String {
    let names: Vec<&str> = names.iter().map(PresetName::as_str).collect();
    names.join(",")
}
