//! Grid images (ISO/IEC 23008-12, 6.6.2.3): the tiles are decoded one at a time and
//! copied into a canvas of the grid's output size, row by row; the right and bottom
//! tiles may overhang it and are cut. The output size was checked against the limits
//! before any tile is decoded, and the first tile's size must fit the layout (all tiles
//! together at most one tile wider and taller than the output) before the others are.

use image::{DynamicImage, GenericImage};

use super::super::container::items::{Grid, GridAlpha, GridImage};
use super::super::container::Properties;
use super::{attach_alpha, to_image, AlphaPlane, Rav1d};
use crate::codecs::{corrupt, ImageFormat, Limits};
use crate::error::Error;

pub(super) fn decode(
    decoder: &mut Rav1d,
    grid: &GridImage<'_>,
    properties: &Properties<'_>,
    limits: &Limits,
) -> Result<DynamicImage, Error> {
    let color = &grid.color;
    if (color.width, color.height) != (properties.coded_width, properties.coded_height) {
        return Err(corrupt(
            ImageFormat::Avif,
            "the grid's size differs from its ispe",
        ));
    }
    limits.check(color.width, color.height, 1)?;
    let image = compose(color, |tile| to_image(&decoder.decode(tile)?, properties))?;
    let alpha = match &grid.alpha {
        None => return Ok(image),
        Some(GridAlpha::Single(item)) => decoder.decode(item)?.alpha_plane()?,
        Some(GridAlpha::Tiles(tiles)) => {
            if (tiles.width, tiles.height) != (color.width, color.height) {
                return Err(corrupt(
                    ImageFormat::Avif,
                    "the alpha grid's size differs from the image",
                ));
            }
            let composed = compose(tiles, |tile| {
                Ok(DynamicImage::ImageLuma16(
                    decoder.decode(tile)?.alpha_plane()?,
                ))
            })?;
            match composed {
                DynamicImage::ImageLuma16(plane) => plane,
                _ => return Err(Error::Internal("alpha grid lost its layout".into())),
            }
        }
    };
    attach_alpha(image, &alpha as &AlphaPlane, grid.premultiplied)
}

/// Decodes the tiles with `tile` and lays them out on a canvas of the grid's size.
fn compose(
    grid: &Grid<'_>,
    mut tile: impl FnMut(&[u8]) -> Result<DynamicImage, Error>,
) -> Result<DynamicImage, Error> {
    let mut canvas: Option<DynamicImage> = None;
    let (mut tile_w, mut tile_h) = (0, 0);
    for (i, data) in grid.tiles.iter().enumerate() {
        let decoded = tile(data)?;
        let canvas = match canvas.as_mut() {
            Some(canvas) => canvas,
            None => {
                (tile_w, tile_h) = (decoded.width(), decoded.height());
                let covers = |tile: u32, count: u32, size: u32| {
                    u64::from(tile) * u64::from(count) >= u64::from(size)
                        && u64::from(tile) * u64::from(count - 1) < u64::from(size)
                };
                if !covers(tile_w, grid.columns, grid.width)
                    || !covers(tile_h, grid.rows, grid.height)
                {
                    return Err(corrupt(
                        ImageFormat::Avif,
                        "the grid's tiles do not cover its size",
                    ));
                }
                canvas.insert(DynamicImage::new(grid.width, grid.height, decoded.color()))
            }
        };
        if (decoded.width(), decoded.height()) != (tile_w, tile_h)
            || decoded.color() != canvas.color()
        {
            return Err(corrupt(ImageFormat::Avif, "the grid's tiles differ"));
        }
        let (column, row) = (i as u32 % grid.columns, i as u32 / grid.columns);
        let (x, y) = (column * tile_w, row * tile_h);
        let visible = decoded.crop_imm(
            0,
            0,
            tile_w.min(grid.width - x),
            tile_h.min(grid.height - y),
        );
        canvas
            .copy_from(&visible, x, y)
            .map_err(|e| Error::Internal(format!("AVIF grid: {e}")))?;
    }
    canvas.ok_or_else(|| corrupt(ImageFormat::Avif, "the grid has no tiles"))
}
