//! Which format a plan writes: the query's `fm`, the input's own, or — for `fm=auto`
//! (or an absent `fm` where `IMAGE_SERVICE_AUTO_FORMAT` is on) — one negotiated from the
//! request's [`AcceptClass`] once the decoded image is known:
//!
//! 1. an animation stays animated: animated WebP when the class takes WebP (AVIF or
//!    WebP class), else GIF — never a still;
//! 2. AVIF for the AVIF class, unless the estimated encode time is over the deployment's
//!    AVIF budget: then WebP, and the response says so ([`AVIF_OVER_BUDGET`]);
//! 3. WebP for the WebP class;
//! 4. otherwise the input's family: PNG when the result has an alpha channel or the
//!    input is a GIF or a PNG of at most 256 colours, else JPEG.
//!
//! Every input of the rule (the class, the decoded image, the budget) is fixed by the
//! request's URL, class and deployment, so one variant ETag always names one answer.

use image::{DynamicImage, GenericImageView};

use crate::codecs::{self, ImageFormat, OutputFormat};
use crate::params::accept::AcceptClass;
use crate::params::Format;

/// The response header that says a negotiated answer is not the format the class
/// prefers, and why.
pub const FALLBACK_HEADER: &str = "x-image-format-fallback";

/// [`FALLBACK_HEADER`]'s value when AVIF would take longer than the budget.
pub const AVIF_OVER_BUDGET: &str = "avif-over-budget";

/// Milliseconds an AVIF answer costs per megapixel of output, measured with
/// `cargo run -p image-service --example auto_format` (dev profile: dependencies, rav1e
/// among them, at opt-level 2; speed 6 as `codecs::avif` sets it). On the 2-core
/// development machine (shared, load 12, so CPU time rather than wall time) whole
/// renders to AVIF took 850-1050 CPU ms/MP for 0.5-3.2 MP outputs and 1570-2220 for
/// 0.07-0.3 MP ones, where fixed costs dominate but the total stays far under any
/// budget. 1200 covers the large outputs the budget is for, with a margin.
pub const AVIF_MS_PER_MEGAPIXEL: u64 = 1_200;

/// Estimated milliseconds to encode `pixels` (one frame) as AVIF: pixels ×
/// [`AVIF_MS_PER_MEGAPIXEL`], rounded up. Deterministic, so the answer (and its ETag)
/// does not depend on the machine's load.
pub fn avif_estimate_ms(pixels: u64) -> u64 {
    pixels
        .saturating_mul(AVIF_MS_PER_MEGAPIXEL)
        .div_ceil(1_000_000)
}

/// How the format is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatChoice {
    /// No `fm`: the input's own format (see [`codecs::default_output`]).
    Input,
    /// An explicit `fm` other than `auto` (an explicit `fm=avif` ignores the budget).
    Fixed(OutputFormat),
    /// `fm=auto` for a client of this class; `avif_budget_ms` 0 means no budget.
    Negotiated {
        accept: AcceptClass,
        avif_budget_ms: u64,
    },
}

/// What the rule looks at, read from the decoded image just before it is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traits {
    pub input: ImageFormat,
    pub animated: bool,
    /// The image about to be encoded has an alpha channel.
    pub alpha: bool,
    /// A GIF, or a PNG of at most 256 colours (see [`few_colours`]).
    pub few_colours: bool,
    /// Pixels of one frame about to be encoded.
    pub pixels: u64,
}

/// The format to write and, when the negotiated answer is not the class's first
/// choice, the [`FALLBACK_HEADER`] value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chosen {
    pub format: OutputFormat,
    pub fallback: Option<&'static str>,
}

impl FormatChoice {
    /// `fm` as the query (or a preset) gave it; `auto` where the deployment makes it
    /// the default. A description (`fm=json|thumbhash|blurhash`) describes the image
    /// the query gives without `fm`: the input's format.
    pub fn new(fm: Option<Format>, accept: AcceptClass, avif_budget_ms: u64) -> FormatChoice {
        match fm.map(fixed_format) {
            None | Some(Fixed::Describe) => FormatChoice::Input,
            Some(Fixed::Image(format)) => FormatChoice::Fixed(format),
            Some(Fixed::Auto) => FormatChoice::Negotiated {
                accept,
                avif_budget_ms,
            },
        }
    }

    /// True when the bytes depend on the request's `Accept` (`Vary: Accept`).
    pub fn is_negotiated(&self) -> bool {
        matches!(self, FormatChoice::Negotiated { .. })
    }

    /// What the cache key adds for this choice: the class (and the AVIF budget that
    /// can turn an AVIF answer into WebP) for a negotiated format, nothing otherwise.
    pub fn cache_key_suffix(&self) -> String {
        match self {
            FormatChoice::Negotiated {
                accept: AcceptClass::Avif,
                avif_budget_ms,
            } => format!("\naccept=avif\navif-budget-ms={avif_budget_ms}"),
            FormatChoice::Negotiated { accept, .. } => format!("\naccept={}", accept.as_str()),
            _ => String::new(),
        }
    }

    /// Whether [`Traits::few_colours`] can change the answer for an input in `format`
    /// (counting colours costs a pass over the image, so it is done only then).
    pub fn needs_colour_count(&self, input: ImageFormat) -> bool {
        matches!(
            self,
            FormatChoice::Negotiated {
                accept: AcceptClass::Other,
                ..
            }
        ) && input == ImageFormat::Png
    }

    /// For a stored answer (a result-cache hit): whether it was the budget's fallback,
    /// from its type and size alone. Under the avif class only two things give WebP: an
    /// animation, and an AVIF over the budget, which the still's size tells again
    /// (the estimate is deterministic).
    pub fn stored_fallback(&self, mime: &str, pixels: u64, animated: bool) -> Option<&'static str> {
        match *self {
            FormatChoice::Negotiated {
                accept: AcceptClass::Avif,
                avif_budget_ms,
            } if mime == "image/webp"
                && !animated
                && avif_budget_ms > 0
                && avif_estimate_ms(pixels) > avif_budget_ms =>
            {
                Some(AVIF_OVER_BUDGET)
            }
            _ => None,
        }
    }

    /// The format for an image with these traits.
    pub fn resolve(&self, traits: &Traits) -> Chosen {
        let plain = |format| Chosen {
            format,
            fallback: None,
        };
        match *self {
            FormatChoice::Input => plain(codecs::default_output(traits.input)),
            FormatChoice::Fixed(format) => plain(format),
            FormatChoice::Negotiated {
                accept,
                avif_budget_ms,
            } => match accept {
                _ if traits.animated && accept != AcceptClass::Other => plain(OutputFormat::Webp),
                _ if traits.animated => plain(OutputFormat::Gif),
                AcceptClass::Avif
                    if avif_budget_ms > 0 && avif_estimate_ms(traits.pixels) > avif_budget_ms =>
                {
                    Chosen {
                        format: OutputFormat::Webp,
                        fallback: Some(AVIF_OVER_BUDGET),
                    }
                }
                AcceptClass::Avif => plain(OutputFormat::Avif),
                AcceptClass::Webp => plain(OutputFormat::Webp),
                AcceptClass::Other => plain(family(traits)),
            },
        }
    }
}

/// JPEG for photos, PNG for what JPEG would spoil: transparency and few-colour graphics.
fn family(traits: &Traits) -> OutputFormat {
    if traits.alpha || traits.few_colours || traits.input == ImageFormat::Gif {
        OutputFormat::Png
    } else {
        OutputFormat::Jpeg
    }
}

/// What an explicit `fm` names.
enum Fixed {
    Image(OutputFormat),
    Auto,
    /// Not an image: `json`, `thumbhash`, `blurhash`.
    Describe,
}

fn fixed_format(format: Format) -> Fixed {
    match format {
        Format::Jpeg => Fixed::Image(OutputFormat::Jpeg),
        Format::Png => Fixed::Image(OutputFormat::Png),
        Format::Webp => Fixed::Image(OutputFormat::Webp),
        Format::Gif => Fixed::Image(OutputFormat::Gif),
        Format::Tiff => Fixed::Image(OutputFormat::Tiff),
        Format::Avif => Fixed::Image(OutputFormat::Avif),
        Format::Auto => Fixed::Auto,
        Format::Json | Format::Thumbhash | Format::Blurhash => Fixed::Describe,
    }
}

/// Whether `image` has at most 256 distinct colours (alpha included). Stops at the
/// 257th, so a photo costs a few rows; runs of one colour are skipped cheaply.
pub fn few_colours(image: &DynamicImage) -> bool {
    let mut seen: Vec<u32> = Vec::with_capacity(257);
    let mut last = None;
    // Pixel by pixel (as 8-bit RGBA) rather than a converted copy of a large image.
    for (_, _, pixel) in image.pixels() {
        let packed = u32::from_be_bytes(pixel.0);
        if last == Some(packed) {
            continue;
        }
        last = Some(packed);
        if let Err(at) = seen.binary_search(&packed) {
            if seen.len() == 256 {
                return false;
            }
            seen.insert(at, packed);
        }
    }
    true
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_stored_webp_tells_whether_it_was_the_budget_fallback() {
        let choice = FormatChoice::Negotiated {
            accept: AcceptClass::Avif,
            avif_budget_ms: 3000,
        };
        let big = 3_000_000; // 3600 ms estimated: over the budget
        let small = 1_000_000;
        assert_eq!(
            choice.stored_fallback("image/webp", big, false),
            Some(AVIF_OVER_BUDGET)
        );
        assert_eq!(choice.stored_fallback("image/webp", small, false), None);
        assert_eq!(
            choice.stored_fallback("image/webp", big, true),
            None,
            "animations are WebP anyway"
        );
        assert_eq!(choice.stored_fallback("image/avif", big, false), None);
        let webp_class = FormatChoice::Negotiated {
            accept: AcceptClass::Webp,
            avif_budget_ms: 3000,
        };
        assert_eq!(webp_class.stored_fallback("image/webp", big, false), None);
        let traits = Traits {
            input: ImageFormat::Jpeg,
            animated: false,
            alpha: false,
            few_colours: false,
            pixels: big,
        };
        assert_eq!(
            choice.resolve(&traits).fallback,
            choice.stored_fallback("image/webp", big, false)
        );
    }
    use super::*;
    use crate::params::Params;
    use crate::plan::{Context, Limits, Plan};
    use AcceptClass::{Avif, Other, Webp};

    fn traits(input: ImageFormat) -> Traits {
        Traits {
            input,
            animated: false,
            alpha: false,
            few_colours: false,
            pixels: 1_000_000,
        }
    }

    fn auto(accept: AcceptClass) -> FormatChoice {
        FormatChoice::new(Some(Format::Auto), accept, 0)
    }

    /// The whole rule as a table: (class, input, animated, alpha, few colours) → format.
    #[test]
    fn negotiation_table() {
        use ImageFormat as I;
        use OutputFormat as O;
        let rows = [
            (Avif, I::Jpeg, false, false, false, O::Avif),
            (Webp, I::Jpeg, false, false, false, O::Webp),
            (Other, I::Jpeg, false, false, false, O::Jpeg),
            (Other, I::Jpeg, false, true, false, O::Png),
            (Other, I::Png, false, false, false, O::Jpeg),
            (Other, I::Png, false, false, true, O::Png),
            (Other, I::Png, false, true, false, O::Png),
            (Other, I::Gif, false, false, false, O::Png),
            (Other, I::Webp, false, false, false, O::Jpeg),
            (Other, I::Avif, false, true, false, O::Png),
            (Other, I::Tiff, false, false, false, O::Jpeg),
            (Avif, I::Png, false, true, true, O::Avif),
            (Webp, I::Gif, false, false, true, O::Webp),
            // Animations stay animated, whatever the class.
            (Avif, I::Gif, true, false, true, O::Webp),
            (Webp, I::Webp, true, true, false, O::Webp),
            (Other, I::Webp, true, true, false, O::Gif),
            (Other, I::Gif, true, false, true, O::Gif),
        ];
        for (accept, input, animated, alpha, few_colours, want) in rows {
            let t = Traits {
                animated,
                alpha,
                few_colours,
                ..traits(input)
            };
            let got = auto(accept).resolve(&t);
            assert_eq!(got.format, want, "{accept:?} {t:?}");
            assert_eq!(got.fallback, None);
        }
    }

    #[test]
    fn fixed_and_absent_fm_ignore_the_class_and_budget() {
        let t = traits(ImageFormat::Png);
        for accept in [Avif, Webp, Other] {
            let input = FormatChoice::new(None, accept, 1);
            assert_eq!(input.resolve(&t).format, OutputFormat::Png);
            assert!(!input.is_negotiated() && input.cache_key_suffix().is_empty());
            // An explicit fm=avif is honoured past any budget.
            let avif = FormatChoice::new(Some(Format::Avif), accept, 1);
            let big = Traits {
                pixels: 50_000_000,
                ..t
            };
            assert_eq!(avif.resolve(&big).format, OutputFormat::Avif);
            assert_eq!(avif.resolve(&big).fallback, None);
        }
    }

    #[test]
    fn avif_over_the_budget_is_webp_and_says_so() {
        let budget = avif_estimate_ms(2_000_000);
        let choice = FormatChoice::new(Some(Format::Auto), Avif, budget);
        let at = |pixels| {
            choice.resolve(&Traits {
                pixels,
                ..traits(ImageFormat::Jpeg)
            })
        };
        assert_eq!(at(2_000_000).format, OutputFormat::Avif);
        assert_eq!(at(2_000_000).fallback, None);
        assert_eq!(
            at(2_100_000),
            Chosen {
                format: OutputFormat::Webp,
                fallback: Some(AVIF_OVER_BUDGET)
            }
        );
        // 0 is no budget; the WebP class never falls back.
        assert_eq!(
            auto(Avif).resolve(&at_pixels(u64::MAX)).format,
            OutputFormat::Avif
        );
        let webp = FormatChoice::new(Some(Format::Auto), Webp, 1);
        assert_eq!(webp.resolve(&at_pixels(u64::MAX)).fallback, None);
    }

    fn at_pixels(pixels: u64) -> Traits {
        Traits {
            pixels,
            ..traits(ImageFormat::Jpeg)
        }
    }

    /// The estimate is pixels × the measured constant, rounded up, and saturates. The
    /// constant itself was measured (see its doc); this keeps the arithmetic honest.
    #[test]
    fn avif_estimate_arithmetic() {
        assert_eq!(avif_estimate_ms(0), 0);
        assert_eq!(avif_estimate_ms(1_000_000), AVIF_MS_PER_MEGAPIXEL);
        assert_eq!(avif_estimate_ms(2_500_000), AVIF_MS_PER_MEGAPIXEL * 5 / 2);
        assert_eq!(avif_estimate_ms(1), 1);
        assert_eq!(avif_estimate_ms(u64::MAX), u64::MAX.div_ceil(1_000_000));
        // A 4000×3000 photo is over the default 3 s budget, a 1600×900 hero is not.
        let default = crate::config::DEFAULT_AVIF_BUDGET_MS;
        assert!(avif_estimate_ms(12_000_000) > default);
        assert!(avif_estimate_ms(1_440_000) < default);
    }

    #[test]
    fn few_colours_counts_up_to_256() {
        let with = |n: u32| {
            DynamicImage::ImageRgb8(image::RgbImage::from_fn(64, 64, |x, y| {
                let i = (y * 64 + x) % n;
                image::Rgb([i as u8, (i >> 8) as u8, 7])
            }))
        };
        assert!(few_colours(&with(1)));
        assert!(few_colours(&with(256)));
        assert!(!few_colours(&with(257)));
        assert!(!few_colours(&with(4096)));
    }

    fn plan(query: &str, context: &Context) -> Plan {
        Plan::with_context(&Params::parse(query).unwrap(), Limits::default(), context).unwrap()
    }

    fn class(accept: AcceptClass) -> Context<'static> {
        Context {
            accept,
            avif_budget_ms: 3000,
            ..Context::default()
        }
    }

    /// The class is in the cache key (so the ETag) only when the format is negotiated.
    #[test]
    fn cache_key_has_the_class_only_when_negotiated() {
        let keys: Vec<String> = [Avif, Webp, Other]
            .map(|a| plan("w=10&fm=auto", &class(a)).cache_key().to_string())
            .to_vec();
        assert_eq!(
            keys,
            [
                "fm=auto&w=10\naccept=avif\navif-budget-ms=3000",
                "fm=auto&w=10\naccept=webp",
                "fm=auto&w=10\naccept=other"
            ]
        );
        for query in ["w=10&fm=webp", "w=10"] {
            let fixed: Vec<String> = [Avif, Webp, Other]
                .map(|a| plan(query, &class(a)).cache_key().to_string())
                .to_vec();
            assert!(fixed.iter().all(|k| k == &fixed[0]), "{fixed:?}");
            assert!(!fixed[0].contains("accept"), "{}", fixed[0]);
            assert!(!plan(query, &class(Avif)).is_negotiated());
        }
        assert!(plan("w=10&fm=auto", &class(Other)).is_negotiated());
    }

    /// `IMAGE_SERVICE_AUTO_FORMAT`: an absent fm is auto (in the key too), an explicit
    /// one stays, and an original asked for plainly stays the original.
    #[test]
    fn auto_format_default_applies_to_transforms_without_fm() {
        let on = Context {
            auto_format: true,
            ..class(Webp)
        };
        let p = plan("w=10", &on);
        assert!(p.is_negotiated());
        assert_eq!(p.cache_key(), "fm=auto&w=10\naccept=webp");
        assert_eq!(p.cache_key(), plan("w=10&fm=auto", &on).cache_key());
        assert!(!plan("w=10&fm=png", &on).is_negotiated());
        let original = plan("", &on);
        assert!(original.is_passthrough() && !original.is_negotiated());
        assert!(!plan("w=10", &class(Webp)).is_negotiated());
    }

    #[test]
    fn unexpanded_presets_are_not_planned() {
        let params = Params::parse("preset=thumb").unwrap();
        let e = Plan::new(&params, Limits::default()).unwrap_err();
        assert_eq!(e.code(), "internal-error", "{e}");
    }
}
