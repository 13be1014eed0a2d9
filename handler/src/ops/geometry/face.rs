//! `p=face`: where the faces are, for a cover crop that keeps them.
//!
//! The detector is `rustface` (SeetaFace Detection, BSD-2-Clause) with the frontal model
//! embedded from `handler/assets/models/` (see its README), parsed once per process. It
//! runs on a greyscale copy whose longest side is at most [`DETECTION_SIDE`] pixels, so
//! its cost does not grow with the photo: a face must be about [`MIN_FACE`] pixels of that
//! copy (~6% of the photo's longest side) to be found. Boxes come back in the pixels of
//! the image given.
//!
//! Which faces the crop keeps: the box around all of them when it fits the crop window,
//! else the largest face alone (a group that cannot fit is better cut at its edges than
//! through everyone's middle). The window is centred on that box as far as the image
//! allows ([`centred_on`], shared with `fp`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use super::resize::resample;
use crate::error::{Error, Result};
use fast_image_resize as fr;
use image::DynamicImage;
use rustface::{ImageData, Model};

/// Longest side of the greyscale copy the detector reads.
pub const DETECTION_SIDE: u32 = 640;
/// The detector's window: the smallest face it finds, in pixels of the copy; a copy
/// with a shorter side holds no face it could find (and the detector needs one window).
pub const MIN_FACE: u32 = 40;
/// The detector's score threshold (rustface's suggested setting; higher finds fewer).
const SCORE_THRESHOLD: f64 = 2.0;

const MODEL_BYTES: &[u8] = include_bytes!("../../../assets/models/seeta_fd_frontal_v1.0.bin");

/// A detected face, in pixels of the image it was found in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceBox {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    /// The detector's confidence (above [`SCORE_THRESHOLD`]).
    pub score: f64,
}

impl FaceBox {
    fn right(&self) -> f64 {
        self.left + self.width
    }

    fn bottom(&self) -> f64 {
        self.top + self.height
    }

    pub fn centre(&self) -> (f64, f64) {
        (self.left + self.width / 2.0, self.top + self.height / 2.0)
    }

    /// The same box in an image `sx` times wider and `sy` times taller.
    pub fn scaled(&self, sx: f64, sy: f64) -> FaceBox {
        FaceBox {
            left: self.left * sx,
            top: self.top * sy,
            width: self.width * sx,
            height: self.height * sy,
            score: self.score,
        }
    }

    fn union(&self, other: &FaceBox) -> FaceBox {
        let (left, top) = (self.left.min(other.left), self.top.min(other.top));
        FaceBox {
            left,
            top,
            width: self.right().max(other.right()) - left,
            height: self.bottom().max(other.bottom()) - top,
            score: self.score.min(other.score),
        }
    }
}

/// The embedded model, parsed on first use.
fn model() -> Result<&'static Model> {
    static MODEL: OnceLock<std::result::Result<Model, String>> = OnceLock::new();
    MODEL
        .get_or_init(|| rustface::read_model(MODEL_BYTES).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::Internal(format!("the embedded face model does not parse: {e}")))
}

/// The faces in `img`, largest first, in its pixels. A detector failure (a panic in the
/// crate) is logged and counts as no face: the crop falls back, the request succeeds.
pub fn detect(img: &DynamicImage) -> Result<Vec<FaceBox>> {
    let model = model()?;
    let (w, h) = (img.width(), img.height());
    let scale = (f64::from(DETECTION_SIDE) / f64::from(w.max(h))).min(1.0);
    let size = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    if size.0.min(size.1) < MIN_FACE {
        return Ok(Vec::new());
    }
    let alg = fr::ResizeAlg::Convolution(fr::FilterType::Bilinear);
    let grey = resample(img, size, alg)?.into_luma8();
    let found = catch_unwind(AssertUnwindSafe(|| {
        let mut detector = rustface::create_detector_with_model(model.clone());
        detector.set_min_face_size(MIN_FACE);
        detector.set_score_thresh(SCORE_THRESHOLD);
        detector.set_pyramid_scale_factor(0.8);
        detector.set_slide_window_step(4, 4);
        detector.detect(&ImageData::new(grey.as_raw(), size.0, size.1))
    }));
    let Ok(found) = found else {
        tracing::warn!(
            width = w,
            height = h,
            "face detector panicked; no face used"
        );
        return Ok(Vec::new());
    };
    let (sx, sy) = (
        f64::from(w) / f64::from(size.0),
        f64::from(h) / f64::from(size.1),
    );
    let mut faces: Vec<FaceBox> = found
        .iter()
        .filter_map(|face| {
            let b = face.bbox();
            // Boxes may reach past the edges; keep the part inside.
            let left = f64::from(b.x().max(0));
            let top = f64::from(b.y().max(0));
            let right = (f64::from(b.x()) + f64::from(b.width())).min(f64::from(size.0));
            let bottom = (f64::from(b.y()) + f64::from(b.height())).min(f64::from(size.1));
            (right > left && bottom > top).then(|| {
                FaceBox {
                    left,
                    top,
                    width: right - left,
                    height: bottom - top,
                    score: face.score(),
                }
                .scaled(sx, sy)
            })
        })
        .collect();
    faces.sort_by(|a, b| (b.width * b.height).total_cmp(&(a.width * a.height)));
    Ok(faces)
}

/// The box a crop of `window` keeps: all faces when they fit it, else the largest.
/// `faces` is largest first, as [`detect`] gives them.
pub fn target(faces: &[FaceBox], window: (u32, u32)) -> Option<FaceBox> {
    let largest = *faces.first()?;
    let all = faces[1..].iter().fold(largest, |acc, f| acc.union(f));
    let fits = all.width <= f64::from(window.0) && all.height <= f64::from(window.1);
    Some(if fits { all } else { largest })
}

/// The top-left corner of a `window` inside `image` whose centre is as near `point` as
/// the image allows (each axis clamped so the window stays inside). Rounded half up, so
/// the image's centre gives the same corner as centre gravity.
pub fn centred_on(point: (f64, f64), image: (u32, u32), window: (u32, u32)) -> (u32, u32) {
    let axis = |centre: f64, side: u32, inner: u32| {
        let room = side.saturating_sub(inner);
        let start = (centre - f64::from(inner) / 2.0 + 0.5).floor();
        start.clamp(0.0, f64::from(room)) as u32
    };
    (
        axis(point.0, image.0, window.0),
        axis(point.1, image.1, window.1),
    )
}

/// The answer when the deadline passes between detection and the crop.
pub fn deadline_passed() -> Error {
    Error::Timeout(
        "Processing took longer than this service allows per request (finding faces for p=face); ask for a smaller image.".into(),
    )
}

#[cfg(test)]
mod tests;
