//! Parameters whose value is one word from a fixed list. Input is case-insensitive;
//! the canonical form is the lower-case name returned by `name()`.

use super::value::RawValue;
use crate::error::Error;

/// Declares a keyword enum with its canonical names and accepted aliases.
macro_rules! keyword_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $canonical:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every variant, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical lower-case name.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $canonical),+
                }
            }

            /// The variant named `word` (canonical name or alias, any case).
            pub fn from_name(word: &str) -> Option<Self> {
                $(
                    if word.eq_ignore_ascii_case($canonical) $(|| word.eq_ignore_ascii_case($alias))* {
                        return Some($name::$variant);
                    }
                )+
                None
            }
        }
    };
}

/// "a, b or c" from a list of names.
pub(crate) fn one_of(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [only] => (*only).to_string(),
        [init @ .., last] => format!("one of {} or {last}", init.join(", ")),
    }
}

/// Canonical text of any keyword parameter.
pub(crate) fn render_name<T: Copy + Into<&'static str>>(value: &T) -> String {
    let name: &'static str = (*value).into();
    name.to_string()
}

/// Lets `render_name` and the table treat every keyword enum alike.
macro_rules! impl_into_name {
    ($($name:ident),+) => {
        $(impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str {
                value.name()
            }
        })+
    };
}

keyword_enum! {
    /// `f`: how the image fits a `w`×`h` box (Sharp's `fit`).
    pub enum Fit {
        Cover => "cover",
        Contain => "contain",
        Fill => "fill",
        Inside => "inside",
        Outside => "outside",
    }
}

keyword_enum! {
    /// `k`: the resampling kernel for resizing.
    pub enum Kernel {
        Nearest => "nearest",
        Linear => "linear",
        Cubic => "cubic",
        Mitchell => "mitchell",
        Lanczos2 => "lanczos2",
        Lanczos3 => "lanczos3",
        Mks2013 => "mks2013",
        Mks2021 => "mks2021",
    }
}

keyword_enum! {
    /// A compass direction or the centre: `gr`, and `p` positions.
    pub enum Gravity {
        North => "north",
        NorthEast => "northeast",
        East => "east",
        SouthEast => "southeast",
        South => "south",
        SouthWest => "southwest",
        West => "west",
        NorthWest => "northwest",
        Center => "center" | "centre",
    }
}

keyword_enum! {
    /// `p=entropy|attention|face`: smart-crop strategies for fit cover (the first two
    /// are Sharp's).
    pub enum Strategy {
        /// Keep the region with the highest Shannon entropy.
        Entropy => "entropy",
        /// Keep the region with the most luminance frequency, saturation and skin tone.
        Attention => "attention",
        /// Keep the faces found by the detector (`ops::face`); attention when none is.
        Face => "face",
    }
}

keyword_enum! {
    /// `afi`: the interpolator for the affine transform.
    pub enum Interpolator {
        Nearest => "nearest",
        Bilinear => "bilinear",
        Bicubic => "bicubic",
        /// Locally bounded bicubic.
        Lbb => "lbb" | "locallyBoundedBicubic",
        Nohalo => "nohalo",
        /// Vertex-split quadratic basis spline.
        Vsqbs => "vsqbs" | "vertexSplitQuadraticBasisSpline",
    }
}

keyword_enum! {
    /// `pc`/`tc`: the colourspaces the pipeline supports.
    pub enum Colourspace {
        /// sRGB; `rgb` is accepted as an alias (the pipeline does not tell them apart).
        Srgb => "srgb" | "rgb",
        Rgb16 => "rgb16",
        /// One-band 8-bit black and white.
        BW => "b-w",
        Grey16 => "grey16",
        Lab => "lab",
        Lch => "lch",
        Cmyk => "cmyk",
        Hsv => "hsv",
        Xyz => "xyz",
    }
}

keyword_enum! {
    /// `ec`: one channel of the image, by name or index 0-3.
    pub enum Channel {
        Red => "red" | "0",
        Green => "green" | "1",
        Blue => "blue" | "2",
        Alpha => "alpha" | "3",
    }
}

keyword_enum! {
    /// `bb` and the operator of `bo`.
    pub enum BitwiseOperator {
        And => "and",
        Or => "or",
        /// Exclusive or.
        Eor => "eor",
    }
}

keyword_enum! {
    /// `fm`: the output formats the service encodes, and the descriptions it gives in
    /// place of an image (see [`Description`]).
    pub enum Format {
        Jpeg => "jpeg" | "jpg",
        Png => "png",
        Webp => "webp",
        Gif => "gif",
        Tiff => "tiff" | "tif",
        Avif => "avif",
        /// Negotiated from the request's `Accept` once the input is probed (see
        /// `plan::format`).
        Auto => "auto",
        /// The image's metadata as JSON.
        Json => "json",
        /// A ThumbHash placeholder, base64.
        Thumbhash => "thumbhash",
        /// A BlurHash placeholder (components from `bhc`).
        Blurhash => "blurhash",
    }
}

/// What `fm=json`, `fm=thumbhash` and `fm=blurhash` answer instead of an image: text
/// about the image the other parameters give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Description {
    Json,
    ThumbHash,
    BlurHash,
}

impl Description {
    /// The answer's media type.
    pub fn mime_type(self) -> &'static str {
        match self {
            Description::Json => "application/json",
            Description::ThumbHash | Description::BlurHash => "text/plain; charset=utf-8",
        }
    }
}

impl_into_name!(
    Fit,
    Kernel,
    Gravity,
    Strategy,
    Interpolator,
    Colourspace,
    Channel,
    BitwiseOperator,
    Format
);

impl Channel {
    /// The band index: red 0, green 1, blue 2, alpha 3.
    pub fn index(self) -> usize {
        match self {
            Channel::Red => 0,
            Channel::Green => 1,
            Channel::Blue => 2,
            Channel::Alpha => 3,
        }
    }
}

impl Format {
    /// The media type of the answer in this format; `None` for `auto`, which is not one
    /// format until the request is answered.
    pub fn mime_type(self) -> Option<&'static str> {
        match self {
            Format::Jpeg => Some("image/jpeg"),
            Format::Png => Some("image/png"),
            Format::Webp => Some("image/webp"),
            Format::Gif => Some("image/gif"),
            Format::Tiff => Some("image/tiff"),
            Format::Avif => Some("image/avif"),
            Format::Auto => None,
            Format::Json | Format::Thumbhash | Format::Blurhash => {
                self.description().map(Description::mime_type)
            }
        }
    }

    /// The description this `fm` asks for instead of an image, if it asks for one.
    pub fn description(self) -> Option<Description> {
        match self {
            Format::Json => Some(Description::Json),
            Format::Thumbhash => Some(Description::ThumbHash),
            Format::Blurhash => Some(Description::BlurHash),
            Format::Jpeg
            | Format::Png
            | Format::Webp
            | Format::Gif
            | Format::Tiff
            | Format::Avif
            | Format::Auto => None,
        }
    }
}

/// `p`: where to anchor the crop or the embedded image for fit cover/contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Position {
    /// A fixed anchor; Sharp's positions (`top`, `right top`, …) map onto these.
    Gravity(Gravity),
    /// A smart crop (fit cover only).
    Strategy(Strategy),
}

impl Position {
    pub fn name(self) -> &'static str {
        match self {
            Position::Gravity(gravity) => gravity.name(),
            Position::Strategy(strategy) => strategy.name(),
        }
    }
}

impl From<Position> for &'static str {
    fn from(value: Position) -> &'static str {
        value.name()
    }
}

impl Gravity {
    /// A gravity word (`northeast`, `centre`) or a Sharp position (`right top`, `top`).
    /// Two-word positions may be written in either order and joined by a space, `-`,
    /// `_` or nothing: `right top`, `right-top`, `top_right` and `righttop` all work.
    pub fn from_words(text: &str) -> Option<Gravity> {
        let lower = text.to_ascii_lowercase();
        let words: Vec<&str> = lower
            .split([' ', '-', '_'])
            .filter(|word| !word.is_empty())
            .collect();
        match words.as_slice() {
            [word] => Gravity::from_name(word)
                .or_else(|| side(word).map(|(gravity, _)| gravity))
                .or_else(|| joined_corner(word)),
            [first, second] => corner(first, second).or_else(|| corner(second, first)),
            _ => None,
        }
    }
}

/// Which way a side word points, and whether it is vertical (top/bottom).
fn side(word: &str) -> Option<(Gravity, bool)> {
    match word {
        "top" | "north" => Some((Gravity::North, true)),
        "bottom" | "south" => Some((Gravity::South, true)),
        "right" | "east" => Some((Gravity::East, false)),
        "left" | "west" => Some((Gravity::West, false)),
        _ => None,
    }
}

/// `vertical` + `horizontal` (e.g. top + right) as a corner.
fn corner(vertical: &str, horizontal: &str) -> Option<Gravity> {
    match (side(vertical)?, side(horizontal)?) {
        ((Gravity::North, true), (Gravity::East, false)) => Some(Gravity::NorthEast),
        ((Gravity::North, true), (Gravity::West, false)) => Some(Gravity::NorthWest),
        ((Gravity::South, true), (Gravity::East, false)) => Some(Gravity::SouthEast),
        ((Gravity::South, true), (Gravity::West, false)) => Some(Gravity::SouthWest),
        _ => None,
    }
}

/// A corner written as one word: `righttop`, `topright`, `leftbottom`, …
fn joined_corner(word: &str) -> Option<Gravity> {
    ["top", "bottom", "left", "right"].iter().find_map(|first| {
        let rest = word.strip_prefix(first)?;
        corner(first, rest).or_else(|| corner(rest, first))
    })
}

/// The gravity names accepted everywhere a gravity is, for messages.
const GRAVITY_WORDS: &str = "north, northeast, east, southeast, south, southwest, west, \
     northwest, center or centre, or a Sharp position (top, right top, right, right bottom, \
     bottom, left bottom, left, left top; words joined by space, -, _ or nothing)";

pub(crate) fn parse_fit(raw: RawValue) -> Result<Fit, Error> {
    keyword(&raw, Fit::from_name, Fit::ALL)
}

pub(crate) fn parse_kernel(raw: RawValue) -> Result<Kernel, Error> {
    keyword(&raw, Kernel::from_name, Kernel::ALL)
}

pub(crate) fn parse_interpolator(raw: RawValue) -> Result<Interpolator, Error> {
    Interpolator::from_name(raw.text()).ok_or_else(|| {
        raw.invalid(
            "one of nearest, bilinear, bicubic, lbb (locallyBoundedBicubic), nohalo \
             or vsqbs (vertexSplitQuadraticBasisSpline)",
        )
    })
}

pub(crate) fn parse_channel(raw: RawValue) -> Result<Channel, Error> {
    Channel::from_name(raw.text())
        .ok_or_else(|| raw.invalid("one of red, green, blue, alpha, or 0, 1, 2, 3"))
}

pub(crate) fn parse_bitwise(raw: RawValue) -> Result<BitwiseOperator, Error> {
    keyword(&raw, BitwiseOperator::from_name, BitwiseOperator::ALL)
}

pub(crate) fn parse_gravity(raw: RawValue) -> Result<Gravity, Error> {
    Gravity::from_words(raw.text()).ok_or_else(|| raw.invalid(GRAVITY_WORDS))
}

pub(crate) fn parse_position(raw: RawValue) -> Result<Position, Error> {
    let text = raw.text();
    Strategy::from_name(text)
        .map(Position::Strategy)
        .or_else(|| Gravity::from_words(text).map(Position::Gravity))
        .ok_or_else(|| {
            raw.invalid(format!(
                "{GRAVITY_WORDS}, or a strategy: entropy, attention or face"
            ))
        })
}

/// Colourspaces Sharp lists that the pipeline does not implement: named in the 400.
const UNSUPPORTED_COLOURSPACES: &[&str] = &[
    "multiband",
    "histogram",
    "labq",
    "cmc",
    "labs",
    "yxy",
    "fourier",
    "matrix",
    "scrgb",
    "last",
];

pub(crate) fn parse_colourspace(raw: RawValue) -> Result<Colourspace, Error> {
    Colourspace::from_name(raw.text()).ok_or_else(|| {
        let text = raw.text().to_ascii_lowercase();
        let mut expected =
            "one of srgb (alias rgb), rgb16, b-w, grey16, lab, lch, cmyk, hsv or xyz".to_string();
        if UNSUPPORTED_COLOURSPACES.contains(&text.as_str()) {
            expected.push_str(&format!(" ({text} is not supported)"));
        }
        raw.invalid(expected)
    })
}

pub(crate) fn parse_format(raw: RawValue) -> Result<Format, Error> {
    Format::from_name(raw.text()).ok_or_else(|| {
        raw.invalid(
            "one of jpeg (alias jpg), png, webp, gif, tiff (alias tif), avif, auto, json, \
             thumbhash or blurhash",
        )
    })
}

/// A keyword from `all`; the 400 lists every canonical name.
fn keyword<T: Copy + Into<&'static str>>(
    raw: &RawValue,
    lookup: fn(&str) -> Option<T>,
    all: &[T],
) -> Result<T, Error> {
    lookup(raw.text()).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|value| (*value).into()).collect();
        raw.invalid(one_of(&names))
    })
}
