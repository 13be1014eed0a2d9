//! `cb` / `ca`: cut a region out of the image (Sharp's `extract`, before or after the
//! resize). A region reaching outside the image is the client's mistake: a 400 naming
//! the parameter.

use crate::error::{Error, Result};
use crate::params::Region;
use image::DynamicImage;

#[derive(Debug, Clone, PartialEq)]
pub struct Extract {
    /// The parameter it came from, for error messages.
    pub key: &'static str,
    pub region: Region,
}

impl Extract {
    pub fn check(&self, width: u32, height: u32) -> Result<()> {
        let r = &self.region;
        let right = r.left as u64 + r.width as u64;
        let bottom = r.top as u64 + r.height as u64;
        if right > width as u64 || bottom > height as u64 {
            return Err(Error::invalid_parameter(
                self.key,
                format!(
                    "left {}, top {}, width {}, height {}",
                    r.left, r.top, r.width, r.height
                ),
                format!("a region inside the {width}x{height} image at this step"),
            ));
        }
        Ok(())
    }

    pub fn apply(&self, images: &mut [DynamicImage]) -> Result<()> {
        for img in images.iter_mut() {
            self.check(img.width(), img.height())?;
            let r = &self.region;
            *img = img.crop_imm(r.left, r.top, r.width, r.height);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(left: u32, top: u32, width: u32, height: u32) -> Region {
        Region {
            left,
            top,
            width,
            height,
        }
    }

    #[test]
    fn cuts_the_region() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::from_fn(10, 8, |x, y| {
            image::Rgb([x as u8, y as u8, 0])
        }));
        let mut imgs = [img];
        Extract {
            key: "cb",
            region: region(2, 3, 4, 5),
        }
        .apply(&mut imgs)
        .unwrap();
        assert_eq!((imgs[0].width(), imgs[0].height()), (4, 5));
        assert_eq!(imgs[0].as_rgb8().unwrap().get_pixel(0, 0).0, [2, 3, 0]);
    }

    #[test]
    fn outside_is_400_naming_the_key() {
        let mut imgs = [DynamicImage::new_rgb8(10, 8)];
        for r in [
            region(8, 0, 3, 1),
            region(0, 7, 1, 2),
            region(11, 0, 1, 1),
            region(u32::MAX, 0, 1, 1),
        ] {
            let e = Extract {
                key: "ca",
                region: r,
            }
            .apply(&mut imgs)
            .unwrap_err();
            assert_eq!(e.code(), "invalid-parameter");
            assert!(e.to_string().contains("'ca'"), "{e}");
        }
        // The whole image is a valid region.
        Extract {
            key: "ca",
            region: region(0, 0, 10, 8),
        }
        .apply(&mut imgs)
        .unwrap();
    }
}
