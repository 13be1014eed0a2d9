//! From original bytes to transformed bytes: probe → check limits → decode → apply the
//! planned operations → encode. (Interim: `w`, `h`, `q`, `fm`; `plan()` and the
//! operation list replace the resize step.)

use crate::codecs::{self, DecodeOptions, EncodeOptions, Frame, OutputFormat};
use crate::error::{Error, Result};
use crate::params::{Format, Params};
use fast_image_resize as fr;
use image::DynamicImage;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_input_pixels: u64,
    pub max_input_frames: u32,
}

pub struct Rendered {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
}

fn output_format(p: &Params, input: codecs::ImageFormat) -> OutputFormat {
    match p.fm {
        Some(Format::Jpeg) => OutputFormat::Jpeg,
        Some(Format::Png) => OutputFormat::Png,
        Some(Format::Webp) => OutputFormat::Webp,
        Some(Format::Gif) => OutputFormat::Gif,
        Some(Format::Tiff) => OutputFormat::Tiff,
        Some(Format::Avif) => OutputFormat::Avif,
        None => codecs::default_output(input),
    }
}

/// The output size for `w`/`h` on a `width`×`height` source: never larger than the
/// source; one side given keeps the aspect ratio.
pub fn target_size(width: u32, height: u32, w: Option<u32>, h: Option<u32>) -> (u32, u32) {
    let scale = |num: u32, den: u32, other: u32| -> u32 {
        ((other as f64 * num as f64 / den as f64).round() as u32).max(1)
    };
    match (w, h) {
        (None, None) => (width, height),
        (Some(w), None) => {
            let w = w.min(width);
            (w, scale(w, width, height))
        }
        (None, Some(h)) => {
            let h = h.min(height);
            (scale(h, height, width), h)
        }
        (Some(w), Some(h)) => (w.min(width), h.min(height)),
    }
}

fn resize(img: &DynamicImage, width: u32, height: u32) -> Result<DynamicImage> {
    if img.width() == width && img.height() == height {
        return Ok(img.clone());
    }
    let mut dst = DynamicImage::new(width, height, img.color());
    let options = fr::ResizeOptions::new()
        .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Lanczos3))
        // Cover: crop the source to the target's aspect ratio around the centre.
        .fit_into_destination(Some((0.5, 0.5)));
    fr::Resizer::new()
        .resize(img, &mut dst, &options)
        .map_err(|e| Error::Internal(format!("resize failed: {e}")))?;
    Ok(dst)
}

pub fn render(input: &[u8], params: &Params, limits: &Limits) -> Result<Rendered> {
    let probe = codecs::probe(input)?;
    let pixels = probe.width as u64 * probe.height as u64;
    if pixels > limits.max_input_pixels {
        return Err(Error::ImageTooLarge(format!(
            "The image is {}x{} ({} pixels); this service processes images up to {} pixels.",
            probe.width, probe.height, pixels, limits.max_input_pixels
        )));
    }
    let decoded = codecs::decode(
        input,
        &DecodeOptions {
            limits: codecs::Limits {
                max_pixels: limits.max_input_pixels,
                max_frames: limits.max_input_frames,
                max_total_pixels: limits.max_input_pixels.saturating_mul(4),
            },
            shrink_to: None,
        },
    )?;
    let (tw, th) = target_size(decoded.source_width, decoded.source_height, params.w, params.h);
    let frames = decoded
        .frames
        .iter()
        .map(|f| {
            Ok(Frame {
                image: resize(&f.image, tw, th)?,
                delay_ms: f.delay_ms,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let format = output_format(params, decoded.format);
    let bytes = codecs::encode(
        &frames,
        decoded.loop_count,
        &EncodeOptions {
            format,
            quality: params.q,
            lossless: false,
        },
    )?;
    Ok(Rendered {
        bytes,
        mime: format.mime(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_enlarges() {
        assert_eq!(target_size(100, 50, Some(500), None), (100, 50));
        assert_eq!(target_size(100, 50, None, Some(500)), (100, 50));
        assert_eq!(target_size(100, 50, Some(50), None), (50, 25));
        assert_eq!(target_size(100, 50, None, Some(10)), (20, 10));
        assert_eq!(target_size(100, 50, Some(40), Some(40)), (40, 40));
        assert_eq!(target_size(100, 50, Some(400), Some(40)), (100, 40));
        assert_eq!(target_size(1000, 1, Some(10), None), (10, 1));
    }
}
