//! Parameters whose value is JSON (or `b64:` JSON), or a number standing for a common
//! case of it. Each type is stored normalised (defaults filled in), so equal requests
//! compare equal; each `render_*` writes the one canonical text that parses back to it.

use super::json::{self, write_numbers, write_string, Fields, Json, ObjectWriter};
use super::keywords::BitwiseOperator;
use super::names::StoreKey;
use super::scalars::MAX_DIMENSION;
use super::value::{format_f64, RawValue};
use crate::error::Error;

/// Largest `left`/`top` of a crop region: offsets allocate nothing, so this is looser
/// than [`MAX_DIMENSION`] to allow crops deep inside large originals.
pub const MAX_OFFSET: u32 = 65_535;
/// Largest absolute entry of the affine matrix.
pub const MAX_AFFINE_ENTRY: f64 = 100.0;
/// Smallest absolute determinant of the affine matrix (below it the matrix is singular).
pub const MIN_AFFINE_DETERMINANT: f64 = 1e-6;
/// Largest CLAHE window side, in pixels.
pub const MAX_CLAHE_WINDOW: u32 = 1024;
/// Largest convolution kernel side (odd sizes only).
pub const MAX_CONVOLVE_SIDE: u32 = 15;
/// Largest absolute value of a coefficient in `cv`, `li` and `rc`, so sums stay finite.
pub const MAX_COEFFICIENT: f64 = 1e6;
/// Most images `jc` may join.
pub const MAX_JOINED_CHANNELS: usize = 3;

fn not_an(what: &Json) -> String {
    format!("got {}", what.kind())
}

// ---------------------------------------------------------------- ex

/// `ex`: pixels added on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Extend {
    pub top: u32,
    pub bottom: u32,
    pub left: u32,
    pub right: u32,
}

const EXTEND_EXPECTED: &str = "one integer 1-16384 for all four sides, or JSON \
     {\"top\",\"bottom\",\"left\",\"right\"} of integers 0-16384 with at least one above 0";
const EXTEND_FIELDS: &[&str] = &["top", "bottom", "left", "right"];

pub(crate) fn parse_extend(raw: RawValue) -> Result<Extend, Error> {
    let text = raw.decoded_text(EXTEND_EXPECTED)?;
    if !text.starts_with('{') {
        return match text.parse::<u32>() {
            Ok(n) if (1..=MAX_DIMENSION).contains(&n) => Ok(Extend {
                top: n,
                bottom: n,
                left: n,
                right: n,
            }),
            _ => Err(raw.invalid(EXTEND_EXPECTED)),
        };
    }
    let mut fields = object(&raw, &text, EXTEND_EXPECTED, EXTEND_FIELDS)?;
    let max = i64::from(MAX_DIMENSION);
    let mut side = |name| fields.integer_or(name, 0, max, 0).map(|n| n as u32);
    let extend = Extend {
        top: side("top")?,
        bottom: side("bottom")?,
        left: side("left")?,
        right: side("right")?,
    };
    if extend == Extend::default() {
        return Err(fields.invalid("at least one side must be above 0"));
    }
    Ok(extend)
}

/// One integer when all sides are equal, else an object without the zero sides.
pub(crate) fn render_extend(extend: &Extend) -> String {
    let Extend {
        top,
        bottom,
        left,
        right,
    } = *extend;
    if top == bottom && top == left && top == right {
        return top.to_string();
    }
    let mut writer = ObjectWriter::new();
    for (name, value) in [
        ("top", top),
        ("bottom", bottom),
        ("left", left),
        ("right", right),
    ] {
        if value > 0 {
            writer = writer.number(name, f64::from(value));
        }
    }
    writer.finish()
}

// ---------------------------------------------------------------- cb, ca

/// `cb`/`ca`: a rectangle to extract, in pixels of the image at that stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    pub left: u32,
    pub top: u32,
    pub width: u32,
    pub height: u32,
}

const REGION_EXPECTED: &str = "JSON {\"left\",\"top\",\"width\",\"height\"}, all required: \
     left and top integers 0-65535, width and height integers 1-16384";
const REGION_FIELDS: &[&str] = &["left", "top", "width", "height"];

pub(crate) fn parse_region(raw: RawValue) -> Result<Region, Error> {
    let mut fields = Fields::parse(&raw, REGION_EXPECTED, REGION_FIELDS)?;
    let offset = i64::from(MAX_OFFSET);
    let size = i64::from(MAX_DIMENSION);
    Ok(Region {
        left: fields.required_integer("left", 0, offset)? as u32,
        top: fields.required_integer("top", 0, offset)? as u32,
        width: fields.required_integer("width", 1, size)? as u32,
        height: fields.required_integer("height", 1, size)? as u32,
    })
}

pub(crate) fn render_region(region: &Region) -> String {
    ObjectWriter::new()
        .number("left", f64::from(region.left))
        .number("top", f64::from(region.top))
        .number("width", f64::from(region.width))
        .number("height", f64::from(region.height))
        .finish()
}

// ---------------------------------------------------------------- af

const AFFINE_EXPECTED: &str = "a JSON matrix [[a,b],[c,d]] or [a,b,c,d] of numbers -100 to 100 \
     whose determinant ad-bc is not 0 (|ad-bc| >= 0.000001)";

/// `af`: the 2×2 matrix `[a, b, c, d]` (row by row).
pub(crate) fn parse_affine(raw: RawValue) -> Result<[f64; 4], Error> {
    let items = match json::parse_value(&raw, AFFINE_EXPECTED)? {
        Json::Array(items) => items,
        other => return Err(raw.invalid_because(AFFINE_EXPECTED, not_an(&other))),
    };
    let flat: Vec<Json> = match items.as_slice() {
        [Json::Array(first), Json::Array(second)] if first.len() == 2 && second.len() == 2 => {
            first.iter().chain(second).cloned().collect()
        }
        [_, _, _, _] => items,
        _ => {
            return Err(raw.invalid_because(
                AFFINE_EXPECTED,
                "the matrix must be 2 rows of 2 numbers, or 4 numbers",
            ))
        }
    };
    let mut matrix = [0.0; 4];
    for (slot, item) in matrix.iter_mut().zip(&flat) {
        *slot = json::number_in(item, -MAX_AFFINE_ENTRY, MAX_AFFINE_ENTRY).ok_or_else(|| {
            raw.invalid_because(AFFINE_EXPECTED, "every entry must be a number -100 to 100")
        })?;
    }
    let [a, b, c, d] = matrix;
    if (a * d - b * c).abs() < MIN_AFFINE_DETERMINANT {
        return Err(raw.invalid_because(AFFINE_EXPECTED, "the matrix is singular"));
    }
    Ok(matrix)
}

pub(crate) fn render_affine(matrix: &[f64; 4]) -> String {
    let mut out = String::new();
    write_numbers(&mut out, matrix);
    out
}

// ---------------------------------------------------------------- sh

/// `sh`: Sharp's sharpen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sharpen {
    /// Bare `sh`: Sharp's fast, mild sharpen of the whole image.
    Mild,
    /// Unsharp mask on the L channel with Sharp's parameters.
    Gaussian(SharpenOptions),
}

/// Sharp's `sharpen({sigma, m1, m2, x1, y2, y3})`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharpenOptions {
    /// Sigma of the Gaussian mask, 0.000001-10.
    pub sigma: f64,
    /// Sharpening of flat areas, 0-1000000.
    pub m1: f64,
    /// Sharpening of jagged areas, 0-1000000.
    pub m2: f64,
    /// Threshold between flat and jagged, 0-1000000.
    pub x1: f64,
    /// Maximum brightening, 0-1000000.
    pub y2: f64,
    /// Maximum darkening, 0-1000000.
    pub y3: f64,
}

impl SharpenOptions {
    /// Sharp's defaults; sigma 0.5 (libvips' default) when the object leaves it out.
    pub const DEFAULT: SharpenOptions = SharpenOptions {
        sigma: 0.5,
        m1: 1.0,
        m2: 2.0,
        x1: 2.0,
        y2: 10.0,
        y3: 20.0,
    };
    pub const MIN_SIGMA: f64 = 0.000001;
    pub const MAX_SIGMA: f64 = 10.0;
    pub const MAX_LEVEL: f64 = 1_000_000.0;

    fn levels(&self) -> [(&'static str, f64); 5] {
        [
            ("m1", self.m1),
            ("m2", self.m2),
            ("x1", self.x1),
            ("y2", self.y2),
            ("y3", self.y3),
        ]
    }
}

const SHARPEN_EXPECTED: &str = "nothing (mild sharpen), a sigma 0.000001-10, or JSON \
     {\"sigma\",\"m1\",\"m2\",\"x1\",\"y2\",\"y3\"} (all optional; sigma 0.000001-10 default 0.5, \
     the others 0-1000000 defaulting to 1, 2, 2, 10, 20)";
const SHARPEN_FIELDS: &[&str] = &["sigma", "m1", "m2", "x1", "y2", "y3"];

pub(crate) fn parse_sharpen(raw: RawValue) -> Result<Sharpen, Error> {
    let text = raw.decoded_text(SHARPEN_EXPECTED)?;
    if text.is_empty() {
        return Ok(Sharpen::Mild);
    }
    let (min_sigma, max_sigma) = (SharpenOptions::MIN_SIGMA, SharpenOptions::MAX_SIGMA);
    if !text.starts_with('{') {
        return match text.parse::<f64>() {
            Ok(sigma) if (min_sigma..=max_sigma).contains(&sigma) => {
                Ok(Sharpen::Gaussian(SharpenOptions {
                    sigma,
                    ..SharpenOptions::DEFAULT
                }))
            }
            _ => Err(raw.invalid(SHARPEN_EXPECTED)),
        };
    }
    let mut fields = object(&raw, &text, SHARPEN_EXPECTED, SHARPEN_FIELDS)?;
    let defaults = SharpenOptions::DEFAULT;
    let max = SharpenOptions::MAX_LEVEL;
    Ok(Sharpen::Gaussian(SharpenOptions {
        sigma: fields.number_or("sigma", min_sigma, max_sigma, defaults.sigma)?,
        m1: fields.number_or("m1", 0.0, max, defaults.m1)?,
        m2: fields.number_or("m2", 0.0, max, defaults.m2)?,
        x1: fields.number_or("x1", 0.0, max, defaults.x1)?,
        y2: fields.number_or("y2", 0.0, max, defaults.y2)?,
        y3: fields.number_or("y3", 0.0, max, defaults.y3)?,
    }))
}

/// Mild: nothing (a bare `sh`). Only sigma set: the number. Otherwise an object with
/// sigma and the fields that differ from their defaults.
pub(crate) fn render_sharpen(sharpen: &Sharpen) -> String {
    let options = match sharpen {
        Sharpen::Mild => return String::new(),
        Sharpen::Gaussian(options) => options,
    };
    let defaults = SharpenOptions::DEFAULT.levels();
    let changed: Vec<(&str, f64)> = options
        .levels()
        .into_iter()
        .zip(defaults)
        .filter(|((_, value), (_, default))| value != default)
        .map(|(level, _)| level)
        .collect();
    if changed.is_empty() {
        return format_f64(options.sigma);
    }
    let mut writer = ObjectWriter::new().number("sigma", options.sigma);
    for (name, value) in changed {
        writer = writer.number(name, value);
    }
    writer.finish()
}

// ---------------------------------------------------------------- gm

/// `gm`: gamma applied before resizing (`input`) and after (`output`), each 1-3.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gamma {
    pub input: f64,
    pub output: f64,
}

impl Gamma {
    /// Sharp's default, used for a bare `gm`.
    pub const DEFAULT: f64 = 2.2;
    pub const MIN: f64 = 1.0;
    pub const MAX: f64 = 3.0;
}

const GAMMA_EXPECTED: &str = "a number 1-3, or a JSON array [in] or [in,out] of numbers 1-3 \
     (out defaults to in; bare gm means 2.2)";

pub(crate) fn parse_gamma(raw: RawValue) -> Result<Gamma, Error> {
    let text = raw.decoded_text(GAMMA_EXPECTED)?;
    let in_range = |x: f64| (Gamma::MIN..=Gamma::MAX).contains(&x);
    if text.is_empty() {
        return Ok(Gamma {
            input: Gamma::DEFAULT,
            output: Gamma::DEFAULT,
        });
    }
    if !text.starts_with('[') {
        return match text.parse::<f64>() {
            Ok(x) if in_range(x) => Ok(Gamma {
                input: x,
                output: x,
            }),
            _ => Err(raw.invalid(GAMMA_EXPECTED)),
        };
    }
    let items = match json::parse_decoded(&raw, &text, GAMMA_EXPECTED)? {
        Json::Array(items) => items,
        other => return Err(raw.invalid_because(GAMMA_EXPECTED, not_an(&other))),
    };
    let values: Option<Vec<f64>> = items
        .iter()
        .map(|item| json::number_in(item, Gamma::MIN, Gamma::MAX))
        .collect();
    match values.as_deref() {
        Some(&[input]) => Ok(Gamma {
            input,
            output: input,
        }),
        Some(&[input, output]) => Ok(Gamma { input, output }),
        _ => Err(raw.invalid(GAMMA_EXPECTED)),
    }
}

/// One number when input and output agree, else `[in,out]`.
pub(crate) fn render_gamma(gamma: &Gamma) -> String {
    if gamma.input == gamma.output {
        format_f64(gamma.input)
    } else {
        let mut out = String::new();
        write_numbers(&mut out, &[gamma.input, gamma.output]);
        out
    }
}

// ---------------------------------------------------------------- cl

/// `cl`: contrast-limited adaptive histogram equalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Clahe {
    /// Window width in pixels, 1-1024.
    pub width: u32,
    /// Window height in pixels, 1-1024.
    pub height: u32,
    /// Contrast limit 0-100; 0 disables limiting.
    pub max_slope: u8,
}

impl Clahe {
    pub const DEFAULT_MAX_SLOPE: u8 = 3;
}

const CLAHE_EXPECTED: &str = "JSON {\"width\",\"height\",\"maxSlope\"}: width and height \
     integers 1-1024 (required), maxSlope an integer 0-100 (default 3)";
const CLAHE_FIELDS: &[&str] = &["width", "height", "maxSlope"];

pub(crate) fn parse_clahe(raw: RawValue) -> Result<Clahe, Error> {
    let mut fields = Fields::parse(&raw, CLAHE_EXPECTED, CLAHE_FIELDS)?;
    let window = i64::from(MAX_CLAHE_WINDOW);
    Ok(Clahe {
        width: fields.required_integer("width", 1, window)? as u32,
        height: fields.required_integer("height", 1, window)? as u32,
        max_slope: fields.integer_or("maxSlope", 0, 100, i64::from(Clahe::DEFAULT_MAX_SLOPE))?
            as u8,
    })
}

pub(crate) fn render_clahe(clahe: &Clahe) -> String {
    let mut writer = ObjectWriter::new()
        .number("width", f64::from(clahe.width))
        .number("height", f64::from(clahe.height));
    if clahe.max_slope != Clahe::DEFAULT_MAX_SLOPE {
        writer = writer.number("maxSlope", f64::from(clahe.max_slope));
    }
    writer.finish()
}

// ---------------------------------------------------------------- cv

/// `cv`: convolution with a custom kernel; output = sum(kernel × pixels) / scale + offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Convolve {
    /// Kernel width, odd, 1-15.
    pub width: u32,
    /// Kernel height, odd, 1-15.
    pub height: u32,
    /// `width × height` coefficients, row by row.
    pub kernel: Vec<f64>,
    /// Never 0; defaults to the kernel's sum (or 1 when that is 0).
    pub scale: f64,
    pub offset: f64,
}

impl Convolve {
    /// Sharp's default scale: the sum of the kernel, or 1 when it sums to 0.
    pub fn default_scale(kernel: &[f64]) -> f64 {
        let sum: f64 = kernel.iter().sum();
        if sum == 0.0 {
            1.0
        } else {
            sum
        }
    }
}

const CONVOLVE_EXPECTED: &str = "JSON {\"width\",\"height\",\"kernel\",\"scale\",\"offset\"}: \
     width and height odd integers 1-15, kernel an array of width×height numbers \
     (each -1000000 to 1000000), scale a non-zero number (default the kernel's sum, or 1), \
     offset a number (default 0)";
const CONVOLVE_FIELDS: &[&str] = &["width", "height", "kernel", "scale", "offset"];

pub(crate) fn parse_convolve(raw: RawValue) -> Result<Convolve, Error> {
    let mut fields = Fields::parse(&raw, CONVOLVE_EXPECTED, CONVOLVE_FIELDS)?;
    let side = i64::from(MAX_CONVOLVE_SIDE);
    let mut odd_side = |name: &str| -> Result<u32, Error> {
        let n = fields.required_integer(name, 1, side)?;
        if n % 2 == 0 {
            return Err(fields.invalid_field(name, "must be odd"));
        }
        Ok(n as u32)
    };
    let (width, height) = (odd_side("width")?, odd_side("height")?);
    let kernel = match fields.required("kernel")? {
        Json::Array(items) => items,
        other => {
            return Err(
                fields.invalid_field("kernel", format!("must be an array, {}", not_an(&other)))
            )
        }
    };
    let expected_len = (width * height) as usize;
    if kernel.len() != expected_len {
        return Err(fields.invalid_field(
            "kernel",
            format!(
                "has {} numbers but width×height is {width}×{height} = {expected_len}",
                kernel.len()
            ),
        ));
    }
    let kernel = numbers(&kernel, MAX_COEFFICIENT).ok_or_else(|| {
        fields.invalid_field("kernel", "entries must be numbers -1000000 to 1000000")
    })?;
    let scale = match fields.take("scale") {
        Some(value) => match value {
            Json::Number(x) if x != 0.0 => x,
            _ => return Err(fields.invalid_field("scale", "must be a non-zero number")),
        },
        None => Convolve::default_scale(&kernel),
    };
    let offset = fields.number_or("offset", -MAX_COEFFICIENT, MAX_COEFFICIENT, 0.0)?;
    Ok(Convolve {
        width,
        height,
        kernel,
        scale,
        offset,
    })
}

/// Scale and offset are written only when they differ from their defaults.
pub(crate) fn render_convolve(convolve: &Convolve) -> String {
    let mut writer = ObjectWriter::new()
        .number("width", f64::from(convolve.width))
        .number("height", f64::from(convolve.height))
        .numbers("kernel", &convolve.kernel);
    if convolve.scale != Convolve::default_scale(&convolve.kernel) {
        writer = writer.number("scale", convolve.scale);
    }
    if convolve.offset != 0.0 {
        writer = writer.number("offset", convolve.offset);
    }
    writer.finish()
}

// ---------------------------------------------------------------- bo

/// `bo`: a bitwise operation with another image from the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BooleanOp {
    pub operator: BitwiseOperator,
    /// The other image; a store key, never a URL.
    pub operand: StoreKey,
}

const BOOLEAN_EXPECTED: &str = "JSON {\"operator\":\"and|or|eor\",\"operand\":\"<store key>\"}, \
     both required; the operand is the key of an image in the store, never a URL";
const BOOLEAN_FIELDS: &[&str] = &["operator", "operand"];

pub(crate) fn parse_boolean(raw: RawValue) -> Result<BooleanOp, Error> {
    let mut fields = Fields::parse(&raw, BOOLEAN_EXPECTED, BOOLEAN_FIELDS)?;
    let operator = match fields.required("operator")? {
        Json::String(name) => BitwiseOperator::from_name(&name),
        _ => None,
    }
    .ok_or_else(|| fields.invalid_field("operator", "must be \"and\", \"or\" or \"eor\""))?;
    let operand = match fields.required("operand")? {
        Json::String(key) => {
            StoreKey::parse(&key).map_err(|why| fields.invalid_field("operand", why))?
        }
        other => {
            return Err(
                fields.invalid_field("operand", format!("must be a string, {}", not_an(&other)))
            )
        }
    };
    Ok(BooleanOp { operator, operand })
}

pub(crate) fn render_boolean(op: &BooleanOp) -> String {
    ObjectWriter::new()
        .string("operator", op.operator.name())
        .string("operand", op.operand.as_str())
        .finish()
}

// ---------------------------------------------------------------- jc

const JOIN_EXPECTED: &str = "a JSON array of 1-3 store keys, e.g. [\"masks/a.png\"]; \
     keys of images in the store, never URLs";

pub(crate) fn parse_join(raw: RawValue) -> Result<Vec<StoreKey>, Error> {
    let items = match json::parse_value(&raw, JOIN_EXPECTED)? {
        Json::Array(items) => items,
        other => return Err(raw.invalid_because(JOIN_EXPECTED, not_an(&other))),
    };
    if items.is_empty() || items.len() > MAX_JOINED_CHANNELS {
        return Err(raw.invalid_because(JOIN_EXPECTED, format!("{} keys given", items.len())));
    }
    items
        .iter()
        .map(|item| match item {
            Json::String(key) => {
                StoreKey::parse(key).map_err(|why| raw.invalid_because(JOIN_EXPECTED, why))
            }
            other => Err(raw.invalid_because(JOIN_EXPECTED, not_an(other))),
        })
        .collect()
}

pub(crate) fn render_join(keys: &[StoreKey]) -> String {
    let mut out = String::from("[");
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(&mut out, key.as_str());
    }
    out.push(']');
    out
}

// ---------------------------------------------------------------- li

/// `li`: `a × input + b`, one pair for all channels or one per channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    /// Multipliers, 1-4 of them (one per channel, or a single one for all).
    pub a: Vec<f64>,
    /// Offsets, as many as `a`.
    pub b: Vec<f64>,
}

const LINEAR_EXPECTED: &str = "a JSON array [a,b] of two numbers, or [[a1,a2,…],[b1,b2,…]] \
     of two equally long lists of 1-4 numbers (each -1000000 to 1000000)";

pub(crate) fn parse_linear(raw: RawValue) -> Result<Linear, Error> {
    let items = match json::parse_value(&raw, LINEAR_EXPECTED)? {
        Json::Array(items) => items,
        other => return Err(raw.invalid_because(LINEAR_EXPECTED, not_an(&other))),
    };
    let linear = match items.as_slice() {
        [a @ Json::Number(_), b @ Json::Number(_)] => {
            numbers(std::slice::from_ref(a), MAX_COEFFICIENT)
                .zip(numbers(std::slice::from_ref(b), MAX_COEFFICIENT))
                .map(|(a, b)| Linear { a, b })
        }
        [Json::Array(a), Json::Array(b)] if a.len() == b.len() && (1..=4).contains(&a.len()) => {
            numbers(a, MAX_COEFFICIENT)
                .zip(numbers(b, MAX_COEFFICIENT))
                .map(|(a, b)| Linear { a, b })
        }
        _ => None,
    };
    linear.ok_or_else(|| raw.invalid(LINEAR_EXPECTED))
}

/// `[a,b]` for a single pair, else the two lists.
pub(crate) fn render_linear(linear: &Linear) -> String {
    let mut out = String::new();
    if linear.a.len() == 1 && linear.b.len() == 1 {
        write_numbers(&mut out, &[linear.a[0], linear.b[0]]);
    } else {
        out.push('[');
        write_numbers(&mut out, &linear.a);
        out.push(',');
        write_numbers(&mut out, &linear.b);
        out.push(']');
    }
    out
}

// ---------------------------------------------------------------- rc

/// `rc`: a channel recombination matrix, rows by output channel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Recomb {
    /// For RGB images.
    Three([[f64; 3]; 3]),
    /// For RGBA images.
    Four([[f64; 4]; 4]),
}

const RECOMB_EXPECTED: &str = "a 3×3 or 4×4 JSON matrix (an array of 3 arrays of 3 numbers, \
     or 4 of 4), each number -1000000 to 1000000";

pub(crate) fn parse_recomb(raw: RawValue) -> Result<Recomb, Error> {
    let rows = match json::parse_value(&raw, RECOMB_EXPECTED)? {
        Json::Array(rows) => rows,
        other => return Err(raw.invalid_because(RECOMB_EXPECTED, not_an(&other))),
    };
    let size = rows.len();
    let mut matrix: Vec<Vec<f64>> = Vec::with_capacity(size);
    for row in &rows {
        match row {
            Json::Array(cells) if cells.len() == size && (size == 3 || size == 4) => {
                let cells = numbers(cells, MAX_COEFFICIENT).ok_or_else(|| {
                    raw.invalid_because(
                        RECOMB_EXPECTED,
                        "entries must be numbers -1000000 to 1000000",
                    )
                })?;
                matrix.push(cells);
            }
            _ => {
                let shape = match row {
                    Json::Array(cells) => format!("{size} rows, one of {} entries", cells.len()),
                    other => format!("{size} rows, one is {}", other.kind()),
                };
                return Err(raw.invalid_because(RECOMB_EXPECTED, format!("got {shape}")));
            }
        }
    }
    let cell = |r: usize, c: usize| matrix[r][c];
    match size {
        3 => Ok(Recomb::Three(std::array::from_fn(|r| {
            std::array::from_fn(|c| cell(r, c))
        }))),
        4 => Ok(Recomb::Four(std::array::from_fn(|r| {
            std::array::from_fn(|c| cell(r, c))
        }))),
        _ => Err(raw.invalid_because(RECOMB_EXPECTED, format!("got {size} rows"))),
    }
}

pub(crate) fn render_recomb(recomb: &Recomb) -> String {
    let rows: Vec<&[f64]> = match recomb {
        Recomb::Three(rows) => rows.iter().map(|row| row.as_slice()).collect(),
        Recomb::Four(rows) => rows.iter().map(|row| row.as_slice()).collect(),
    };
    let mut out = String::from("[");
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_numbers(&mut out, row);
    }
    out.push(']');
    out
}

// ---------------------------------------------------------------- mo

/// `mo`: Sharp's modulate; every field holds its default when not given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Modulate {
    /// Brightness multiplier 0-100, default 1.
    pub brightness: f64,
    /// Saturation multiplier 0-100, default 1.
    pub saturation: f64,
    /// Hue rotation in degrees, normalised to 0-359, default 0.
    pub hue: i32,
    /// Lightness added, -100 to 100, default 0.
    pub lightness: f64,
}

impl Modulate {
    pub const IDENTITY: Modulate = Modulate {
        brightness: 1.0,
        saturation: 1.0,
        hue: 0,
        lightness: 0.0,
    };
    pub const MAX_MULTIPLIER: f64 = 100.0;
    pub const MAX_LIGHTNESS: f64 = 100.0;
}

const MODULATE_EXPECTED: &str = "JSON {\"brightness\",\"saturation\",\"hue\",\"lightness\"} with \
     at least one field: brightness and saturation multipliers 0-100 (default 1), hue an \
     integer in degrees (default 0), lightness -100 to 100 (default 0)";
const MODULATE_FIELDS: &[&str] = &["brightness", "saturation", "hue", "lightness"];

pub(crate) fn parse_modulate(raw: RawValue) -> Result<Modulate, Error> {
    let mut fields = Fields::parse(&raw, MODULATE_EXPECTED, MODULATE_FIELDS)?;
    if fields.is_empty() {
        return Err(fields.invalid("at least one field is required"));
    }
    let identity = Modulate::IDENTITY;
    let multiplier = Modulate::MAX_MULTIPLIER;
    let lightness = Modulate::MAX_LIGHTNESS;
    // Any whole number of degrees works; a billion keeps the cast exact.
    let hue = fields.integer_or("hue", -1_000_000_000, 1_000_000_000, 0)?;
    Ok(Modulate {
        brightness: fields.number_or("brightness", 0.0, multiplier, identity.brightness)?,
        saturation: fields.number_or("saturation", 0.0, multiplier, identity.saturation)?,
        hue: hue.rem_euclid(360) as i32,
        lightness: fields.number_or("lightness", -lightness, lightness, identity.lightness)?,
    })
}

/// Always all four fields, so the text never depends on which ones were given.
pub(crate) fn render_modulate(modulate: &Modulate) -> String {
    ObjectWriter::new()
        .number("brightness", modulate.brightness)
        .number("saturation", modulate.saturation)
        .number("hue", f64::from(modulate.hue))
        .number("lightness", modulate.lightness)
        .finish()
}

// ---------------------------------------------------------------- ng

/// `ng`: negate the colour channels and, with `alpha`, the alpha channel too
/// (Sharp's `negate({alpha})`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Negate {
    /// False for `ng=false`: nothing is done.
    pub on: bool,
    /// Alpha negated too. `ng`/`ng=true` leave it alone (as `ng={"alpha":false}`);
    /// Sharp's bare `negate()` negates it: write `ng={"alpha":true}` for that.
    pub alpha: bool,
}

impl Negate {
    pub const OFF: Negate = Negate {
        on: false,
        alpha: false,
    };
    pub const COLOUR: Negate = Negate {
        on: true,
        alpha: false,
    };
}

const NEGATE_EXPECTED: &str = "true, false, 1 or 0 (a bare key means true, alpha untouched), \
     or JSON {\"alpha\":true|false} (alpha required: whether the alpha channel is negated too)";
const NEGATE_FIELDS: &[&str] = &["alpha"];

pub(crate) fn parse_negate(raw: RawValue) -> Result<Negate, Error> {
    let text = raw.decoded_text(NEGATE_EXPECTED)?;
    if !text.starts_with('{') {
        return match &*text {
            "" | "1" => Ok(Negate::COLOUR),
            "0" => Ok(Negate::OFF),
            t if t.eq_ignore_ascii_case("true") => Ok(Negate::COLOUR),
            t if t.eq_ignore_ascii_case("false") => Ok(Negate::OFF),
            _ => Err(raw.invalid(NEGATE_EXPECTED)),
        };
    }
    let mut fields = object(&raw, &text, NEGATE_EXPECTED, NEGATE_FIELDS)?;
    match fields.required("alpha")? {
        Json::Bool(alpha) => Ok(Negate { on: true, alpha }),
        _ => Err(fields.invalid_field("alpha", "must be true or false")),
    }
}

/// `true`, `false`, or the object when alpha is negated too.
pub(crate) fn render_negate(negate: &Negate) -> String {
    match (negate.on, negate.alpha) {
        (false, _) => "false".into(),
        (true, false) => "true".into(),
        (true, true) => "{\"alpha\":true}".into(),
    }
}

// ---------------------------------------------------------------- helpers

/// `text` (already `b64:`-decoded) as a JSON object with the `allowed` fields.
fn object<'r>(
    raw: &RawValue<'r>,
    text: &str,
    expected: &'static str,
    allowed: &'static [&'static str],
) -> Result<Fields<'r>, Error> {
    match json::parse_decoded(raw, text, expected)? {
        Json::Object(fields) => Fields::from_object(raw, expected, allowed, fields),
        other => Err(raw.invalid_because(expected, not_an(&other))),
    }
}

/// All items as numbers within `±limit`, or `None`.
fn numbers(items: &[Json], limit: f64) -> Option<Vec<f64>> {
    items
        .iter()
        .map(|item| json::number_in(item, -limit, limit))
        .collect()
}
