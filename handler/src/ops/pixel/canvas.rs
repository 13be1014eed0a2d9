//! Pixel-type plumbing shared by the operations: filling a canvas of the image's own
//! pixel type with a colour, copying one image into another, and gravity offsets.

use crate::params::{Gravity, Rgba};
use image::{DynamicImage, ImageBuffer, Luma, LumaA, Pixel, Rgb};

/// Converts an 8-bit RGBA colour to a pixel of type `P`.
pub trait FromColour: Pixel {
    fn from_colour(c: Rgba) -> Self;
}

fn luma8(c: Rgba) -> u8 {
    // Rec. 601 weights, as libvips uses for sRGB → B_W.
    ((c.r as u32 * 299 + c.g as u32 * 587 + c.b as u32 * 114 + 500) / 1000) as u8
}

macro_rules! from_colour {
    ($t:ty, $conv:expr) => {
        impl FromColour for Luma<$t> {
            fn from_colour(c: Rgba) -> Self {
                Luma([$conv(luma8(c))])
            }
        }
        impl FromColour for LumaA<$t> {
            fn from_colour(c: Rgba) -> Self {
                LumaA([$conv(luma8(c)), $conv(c.a)])
            }
        }
        impl FromColour for Rgb<$t> {
            fn from_colour(c: Rgba) -> Self {
                Rgb([$conv(c.r), $conv(c.g), $conv(c.b)])
            }
        }
        impl FromColour for image::Rgba<$t> {
            fn from_colour(c: Rgba) -> Self {
                image::Rgba([$conv(c.r), $conv(c.g), $conv(c.b), $conv(c.a)])
            }
        }
    };
}
from_colour!(u8, |v: u8| v);
from_colour!(u16, |v: u8| v as u16 * 257);
from_colour!(f32, |v: u8| v as f32 / 255.0);

/// Runs `$body` with `$buf` bound to the concrete buffer of any `DynamicImage`
/// variant, rewrapping the result in the same variant.
#[macro_export]
macro_rules! map_buffer {
    ($img:expr, |$buf:ident| $body:expr) => {{
        use image::DynamicImage as D;
        match $img {
            D::ImageLuma8($buf) => D::ImageLuma8($body),
            D::ImageLumaA8($buf) => D::ImageLumaA8($body),
            D::ImageRgb8($buf) => D::ImageRgb8($body),
            D::ImageRgba8($buf) => D::ImageRgba8($body),
            D::ImageLuma16($buf) => D::ImageLuma16($body),
            D::ImageLumaA16($buf) => D::ImageLumaA16($body),
            D::ImageRgb16($buf) => D::ImageRgb16($body),
            D::ImageRgba16($buf) => D::ImageRgba16($body),
            D::ImageRgb32F($buf) => D::ImageRgb32F($body),
            D::ImageRgba32F($buf) => D::ImageRgba32F($body),
            other => D::ImageRgba8({
                let $buf = other.to_rgba8();
                $body
            }),
        }
    }};
}

/// A copy of `img` with an alpha channel, when `needs` is true and it has none.
pub fn with_alpha_if(img: DynamicImage, needs: bool) -> DynamicImage {
    if !needs || img.color().has_alpha() {
        return img;
    }
    match img {
        DynamicImage::ImageLuma8(_) => DynamicImage::ImageLumaA8(img.to_luma_alpha8()),
        DynamicImage::ImageLuma16(_) => DynamicImage::ImageLumaA16(img.to_luma_alpha16()),
        DynamicImage::ImageRgb16(_) => DynamicImage::ImageRgba16(img.to_rgba16()),
        DynamicImage::ImageRgb32F(_) => DynamicImage::ImageRgba32F(img.to_rgba32f()),
        _ => DynamicImage::ImageRgba8(img.to_rgba8()),
    }
}

/// Places `src` at (`left`, `top`) on a `width`×`height` canvas filled with `bg`,
/// keeping the pixel type (with alpha added when `bg` is translucent).
pub fn embed(
    src: DynamicImage,
    width: u32,
    height: u32,
    left: i64,
    top: i64,
    bg: Rgba,
) -> DynamicImage {
    let src = with_alpha_if(src, bg.a < 255);
    map_buffer!(src, |b| place(&b, width, height, left, top, bg))
}

fn place<P: FromColour>(
    src: &ImageBuffer<P, Vec<P::Subpixel>>,
    width: u32,
    height: u32,
    left: i64,
    top: i64,
    bg: Rgba,
) -> ImageBuffer<P, Vec<P::Subpixel>> {
    let mut canvas = ImageBuffer::from_pixel(width, height, P::from_colour(bg));
    image::imageops::replace(&mut canvas, src, left, top);
    canvas
}

/// Where a `inner`-sized box sits in an `outer`-sized one for a gravity, as Sharp
/// computes it: centred offsets round up when cropping and down when embedding.
pub fn offset(
    outer: (u32, u32),
    inner: (u32, u32),
    gravity: Gravity,
    cropping: bool,
) -> (i64, i64) {
    let dx = outer.0 as i64 - inner.0 as i64;
    let dy = outer.1 as i64 - inner.1 as i64;
    let centre = |d: i64| if cropping { (d + 1) / 2 } else { d / 2 };
    let (fx, fy) = match gravity {
        Gravity::North => (1, 0),
        Gravity::NorthEast => (2, 0),
        Gravity::East => (2, 1),
        Gravity::SouthEast => (2, 2),
        Gravity::South => (1, 2),
        Gravity::SouthWest => (0, 2),
        Gravity::West => (0, 1),
        Gravity::NorthWest => (0, 0),
        Gravity::Center => (1, 1),
    };
    let pick = |f: i32, d: i64| match f {
        0 => 0,
        1 => centre(d),
        _ => d,
    };
    (pick(fx, dx), pick(fy, dy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_gravity() {
        assert_eq!(offset((10, 10), (4, 4), Gravity::NorthWest, true), (0, 0));
        assert_eq!(offset((10, 10), (4, 4), Gravity::SouthEast, true), (6, 6));
        assert_eq!(offset((11, 10), (4, 4), Gravity::Center, true), (4, 3));
        assert_eq!(offset((11, 10), (4, 4), Gravity::Center, false), (3, 3));
        assert_eq!(offset((10, 10), (4, 4), Gravity::East, true), (6, 3));
    }

    #[test]
    fn embed_keeps_type_and_adds_alpha_for_translucent_backgrounds() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(2, 2, Rgb([10, 20, 30])));
        let red = Rgba {
            r: 255,
            g: 0,
            b: 0,
            a: 255,
        };
        let out = embed(img.clone(), 4, 3, 1, 1, red);
        let out = out.as_rgb8().expect("still RGB");
        assert_eq!(out.get_pixel(0, 0), &Rgb([255, 0, 0]));
        assert_eq!(out.get_pixel(1, 1), &Rgb([10, 20, 30]));
        let clear = Rgba {
            r: 0,
            g: 0,
            b: 0,
            a: 0,
        };
        let out = embed(img, 4, 3, 0, 0, clear);
        let out = out.as_rgba8().expect("alpha added");
        assert_eq!(out.get_pixel(3, 2).0[3], 0);
        assert_eq!(out.get_pixel(0, 0).0, [10, 20, 30, 255]);
    }
}
