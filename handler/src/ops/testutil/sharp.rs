//! Comparisons with Sharp that can fail. [`like_sharp`] runs an operation on a fixture and
//! compares the result with Sharp's committed reference in colour (every channel's SSIM
//! and mean difference), then runs the null models through the same [`Bound`]: the
//! unchanged input always, plus whatever wrong answers the caller names (the opposite hue,
//! another interpolator, another sigma, …). Ours must pass; every null model must fail.
//! A test that never sees a null model fail does not test anything.

use image::DynamicImage;

use super::fixture;
use crate::error::Result;

/// How close to Sharp's output a result must be to pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// Lowest SSIM of the worst channel (R, G, B over mid grey, and A).
    pub ssim: f64,
    /// Highest mean absolute difference of the worst channel, in 8-bit levels.
    pub diff: f64,
}

/// `Bound { ssim, diff }`.
pub const fn bound(ssim: f64, diff: f64) -> Bound {
    Bound { ssim, diff }
}

/// How a result compares with Sharp's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// SSIM of the worst channel (1 = identical).
    pub ssim: f64,
    /// Mean absolute difference of the worst channel, 8-bit levels.
    pub diff: f64,
}

impl Score {
    pub fn within(&self, b: Bound) -> bool {
        self.ssim >= b.ssim && self.diff <= b.diff
    }
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ssim {:.4} diff {:.2}", self.ssim, self.diff)
    }
}

/// An operation (or a wrong one) on the decoded fixture's frames.
pub type Op<'a> = &'a dyn Fn(&mut [DynamicImage]) -> Result<()>;

/// The four planes compared: R, G, B composited over mid grey (so transparent areas
/// compare by what they show) and A.
fn planes(img: &DynamicImage) -> [Vec<f64>; 4] {
    let rgba = img.to_rgba8();
    let mut out: [Vec<f64>; 4] = Default::default();
    for p in rgba.pixels() {
        let a = f64::from(p[3]) / 255.0;
        for c in 0..3 {
            out[c].push(f64::from(p[c]) * a + 128.0 * (1.0 - a));
        }
        out[3].push(f64::from(p[3]));
    }
    out
}

/// Colour comparison of `a` with `b`, or `None` when their sizes differ.
pub fn score(a: &DynamicImage, b: &DynamicImage) -> Option<Score> {
    if (a.width(), a.height()) != (b.width(), b.height()) {
        return None;
    }
    let (w, h) = (a.width() as usize, a.height() as usize);
    let (pa, pb) = (planes(a), planes(b));
    let mut worst = Score {
        ssim: 1.0,
        diff: 0.0,
    };
    for (x, y) in pa.iter().zip(&pb) {
        worst.ssim = worst.ssim.min(super::ssim_plane(x, y, w, h));
        let diff = x.iter().zip(y).map(|(p, q)| (p - q).abs()).sum::<f64>() / x.len().max(1) as f64;
        worst.diff = worst.diff.max(diff);
    }
    Some(worst)
}

fn run(input: &str, name: &str, op: Op) -> DynamicImage {
    let mut frames = vec![fixture(input)];
    op(&mut frames).unwrap_or_else(|e| panic!("{name}: {e}"));
    frames.swap_remove(0)
}

fn describe(s: Option<Score>) -> String {
    s.map_or_else(|| "size differs".to_string(), |s| s.to_string())
}

/// Runs `op` on the fixture `input` and compares the result with Sharp's
/// `sharp/<reference>.png`: it must have Sharp's size and be within `bound`. The
/// unchanged input and each of the `wrong` operations (a label and the op) must NOT be
/// within the same bound (a different size counts as a failure). Prints every score
/// (`--nocapture`) and returns ours.
pub fn like_sharp(
    input: &str,
    reference: &str,
    bound: Bound,
    op: Op,
    wrong: &[(&str, Op)],
) -> Score {
    let want = fixture(&format!("sharp/{reference}.png"));
    let got = run(input, reference, op);
    let ours = score(&got, &want);
    let mut nulls = vec![("unchanged", score(&fixture(input), &want))];
    for (label, op) in wrong {
        nulls.push((label, score(&run(input, label, *op), &want)));
    }
    let mut line = format!(
        "like_sharp {reference} bound {bound:?}: ours {}",
        describe(ours)
    );
    for (label, s) in &nulls {
        line.push_str(&format!("; {label} {}", describe(*s)));
    }
    eprintln!("{line}");
    let ours = ours.unwrap_or_else(|| {
        panic!(
            "{reference}: size {}x{} differs from Sharp's {}x{}",
            got.width(),
            got.height(),
            want.width(),
            want.height()
        )
    });
    assert!(
        ours.within(bound),
        "{reference}: ours {ours} outside {bound:?}"
    );
    for (label, s) in nulls {
        assert!(
            !s.is_some_and(|s| s.within(bound)),
            "{reference}: null model '{label}' ({}) passes {bound:?}: the bound cannot fail",
            describe(s)
        );
    }
    ours
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    #[test]
    fn colour_counts_where_luma_does_not() {
        // Same luma, swapped colours: the old luma SSIM saw no difference.
        let a = DynamicImage::ImageRgb8(RgbImage::from_fn(32, 24, |x, y| {
            Rgb([(x * 8) as u8, 100, (y * 10) as u8])
        }));
        let b = DynamicImage::ImageRgb8(RgbImage::from_fn(32, 24, |x, y| {
            Rgb([(y * 10) as u8, 100, (x * 8) as u8])
        }));
        let s = score(&a, &b).unwrap();
        assert!(s.ssim < 0.5 && s.diff > 20.0, "{s}");
        assert_eq!(score(&a, &a).unwrap(), bound(1.0, 0.0).into_score());
        let small = DynamicImage::ImageRgb8(RgbImage::new(3, 3));
        assert!(score(&a, &small).is_none());
    }

    #[test]
    #[should_panic(expected = "null model 'unchanged'")]
    fn a_bound_the_input_passes_is_refused() {
        // flop of a fixture against Sharp's flop, with a bound anything passes.
        like_sharp(
            "ops-photo.png",
            "flop-h",
            bound(-1.0, 255.0),
            &|f| crate::ops::flop::Flop.apply(f),
            &[],
        );
    }

    impl Bound {
        fn into_score(self) -> Score {
            Score {
                ssim: self.ssim,
                diff: self.diff,
            }
        }
    }
}
