//! Geometry: operations that move pixels or change the image's size — resize (with
//! its smart-crop `strategy` and `face` finder), extract, extend, trim, rotate, affine, flip and flop.
//! They keep the pixel type (new areas are filled in it through `pixel::canvas`).

pub mod affine;
pub mod extend;
pub mod extract;
pub mod face;
pub mod flip;
pub mod flop;
pub mod resize;
pub mod rotate;
pub mod strategy;
pub mod trim;
