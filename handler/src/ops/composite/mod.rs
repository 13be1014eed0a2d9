//! Composite: laying one image over another — the watermark (`wm`, Sharp's
//! `composite`) and `flatten` (the image over a background colour, alpha dropped).
//! `ops::composite::Composite` and `ops::composite::DEFAULT_GRAVITY` are the watermark's.

pub mod flatten;
pub mod unflatten;
pub mod watermark;

pub use watermark::{Composite, Watermark, DEFAULT_GRAVITY};
