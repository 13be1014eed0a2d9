//! Colours: every accepted syntax normalised to one [`Rgba`]; canonical text `rrggbbaa`.

use super::json::{self, Fields};
use super::value::RawValue;
use crate::error::Error;

/// An 8-bit colour with straight (not premultiplied) alpha; `a` 255 is opaque.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgba {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Rgba {
    pub const BLACK: Rgba = Rgba::new(0, 0, 0, 255);
    pub const WHITE: Rgba = Rgba::new(255, 255, 255, 255);
    pub const TRANSPARENT: Rgba = Rgba::new(0, 0, 0, 0);

    pub const fn new(r: u8, g: u8, b: u8, a: u8) -> Self {
        Rgba { r, g, b, a }
    }

    /// Lower-case `rrggbbaa`, the canonical form.
    pub fn to_hex(self) -> String {
        format!("{:02x}{:02x}{:02x}{:02x}", self.r, self.g, self.b, self.a)
    }

    /// Alpha as 0.0 (transparent) to 1.0 (opaque).
    pub fn alpha_fraction(self) -> f64 {
        f64::from(self.a) / 255.0
    }
}

/// What a colour value may look like, for errors and docs.
pub const COLOUR_SYNTAX: &str = "a colour: hex rgb, rgba, rrggbb or rrggbbaa (with or without #), \
     a CSS colour name, rgb(r,g,b), rgba(r,g,b,a) with r,g,b 0-255 and a 0-1, \
     or JSON {\"r\",\"g\",\"b\",\"alpha\"} (plain or b64:)";

const OBJECT_FIELDS: &[&str] = &["r", "g", "b", "alpha"];

/// The parser behind `bg`, `afbg`, `fl` and `t`.
pub(crate) fn parse_colour(raw: RawValue) -> Result<Rgba, Error> {
    let text = raw.decoded_text(COLOUR_SYNTAX)?;
    if text.starts_with('{') {
        return colour_object(&raw);
    }
    parse_colour_text(&text).ok_or_else(|| raw.invalid(COLOUR_SYNTAX))
}

/// Canonical text of a colour key.
pub(crate) fn render_colour(colour: &Rgba) -> String {
    colour.to_hex()
}

/// Hex, `rgb()`/`rgba()` or a CSS name; `None` when it is none of them.
fn parse_colour_text(text: &str) -> Option<Rgba> {
    let lower = text.trim().to_ascii_lowercase();
    if let Some(args) = lower
        .strip_prefix("rgba(")
        .or_else(|| lower.strip_prefix("rgb("))
    {
        return functional(args.strip_suffix(')')?);
    }
    if let Some(hex) = lower.strip_prefix('#') {
        return parse_hex(hex);
    }
    parse_hex(&lower).or_else(|| named(&lower))
}

/// `rgb`, `rgba`, `rrggbb` or `rrggbbaa` hex digits.
fn parse_hex(hex: &str) -> Option<Rgba> {
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize| u8::from_str_radix(&hex[i..i + 1], 16).ok();
    let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    match hex.len() {
        3 | 4 => {
            let short = |i: usize| digit(i).map(|d| d * 17);
            let a = if hex.len() == 4 { short(3)? } else { 255 };
            Some(Rgba::new(short(0)?, short(1)?, short(2)?, a))
        }
        6 | 8 => {
            let a = if hex.len() == 8 { pair(6)? } else { 255 };
            Some(Rgba::new(pair(0)?, pair(2)?, pair(4)?, a))
        }
        _ => None,
    }
}

/// The inside of `rgb(…)`/`rgba(…)`: three channels 0-255 and an optional alpha 0-1.
fn functional(args: &str) -> Option<Rgba> {
    let parts: Vec<&str> = args.split(',').map(str::trim).collect();
    if !(3..=4).contains(&parts.len()) {
        return None;
    }
    let channel = |s: &str| -> Option<u8> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<u8>().ok()
    };
    let a = match parts.get(3) {
        Some(alpha) => alpha_byte(alpha.parse::<f64>().ok()?)?,
        None => 255,
    };
    Some(Rgba::new(
        channel(parts[0])?,
        channel(parts[1])?,
        channel(parts[2])?,
        a,
    ))
}

/// Alpha 0-1 to 0-255, rounded to nearest.
fn alpha_byte(alpha: f64) -> Option<u8> {
    if alpha.is_finite() && (0.0..=1.0).contains(&alpha) {
        Some((alpha * 255.0).round() as u8)
    } else {
        None
    }
}

/// `{"r":0-255,"g":0-255,"b":0-255,"alpha":0-1}`; alpha defaults to 1.
fn colour_object(raw: &RawValue) -> Result<Rgba, Error> {
    let mut fields = Fields::parse(raw, COLOUR_SYNTAX, OBJECT_FIELDS)?;
    let mut channel =
        |name: &str| -> Result<u8, Error> { Ok(fields.required_integer(name, 0, 255)? as u8) };
    let (r, g, b) = (channel("r")?, channel("g")?, channel("b")?);
    let a = match fields.take("alpha") {
        Some(value) => alpha_byte(json::number_in(&value, 0.0, 1.0).unwrap_or(f64::NAN))
            .ok_or_else(|| fields.invalid_field("alpha", "must be a number 0-1"))?,
        None => 255,
    };
    Ok(Rgba::new(r, g, b, a))
}

/// Looks up a CSS Color Level 4 named colour (lower-case ASCII).
fn named(name: &str) -> Option<Rgba> {
    if name == "transparent" {
        return Some(Rgba::TRANSPARENT);
    }
    let index = CSS_NAMED_COLOURS
        .binary_search_by(|(n, _)| n.cmp(&name))
        .ok()?;
    let rgb = CSS_NAMED_COLOURS[index].1;
    Some(Rgba::new(
        (rgb >> 16) as u8,
        (rgb >> 8) as u8,
        rgb as u8,
        255,
    ))
}

/// The CSS Color Level 4 named colours (`transparent` is handled apart), sorted by name.
pub(crate) const CSS_NAMED_COLOURS: &[(&str, u32)] = &[
    ("aliceblue", 0xf0f8ff),
    ("antiquewhite", 0xfaebd7),
    ("aqua", 0x00ffff),
    ("aquamarine", 0x7fffd4),
    ("azure", 0xf0ffff),
    ("beige", 0xf5f5dc),
    ("bisque", 0xffe4c4),
    ("black", 0x000000),
    ("blanchedalmond", 0xffebcd),
    ("blue", 0x0000ff),
    ("blueviolet", 0x8a2be2),
    ("brown", 0xa52a2a),
    ("burlywood", 0xdeb887),
    ("cadetblue", 0x5f9ea0),
    ("chartreuse", 0x7fff00),
    ("chocolate", 0xd2691e),
    ("coral", 0xff7f50),
    ("cornflowerblue", 0x6495ed),
    ("cornsilk", 0xfff8dc),
    ("crimson", 0xdc143c),
    ("cyan", 0x00ffff),
    ("darkblue", 0x00008b),
    ("darkcyan", 0x008b8b),
    ("darkgoldenrod", 0xb8860b),
    ("darkgray", 0xa9a9a9),
    ("darkgreen", 0x006400),
    ("darkgrey", 0xa9a9a9),
    ("darkkhaki", 0xbdb76b),
    ("darkmagenta", 0x8b008b),
    ("darkolivegreen", 0x556b2f),
    ("darkorange", 0xff8c00),
    ("darkorchid", 0x9932cc),
    ("darkred", 0x8b0000),
    ("darksalmon", 0xe9967a),
    ("darkseagreen", 0x8fbc8f),
    ("darkslateblue", 0x483d8b),
    ("darkslategray", 0x2f4f4f),
    ("darkslategrey", 0x2f4f4f),
    ("darkturquoise", 0x00ced1),
    ("darkviolet", 0x9400d3),
    ("deeppink", 0xff1493),
    ("deepskyblue", 0x00bfff),
    ("dimgray", 0x696969),
    ("dimgrey", 0x696969),
    ("dodgerblue", 0x1e90ff),
    ("firebrick", 0xb22222),
    ("floralwhite", 0xfffaf0),
    ("forestgreen", 0x228b22),
    ("fuchsia", 0xff00ff),
    ("gainsboro", 0xdcdcdc),
    ("ghostwhite", 0xf8f8ff),
    ("gold", 0xffd700),
    ("goldenrod", 0xdaa520),
    ("gray", 0x808080),
    ("green", 0x008000),
    ("greenyellow", 0xadff2f),
    ("grey", 0x808080),
    ("honeydew", 0xf0fff0),
    ("hotpink", 0xff69b4),
    ("indianred", 0xcd5c5c),
    ("indigo", 0x4b0082),
    ("ivory", 0xfffff0),
    ("khaki", 0xf0e68c),
    ("lavender", 0xe6e6fa),
    ("lavenderblush", 0xfff0f5),
    ("lawngreen", 0x7cfc00),
    ("lemonchiffon", 0xfffacd),
    ("lightblue", 0xadd8e6),
    ("lightcoral", 0xf08080),
    ("lightcyan", 0xe0ffff),
    ("lightgoldenrodyellow", 0xfafad2),
    ("lightgray", 0xd3d3d3),
    ("lightgreen", 0x90ee90),
    ("lightgrey", 0xd3d3d3),
    ("lightpink", 0xffb6c1),
    ("lightsalmon", 0xffa07a),
    ("lightseagreen", 0x20b2aa),
    ("lightskyblue", 0x87cefa),
    ("lightslategray", 0x778899),
    ("lightslategrey", 0x778899),
    ("lightsteelblue", 0xb0c4de),
    ("lightyellow", 0xffffe0),
    ("lime", 0x00ff00),
    ("limegreen", 0x32cd32),
    ("linen", 0xfaf0e6),
    ("magenta", 0xff00ff),
    ("maroon", 0x800000),
    ("mediumaquamarine", 0x66cdaa),
    ("mediumblue", 0x0000cd),
    ("mediumorchid", 0xba55d3),
    ("mediumpurple", 0x9370db),
    ("mediumseagreen", 0x3cb371),
    ("mediumslateblue", 0x7b68ee),
    ("mediumspringgreen", 0x00fa9a),
    ("mediumturquoise", 0x48d1cc),
    ("mediumvioletred", 0xc71585),
    ("midnightblue", 0x191970),
    ("mintcream", 0xf5fffa),
    ("mistyrose", 0xffe4e1),
    ("moccasin", 0xffe4b5),
    ("navajowhite", 0xffdead),
    ("navy", 0x000080),
    ("oldlace", 0xfdf5e6),
    ("olive", 0x808000),
    ("olivedrab", 0x6b8e23),
    ("orange", 0xffa500),
    ("orangered", 0xff4500),
    ("orchid", 0xda70d6),
    ("palegoldenrod", 0xeee8aa),
    ("palegreen", 0x98fb98),
    ("paleturquoise", 0xafeeee),
    ("palevioletred", 0xdb7093),
    ("papayawhip", 0xffefd5),
    ("peachpuff", 0xffdab9),
    ("peru", 0xcd853f),
    ("pink", 0xffc0cb),
    ("plum", 0xdda0dd),
    ("powderblue", 0xb0e0e6),
    ("purple", 0x800080),
    ("rebeccapurple", 0x663399),
    ("red", 0xff0000),
    ("rosybrown", 0xbc8f8f),
    ("royalblue", 0x4169e1),
    ("saddlebrown", 0x8b4513),
    ("salmon", 0xfa8072),
    ("sandybrown", 0xf4a460),
    ("seagreen", 0x2e8b57),
    ("seashell", 0xfff5ee),
    ("sienna", 0xa0522d),
    ("silver", 0xc0c0c0),
    ("skyblue", 0x87ceeb),
    ("slateblue", 0x6a5acd),
    ("slategray", 0x708090),
    ("slategrey", 0x708090),
    ("snow", 0xfffafa),
    ("springgreen", 0x00ff7f),
    ("steelblue", 0x4682b4),
    ("tan", 0xd2b48c),
    ("teal", 0x008080),
    ("thistle", 0xd8bfd8),
    ("tomato", 0xff6347),
    ("turquoise", 0x40e0d0),
    ("violet", 0xee82ee),
    ("wheat", 0xf5deb3),
    ("white", 0xffffff),
    ("whitesmoke", 0xf5f5f5),
    ("yellow", 0xffff00),
    ("yellowgreen", 0x9acd32),
];
