//! The one table of keys: name, kind of value, what a bare key means, a doc line, and
//! how to parse and render the value. Parsing, the canonical form, `is_known_key` and
//! the README's parameter list all come from here.

use super::color::{parse_colour, render_colour};
use super::components::{parse_blur_components, render_blur_components};
use super::focal::{parse_focal_point, render_focal_point};
use super::keywords::{
    parse_bitwise, parse_channel, parse_colourspace, parse_fit, parse_format, parse_gravity,
    parse_interpolator, parse_kernel, parse_position, render_name,
};
use super::names::{parse_presets, parse_watermark, render_presets, render_watermark};
use super::scalars::{
    parse_alpha, parse_blur, parse_dimension, parse_dpr, parse_median, parse_quality,
    parse_rotation, parse_threshold, parse_trim, render_dpr, render_quality,
};
use super::shapes::{
    parse_affine, parse_boolean, parse_clahe, parse_convolve, parse_extend, parse_gamma,
    parse_join, parse_linear, parse_modulate, parse_negate, parse_recomb, parse_region,
    parse_sharpen, render_affine, render_boolean, render_clahe, render_convolve, render_extend,
    render_gamma, render_join, render_linear, render_modulate, render_negate, render_recomb,
    render_region, render_sharpen,
};
use super::value::{parse_flag, render_f32, render_f64, render_flag, render_integer, RawValue};
use super::Params;
use crate::error::Error;

/// The general shape of a key's value, for docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A whole number in a range.
    Integer,
    /// A decimal number in a range.
    Number,
    /// `true`, `false`, `1` or `0`; a bare key means true.
    Boolean,
    /// A boolean, or a JSON object for options (`ng`).
    BooleanOrObject,
    /// One word from a fixed list, any case.
    Keyword,
    /// A colour in any of the syntaxes of [`super::COLOUR_SYNTAX`].
    Colour,
    /// A JSON object.
    Object,
    /// A JSON array.
    Array,
    /// A number, or a JSON object for the full form (`sh`).
    NumberOrObject,
    /// Two numbers `x,y` (`fp`).
    Point,
    /// A number, or a JSON array (`gm`).
    NumberOrArray,
    /// An integer, or a JSON object (`ex`).
    IntegerOrObject,
    /// An integer, or the keyword `auto` (`q`).
    IntegerOrAuto,
    /// A file name.
    Name,
    /// Comma-separated names.
    NameList,
    /// Two small integers written `XxY` (`bhc`).
    Grid,
}

impl ValueKind {
    /// Short label for docs: "integer", "JSON object", …
    pub fn label(self) -> &'static str {
        match self {
            ValueKind::Integer => "integer",
            ValueKind::Number => "number",
            ValueKind::Boolean => "boolean",
            ValueKind::BooleanOrObject => "boolean or JSON object",
            ValueKind::Keyword => "keyword",
            ValueKind::Colour => "colour",
            ValueKind::Object => "JSON object",
            ValueKind::Array => "JSON array",
            ValueKind::NumberOrObject => "number or JSON object",
            ValueKind::Point => "two numbers x,y",
            ValueKind::NumberOrArray => "number or JSON array",
            ValueKind::IntegerOrObject => "integer or JSON object",
            ValueKind::IntegerOrAuto => "integer or auto",
            ValueKind::Name => "file name",
            ValueKind::NameList => "comma-separated names",
            ValueKind::Grid => "XxY",
        }
    }

    /// Whether the value may also be written as `b64:<URL-safe base64>`.
    pub fn accepts_base64(self) -> bool {
        matches!(
            self,
            ValueKind::Colour
                | ValueKind::Object
                | ValueKind::Array
                | ValueKind::BooleanOrObject
                | ValueKind::NumberOrObject
                | ValueKind::NumberOrArray
                | ValueKind::IntegerOrObject
        )
    }
}

/// README sections, in the order of Sharp's API docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyGroup {
    Resizing,
    Operations,
    Colour,
    Channels,
    Compositing,
    Output,
    Presets,
}

impl KeyGroup {
    pub fn title(self) -> &'static str {
        match self {
            KeyGroup::Resizing => "Resizing",
            KeyGroup::Operations => "Image operations",
            KeyGroup::Colour => "Colour manipulation",
            KeyGroup::Channels => "Channel manipulation",
            KeyGroup::Compositing => "Compositing",
            KeyGroup::Output => "Output",
            KeyGroup::Presets => "Presets",
        }
    }
}

/// One query parameter.
#[derive(Clone, Copy)]
pub struct KeySpec {
    /// The key as written in the query, also the `Params` field name.
    pub name: &'static str,
    pub kind: ValueKind,
    pub group: KeyGroup,
    /// What a bare key (`sh`) or empty value (`sh=`) means; `None`: it is a 400.
    pub bare: Option<&'static str>,
    /// One sentence for the README: syntax, range, default.
    pub doc: &'static str,
    /// Parses a decoded value into its field of `Params`.
    pub(crate) apply: fn(&mut Params, RawValue) -> Result<(), Error>,
    /// The canonical text of the field, if set (empty: written as a bare key).
    pub(crate) render: fn(&Params) -> Option<String>,
}

impl std::fmt::Debug for KeySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySpec")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("group", &self.group)
            .field("bare", &self.bare)
            .field("doc", &self.doc)
            .finish_non_exhaustive()
    }
}

/// Builds a `KeySpec` whose key name is its `Params` field.
macro_rules! key {
    ($field:ident, $kind:ident, $group:ident, $bare:expr, $parse:path, $render:path, $doc:expr $(,)?) => {
        KeySpec {
            name: stringify!($field),
            kind: ValueKind::$kind,
            group: KeyGroup::$group,
            bare: $bare,
            doc: $doc,
            apply: |params, raw| {
                params.$field = Some($parse(raw)?);
                Ok(())
            },
            render: |params| params.$field.as_ref().map(|value| $render(value)),
        }
    };
}

/// Every parameter, in README order.
pub const KEYS: &[KeySpec] = &[
    // Resizing
    key!(w, Integer, Resizing, None, parse_dimension, render_integer,
        "Width in pixels, an integer 1-16384; the image is never enlarged beyond its original size."),
    key!(h, Integer, Resizing, None, parse_dimension, render_integer,
        "Height in pixels, an integer 1-16384; the image is never enlarged beyond its original size."),
    key!(f, Keyword, Resizing, None, parse_fit, render_name,
        "How the image fits when both w and h are given: cover (default, crop to fill), contain (letterbox with bg), fill (stretch), inside or outside (keep aspect ratio)."),
    key!(p, Keyword, Resizing, None, parse_position, render_name,
        "Anchor for fit cover or contain: a gravity (north, northeast, east, southeast, south, southwest, west, northwest, center/centre), a Sharp position (top, right top, right, right bottom, bottom, left bottom, left, left top; words joined by a space, -, _ or nothing, in either order) or a smart crop for fit cover (entropy, attention, or face: keep the faces found, else attention); default center."),
    key!(fp, Point, Resizing, None, parse_focal_point, render_focal_point,
        "Focal point for fit cover: x,y as fractions 0-1 of the upright image's width and height from the left and top (fp=0.3,0.7); the crop is centred on it as far as the image allows, other fits ignore it, and fp with p is a 400."),
    key!(bg, Colour, Resizing, None, parse_colour, render_colour,
        "Background colour for fit contain and for ex (hex, CSS name, rgb()/rgba() or JSON {\"r\",\"g\",\"b\",\"alpha\"}); default opaque black."),
    key!(k, Keyword, Resizing, None, parse_kernel, render_name,
        "Resampling kernel for resizing: nearest, linear, cubic, mitchell, lanczos2, lanczos3 (default), mks2013 or mks2021 (Magic Kernel Sharp)."),
    key!(ex, IntegerOrObject, Resizing, None, parse_extend, render_extend,
        "Extend the edges with bg: one integer 1-16384 for every side, or JSON {\"top\",\"bottom\",\"left\",\"right\"} of integers 0-16384 (missing sides are 0, at least one above 0)."),
    key!(dpr, Number, Resizing, None, parse_dpr, render_dpr,
        "Device pixel ratio 1-4 with at most one decimal (dpr=2, dpr=1.5): multiplies w, h and ex (rounded half up, at most 16384), so one URL pattern serves each screen density; cb and ca are in image pixels and are not scaled, and the image is still never enlarged beyond its original size."),
    key!(cb, Object, Resizing, None, parse_region, render_region,
        "Crop before resizing: JSON {\"left\",\"top\",\"width\",\"height\"}, all required, left/top 0-65535, width/height 1-16384."),
    key!(ca, Object, Resizing, None, parse_region, render_region,
        "Crop after resizing: JSON {\"left\",\"top\",\"width\",\"height\"}, all required, left/top 0-65535, width/height 1-16384."),
    key!(tr, Integer, Resizing, Some("10"), parse_trim, render_integer,
        "Trim edges whose pixels differ from the top-left pixel by less than this threshold, an integer 0-255; bare tr means 10."),
    // Image operations
    key!(r, Integer, Operations, None, parse_rotation, render_integer,
        "Rotate clockwise by this many degrees, any integer (negative turns counter-clockwise; normalised to 0-359, so r=-90 is r=270)."),
    key!(flip, Boolean, Operations, Some("true"), parse_flag, render_flag,
        "Mirror vertically (upside down, about the x axis): true, false, 1 or 0; bare flip means true."),
    key!(flop, Boolean, Operations, Some("true"), parse_flag, render_flag,
        "Mirror horizontally (left to right, about the y axis): true, false, 1 or 0; bare flop means true."),
    key!(af, Array, Operations, None, parse_affine, render_affine,
        "Affine transform by the JSON matrix [[a,b],[c,d]] or [a,b,c,d]: numbers -100 to 100 whose determinant is not 0 (|ad-bc| >= 0.000001)."),
    key!(afbg, Colour, Operations, None, parse_colour, render_colour,
        "Background colour for the area af uncovers (same colour syntax as bg); default opaque black."),
    key!(afi, Keyword, Operations, None, parse_interpolator, render_name,
        "Interpolator for af: nearest, bilinear, bicubic (default), lbb, nohalo or vsqbs (Sharp's names locallyBoundedBicubic and vertexSplitQuadraticBasisSpline also work)."),
    key!(sh, NumberOrObject, Operations, Some("a fast mild sharpen"), parse_sharpen, render_sharpen,
        "Sharpen: bare sh is a fast mild sharpen, a number is the sigma 0.000001-10, and JSON {\"sigma\",\"m1\",\"m2\",\"x1\",\"y2\",\"y3\"} sets Sharp's parameters (all optional; sigma default 0.5, m1 1, m2 2, x1 2, y2 10, y3 20, each 0-1000000)."),
    key!(md, Integer, Operations, Some("3"), parse_median, render_integer,
        "Median filter over an N×N window, N an integer 1-51; bare md means 3."),
    key!(bl, Number, Operations, None, parse_blur, render_f32,
        "Gaussian blur with this sigma, a number 0.3-1000."),
    key!(fl, Colour, Operations, None, parse_colour, render_colour,
        "Flatten: merge transparency onto this colour (same colour syntax as bg) and drop the alpha channel."),
    key!(gm, NumberOrArray, Operations, Some("2.2"), parse_gamma, render_gamma,
        "Gamma correction: a number 1-3, or JSON [in] or [in,out] of numbers 1-3 (out defaults to in); bare gm means 2.2."),
    key!(ng, BooleanOrObject, Operations, Some("true"), parse_negate, render_negate,
        "Negate (produce the negative) the colour channels: true, false, 1 or 0 (bare ng means true, alpha untouched), or JSON {\"alpha\":true|false} to say whether alpha is negated too (Sharp's negate({alpha}))."),
    key!(nr, Boolean, Operations, Some("true"), parse_flag, render_flag,
        "Normalise: stretch luminance to cover the full range; true, false, 1 or 0; bare nr means true."),
    key!(cl, Object, Operations, None, parse_clahe, render_clahe,
        "CLAHE local contrast: JSON {\"width\",\"height\",\"maxSlope\"}, width and height required integers 1-1024, maxSlope an integer 0-100 (default 3, 0 disables limiting)."),
    key!(cv, Object, Operations, None, parse_convolve, render_convolve,
        "Convolve: JSON {\"width\",\"height\",\"kernel\",\"scale\",\"offset\"}, width and height odd integers 1-15, kernel exactly width×height numbers -1000000 to 1000000, scale non-zero (default the kernel's sum, or 1), offset default 0."),
    key!(th, Integer, Operations, Some("128"), parse_threshold, render_integer,
        "Threshold: pixels at or above this value become 255, the rest 0, an integer 0-255; bare th means 128."),
    key!(uf, Boolean, Operations, Some("true"), parse_flag, render_flag,
        "Unflatten: add alpha and make white pixels fully transparent (after th, so th=240&uf also clears near-white); true, false, 1 or 0; bare uf means true."),
    key!(bo, Object, Operations, None, parse_boolean, render_boolean,
        "Bitwise boolean with another stored image: JSON {\"operator\":\"and|or|eor\",\"operand\":\"<store key>\"}; the operand is a key in the store, never a URL."),
    key!(li, Array, Operations, None, parse_linear, render_linear,
        "Linear levels a×input+b: JSON [a,b], or [[a1,…],[b1,…]] with one pair per channel (1-4 each), numbers -1000000 to 1000000."),
    key!(rc, Array, Operations, None, parse_recomb, render_recomb,
        "Recombine channels with a 3×3 or 4×4 JSON matrix (array of rows), numbers -1000000 to 1000000."),
    key!(mo, Object, Operations, None, parse_modulate, render_modulate,
        "Modulate: JSON {\"brightness\",\"saturation\",\"hue\",\"lightness\"}, at least one: brightness and saturation multipliers 0-100 (default 1), hue whole degrees (default 0), lightness -100 to 100 added (default 0)."),
    // Colour manipulation
    key!(t, Colour, Colour, None, parse_colour, render_colour,
        "Tint with this colour while keeping luminance (same colour syntax as bg, for example JSON {\"r\":255,\"g\":16,\"b\":240}); alpha is ignored."),
    key!(g, Boolean, Colour, Some("true"), parse_flag, render_flag,
        "Convert to 8-bit greyscale: true, false, 1 or 0; bare g means true."),
    key!(pc, Keyword, Colour, None, parse_colourspace, render_name,
        "Colourspace to convert the input to before processing: srgb (alias rgb), rgb16, b-w or grey16 (lab, lch, cmyk, hsv and xyz are a 400)."),
    key!(tc, Keyword, Colour, None, parse_colourspace, render_name,
        "Colourspace of the output: srgb (alias rgb), rgb16, b-w, grey16 or cmyk (CMYK JPEG/TIFF with the CMYK profile embedded; other formats sRGB after a CMYK round trip, as Sharp); lab, lch, hsv and xyz are a 400."),
    // Channel manipulation
    key!(ra, Boolean, Channels, Some("true"), parse_flag, render_flag,
        "Remove the alpha channel, if any: true, false, 1 or 0; bare ra means true."),
    key!(ea, Number, Channels, Some("1"), parse_alpha, render_f64,
        "Ensure an alpha channel, adding one with this opacity 0-1 when missing; bare ea means 1."),
    key!(ec, Keyword, Channels, None, parse_channel, render_name,
        "Extract one channel as a greyscale image: red, green, blue or alpha (or 0, 1, 2, 3)."),
    key!(jc, Array, Channels, None, parse_join, render_join,
        "Join the channels of 1-3 other stored images: JSON array of store keys, never URLs."),
    key!(bb, Keyword, Channels, None, parse_bitwise, render_name,
        "Combine all channels into one with a bitwise and, or or eor."),
    // Compositing
    key!(wm, Name, Compositing, None, parse_watermark, render_watermark,
        "Watermark asset to overlay, a file name of 1-128 characters from A-Z a-z 0-9 . _ - (no paths)."),
    key!(gr, Keyword, Compositing, None, parse_gravity, render_name,
        "Where the watermark goes: north, northeast, east, southeast, south, southwest (default), west, northwest or center/centre (Sharp positions like left top also work)."),
    // Output
    key!(q, IntegerOrAuto, Output, None, parse_quality, render_quality,
        "Output quality, an integer 1-100 or auto (default the format's: jpeg 80, webp 80, avif 50, or auto where IMAGE_SERVICE_AUTO_QUALITY is on); auto gives jpeg, webp and avif the lowest of 30-90 that keeps a SSIMULACRA2 score of at least the target, named in X-Image-Quality; for png an integer asks for an indexed PNG of the fewest colours (up to 256) that meet it, as Sharp does; auto keeps truecolour."),
    key!(fm, Keyword, Output, None, parse_format, render_name,
        "Output format: jpeg (alias jpg), png, webp, gif, tiff (alias tif), avif, or auto, the best the request's Accept takes (Vary: Accept; see Automatic format); default the original's format, or auto where IMAGE_SERVICE_AUTO_FORMAT is on; or instead of an image json (its metadata), thumbhash or blurhash (placeholders), describing the image the other parameters give (see Metadata and placeholders)."),
    key!(bhc, Grid, Output, None, parse_blur_components, render_blur_components,
        "BlurHash components across and down for fm=blurhash, XxY with each 1-9 (default 4x3); more components keep more detail in a longer hash; only fm=blurhash uses it."),
    key!(ll, Boolean, Output, Some("true"), parse_flag, render_flag,
        "Lossless compression where the format has it (webp, avif; gif keeps exact colours when they fit): true, false, 1 or 0; default false, bare ll means true."),
    // Presets
    key!(preset, NameList, Presets, None, parse_presets, render_presets,
        "Named parameter sets of the deployment (IMAGE_SERVICE_PRESETS), comma-separated, 1-8 names: they apply in order, a later preset's keys win over an earlier one's, and keys written in the query win over every preset; an unknown name is a 400 listing the available ones."),
];

/// The query keys of a signed URL (`auth::signing`); the request log redacts them.
pub const SIGNATURE: &str = "s";
pub const KEY_ID: &str = "kid";
pub const EXPIRES: &str = "exp";

/// Keys kept for URL signing: ignored like unknown keys, never an error.
pub const RESERVED_KEYS: &[&str] = &[SIGNATURE, "sig", EXPIRES, KEY_ID];

/// The spec for `name` with its index in [`KEYS`].
pub(crate) fn find(name: &str) -> Option<(usize, &'static KeySpec)> {
    KEYS.iter().enumerate().find(|(_, spec)| spec.name == name)
}
