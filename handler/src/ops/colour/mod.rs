//! Colour: per-pixel operations on colour values — colourspace conversion, greyscale,
//! tint, threshold, gamma, linear, negate, normalise, recomb and modulate. Each pixel's
//! result depends only on that pixel (normalise also on the image's histogram).

pub mod colourspace;
pub mod gamma;
pub mod greyscale;
pub mod linear;
pub mod modulate;
pub mod negate;
pub mod normalise;
pub mod recomb;
pub mod threshold;
pub mod tint;
