//! Query parameters: a raw query string in, a typed [`Params`] out, and back out as one
//! canonical string (the cache key and ETag input).
//!
//! Rules every key follows:
//! - The query is split on `&`, each pair on its first `=`; `+` is a space and each key
//!   and value is percent-decoded exactly once ([`query`], the one decoder every route
//!   uses). A decoded value that is not UTF-8 is a 400.
//! - Surrounding whitespace in a value is ignored.
//! - Unknown keys (cache busters like `v=3`) and the reserved signing keys
//!   [`RESERVED_KEYS`] are ignored and never reach the canonical form. Keys are
//!   case-sensitive: `W=100` is an unknown key.
//! - A known key given twice is a 400, so query order can never change the result.
//! - A bare key (`flip`) and an empty value (`flip=`) mean the same: the key's
//!   [`KeySpec::bare`] meaning, or a 400 for keys that have none.
//! - Object, array and colour values may be written as `b64:` + URL-safe base64
//!   (padding optional) of their text; the canonical form never uses base64.
//! - Every bad value is `Error::InvalidParameter` naming the key, the raw value and
//!   what is expected. Nothing panics, whatever the input.

pub mod accept;
mod color;
mod components;
pub mod docs;
mod focal;
mod json;
mod keywords;
mod names;
pub mod query;
mod scalars;
mod shapes;
mod table;
mod value;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

pub use color::{Rgba, COLOUR_SYNTAX};
pub use components::{BlurComponents, MAX_BLURHASH_COMPONENTS};
pub use focal::FocalPoint;
pub use keywords::{
    BitwiseOperator, Channel, Colourspace, Description, Fit, Format, Gravity, Interpolator, Kernel,
    Position, Strategy,
};
pub use names::{
    PresetName, StoreKey, WatermarkName, MAX_PRESETS_PER_REQUEST, MAX_PRESET_NAME_CHARS,
    MAX_STORE_KEY_BYTES, MAX_WATERMARK_NAME_CHARS,
};
pub use scalars::{
    Dpr, Quality, DEFAULT_ALPHA, DEFAULT_MEDIAN_SIZE, DEFAULT_THRESHOLD, DEFAULT_TRIM_THRESHOLD,
    MAX_BLUR_SIGMA, MAX_DIMENSION, MAX_MEDIAN_SIZE, MIN_BLUR_SIGMA,
};
pub use shapes::{
    BooleanOp, Clahe, Convolve, Extend, Gamma, Linear, Modulate, Negate, Recomb, Region, Sharpen,
    SharpenOptions, MAX_AFFINE_ENTRY, MAX_CLAHE_WINDOW, MAX_COEFFICIENT, MAX_CONVOLVE_SIDE,
    MAX_JOINED_CHANNELS, MAX_OFFSET, MIN_AFFINE_DETERMINANT,
};
pub use table::{KeyGroup, KeySpec, ValueKind, EXPIRES, KEYS, KEY_ID, RESERVED_KEYS, SIGNATURE};
pub use value::BASE64_PREFIX;

use crate::error::Error;
use value::{echo, RawValue};

/// Characters percent-encoded in canonical values: everything that could end or split
/// a value (`& = + # ;`), `%` itself, space, quotes and brackets, and all non-ASCII.
/// Left as they are: letters, digits and `- . _ ~ ! $ ' ( ) * , : @ /`.
const VALUE_ENCODE_SET: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b';')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// Every image operation a request asks for; `None` means the key was not given.
/// Field names are the query keys; see [`KEYS`] for each one's syntax and range.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params {
    // Resizing
    pub w: Option<u32>,
    pub h: Option<u32>,
    pub f: Option<Fit>,
    pub p: Option<Position>,
    /// Focal point for a cover crop; the plan refuses it together with `p`.
    pub fp: Option<FocalPoint>,
    pub bg: Option<Rgba>,
    pub k: Option<Kernel>,
    pub ex: Option<Extend>,
    /// Device pixel ratio: scales `w`, `h` and `ex` when the plan is built.
    pub dpr: Option<Dpr>,
    pub cb: Option<Region>,
    pub ca: Option<Region>,
    /// Trim threshold 0-255.
    pub tr: Option<u8>,
    // Image operations
    /// Clockwise degrees, normalised to 0-359.
    pub r: Option<i32>,
    pub flip: Option<bool>,
    pub flop: Option<bool>,
    /// Affine matrix `[a, b, c, d]`, row by row.
    pub af: Option<[f64; 4]>,
    pub afbg: Option<Rgba>,
    pub afi: Option<Interpolator>,
    pub sh: Option<Sharpen>,
    /// Median window side, 1-51.
    pub md: Option<u32>,
    /// Blur sigma, 0.3-1000.
    pub bl: Option<f32>,
    pub fl: Option<Rgba>,
    pub gm: Option<Gamma>,
    pub ng: Option<Negate>,
    pub nr: Option<bool>,
    pub cl: Option<Clahe>,
    pub cv: Option<Convolve>,
    /// Threshold 0-255.
    pub th: Option<u8>,
    pub uf: Option<bool>,
    pub bo: Option<BooleanOp>,
    pub li: Option<Linear>,
    pub rc: Option<Recomb>,
    pub mo: Option<Modulate>,
    // Colour manipulation
    pub t: Option<Rgba>,
    pub g: Option<bool>,
    pub pc: Option<Colourspace>,
    pub tc: Option<Colourspace>,
    // Channel manipulation
    pub ra: Option<bool>,
    /// Alpha 0-1.
    pub ea: Option<f64>,
    pub ec: Option<Channel>,
    /// 1-3 store keys.
    pub jc: Option<Vec<StoreKey>>,
    pub bb: Option<BitwiseOperator>,
    // Compositing
    pub wm: Option<WatermarkName>,
    pub gr: Option<Gravity>,
    // Output
    /// Quality 1-100 or auto.
    pub q: Option<Quality>,
    pub fm: Option<Format>,
    /// BlurHash components, for `fm=blurhash`.
    pub bhc: Option<BlurComponents>,
    pub ll: Option<bool>,
    // Presets
    /// Preset names in the order they apply; [`crate::presets`] replaces them by their
    /// parameters before a plan is built.
    pub preset: Option<Vec<PresetName>>,
}

impl Params {
    /// Parses a raw query string (the part after `?`, still percent-encoded).
    /// A single leading `?` is tolerated.
    pub fn parse(query: &str) -> Result<Params, Error> {
        let query = query.strip_prefix('?').unwrap_or(query);
        let mut pairs = Vec::new();
        for (key, value) in query::split(query) {
            // A key that is not valid UTF-8 cannot be a known key: ignore it like any other.
            let Ok(key) = query::decode(key) else {
                continue;
            };
            if !is_known_key(&key) {
                continue;
            }
            let value = query::decode(value).map_err(|lossy| {
                Error::invalid_parameter(
                    key.as_str(),
                    echo(&lossy),
                    "UTF-8 text (the value is not UTF-8 after percent-decoding)",
                )
            })?;
            pairs.push((key, value));
        }
        Params::from_pairs(pairs)
    }

    /// Builds `Params` from already-decoded pairs, with the same rules as [`Params::parse`].
    pub fn from_pairs<I>(pairs: I) -> Result<Params, Error>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut params = Params::default();
        let mut seen = [false; KEYS.len()];
        for (key, value) in pairs {
            let Some((index, spec)) = table::find(&key) else {
                continue;
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(Error::invalid_parameter(
                    spec.name,
                    echo(&value),
                    "a single value (the parameter is given more than once)",
                ));
            }
            (spec.apply)(&mut params, RawValue::new(spec.name, &value))?;
        }
        Ok(params)
    }

    /// Keys sorted, values normalised and percent-encoded where needed, joined by `&`;
    /// `Params::parse(&p.canonical()) == Ok(p)`. Empty `Params` give "".
    pub fn canonical(&self) -> String {
        let mut entries: Vec<(&str, String)> = KEYS
            .iter()
            .filter_map(|spec| (spec.render)(self).map(|value| (spec.name, value)))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut out = String::new();
        for (name, value) in entries {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(name);
            if !value.is_empty() {
                out.push('=');
                out.extend(utf8_percent_encode(&value, VALUE_ENCODE_SET));
            }
        }
        out
    }

    /// True when no known key is set (the original can be served as it is).
    pub fn is_empty(&self) -> bool {
        *self == Params::default()
    }

    /// Every key set in `top` replaces the same key here; keys `top` leaves unset stay.
    /// Each value goes through its key's canonical text and parser, which round-trip.
    pub fn overlay(&mut self, top: &Params) -> Result<(), Error> {
        for spec in KEYS {
            if let Some(value) = (spec.render)(top) {
                (spec.apply)(self, RawValue::new(spec.name, &value))?;
            }
        }
        Ok(())
    }
}

/// True for the keys in [`KEYS`]; reserved and unknown keys are not known.
pub fn is_known_key(key: &str) -> bool {
    table::find(key).is_some()
}

/// True for keys set aside for URL signing ([`RESERVED_KEYS`]).
pub fn is_reserved_key(key: &str) -> bool {
    RESERVED_KEYS.contains(&key)
}
