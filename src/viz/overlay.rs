//! One grayscale image with a mask drawn over it in red (where a unit of a
//! generator fires, in GAN dissection's figures), enlarged so that it sits
//! well beside the labels of a montage.

use super::grid::signed_unit_to_byte;
use image::{imageops, Rgb, RgbImage};

/// A `side` x `side` image in [-1, 1] (row-major), masked pixels tinted red,
/// every pixel drawn as a `scale` x `scale` square.
pub fn mask_overlay(image: &[f32], side: usize, mask: Option<&[bool]>, scale: u32) -> RgbImage {
    let picture = RgbImage::from_fn(side as u32, side as u32, |x, y| {
        let at = y as usize * side + x as usize;
        let grey = signed_unit_to_byte(image[at]);
        match mask {
            // Half the grey plus half of pure red: white ink turns pink, black background dark red.
            Some(mask) if mask[at] => Rgb([grey / 2 + 128, grey / 2, grey / 2]),
            _ => Rgb([grey; 3]),
        }
    });
    imageops::resize(&picture, side as u32 * scale, side as u32 * scale, imageops::FilterType::Nearest)
}
