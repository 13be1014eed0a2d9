//! Filters: neighbourhood operations, where each output sample depends on the samples
//! around it — blur, sharpen, median, convolve and CLAHE. Alpha is handled as Sharp
//! does (premultiplied around blur, sharpen and convolution).

pub mod blur;
pub mod clahe;
pub mod convolve;
pub mod median;
pub mod sharpen;
