//! A grid of images in one picture, like torchvision's `save_image`.
//!
//! Images are given as one flat slice in `[n, channels, height, width]`
//! order with values in [-1, 1] (a `tanh` generator's output). They are laid
//! out `nrow` per row, with `PADDING` black pixels around and between them,
//! and mapped to bytes by `(v + 1) / 2 * 255`, clamped.
//!
//! A grid with a single row is a strip, e.g. a latent interpolation.

use super::save_picture;
use crate::data::DataError;
use image::{Rgb, RgbImage};
use std::path::Path;

/// Pixels of padding around and between the images.
pub const PADDING: u32 = 2;
/// Colour of the padding (black, as in torchvision).
pub const PADDING_COLOUR: Rgb<u8> = Rgb([0, 0, 0]);

/// Maps a value in [-1, 1] to a byte 0..=255, rounding to nearest and
/// clamping values outside the range.
pub fn signed_unit_to_byte(value: f32) -> u8 {
    ((value + 1.0) * 127.5 + 0.5).clamp(0.0, 255.0) as u8
}

/// Arranges `n` images (`channels` is 1 or 3) into one RGB picture with
/// `nrow` images per row. Grayscale images are shown as gray in all three
/// colour channels.
pub fn grid_to_rgb(
    images: &[f32],
    n: usize,
    channels: usize,
    height: usize,
    width: usize,
    nrow: usize,
) -> Result<RgbImage, DataError> {
    check_layout(images, n, channels, height, width, nrow)?;
    let columns = nrow.min(n);
    let rows = n.div_ceil(columns);
    let cell_width = width as u32 + PADDING;
    let cell_height = height as u32 + PADDING;
    let mut picture = RgbImage::from_pixel(
        columns as u32 * cell_width + PADDING,
        rows as u32 * cell_height + PADDING,
        PADDING_COLOUR,
    );
    let plane = height * width;
    for (index, image) in images.chunks_exact(channels * plane).enumerate() {
        let left = (index % columns) as u32 * cell_width + PADDING;
        let top = (index / columns) as u32 * cell_height + PADDING;
        for y in 0..height {
            for x in 0..width {
                // Channel c of pixel (y, x) is at c * plane + y * width + x;
                // a grayscale image uses its one channel for red, green and blue.
                let byte_of = |c: usize| signed_unit_to_byte(image[(c % channels) * plane + y * width + x]);
                let colour = Rgb([byte_of(0), byte_of(1), byte_of(2)]);
                picture.put_pixel(left + x as u32, top + y as u32, colour);
            }
        }
    }
    Ok(picture)
}

/// [`grid_to_rgb`], then saved as a PNG at `path` (parent folders are
/// created).
pub fn save_grid(
    images: &[f32],
    n: usize,
    channels: usize,
    height: usize,
    width: usize,
    nrow: usize,
    path: impl AsRef<Path>,
) -> Result<(), DataError> {
    let picture = grid_to_rgb(images, n, channels, height, width, nrow)?;
    save_picture(&picture, path.as_ref())
}

fn check_layout(
    images: &[f32],
    n: usize,
    channels: usize,
    height: usize,
    width: usize,
    nrow: usize,
) -> Result<(), DataError> {
    let problem = if channels != 1 && channels != 3 {
        format!("channels must be 1 (grayscale) or 3 (RGB), got {channels}")
    } else if n == 0 || height == 0 || width == 0 || nrow == 0 {
        format!(
            "a grid needs at least one image of at least one pixel and nrow >= 1, \
             got n={n}, height={height}, width={width}, nrow={nrow}"
        )
    } else if images.len() != n * channels * height * width {
        format!(
            "{} values do not match n x channels x height x width = {n} x {channels} x {height} x {width}",
            images.len()
        )
    } else {
        return Ok(());
    };
    Err(DataError::InvalidArgument(problem))
}
