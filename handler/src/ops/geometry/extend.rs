//! `ex`: add `top`/`bottom`/`left`/`right` pixels of `bg` around the image (Sharp's
//! `extend` with a background colour).

use crate::error::Result;
use crate::ops::pixel::canvas;
use crate::params::{Extend, Rgba};
use image::DynamicImage;

#[derive(Debug, Clone, PartialEq)]
pub struct ExtendEdges {
    pub edges: Extend,
    pub background: Rgba,
}

impl ExtendEdges {
    pub fn output_size(&self, width: u32, height: u32) -> (u64, u64) {
        let e = &self.edges;
        (
            width as u64 + e.left as u64 + e.right as u64,
            height as u64 + e.top as u64 + e.bottom as u64,
        )
    }

    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            let (w, h) = self.output_size(img.width(), img.height());
            let src = std::mem::take(img);
            *img = canvas::embed(
                src,
                w as u32,
                h as u32,
                self.edges.left as i64,
                self.edges.top as i64,
                self.background,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_edges_of_the_background() {
        let mut imgs = [DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            4,
            3,
            image::Rgb([9, 9, 9]),
        ))];
        let op = ExtendEdges {
            edges: Extend {
                top: 1,
                bottom: 2,
                left: 3,
                right: 4,
            },
            background: Rgba {
                r: 0,
                g: 255,
                b: 0,
                a: 255,
            },
        };
        op.apply(&mut imgs).unwrap();
        let out = imgs[0].as_rgb8().unwrap();
        assert_eq!(out.dimensions(), (11, 6));
        assert_eq!(out.get_pixel(0, 0).0, [0, 255, 0]);
        assert_eq!(out.get_pixel(3, 1).0, [9, 9, 9]);
        assert_eq!(out.get_pixel(6, 3).0, [9, 9, 9]);
        assert_eq!(out.get_pixel(7, 3).0, [0, 255, 0]);
    }
}
