//! Pictures of what the GAN is doing, drawn with the `image` crate only.
//!
//! - [`grid`]: a grid of generated images, like torchvision's `save_image`.
//! - [`plot`]: loss curves and 2D scatter plots over a discriminator's field.
//!
//! Two private helpers do the drawing: `canvas` (lines, rectangles, dots) and
//! `font` (a tiny built-in pixel font for labels).

mod canvas;
mod font;
pub mod grid;
pub mod plot;

use crate::data::DataError;
use image::RgbImage;
use std::path::Path;

/// Writes `picture` as a PNG at `path`, creating missing parent folders.
fn save_png(picture: &RgbImage, path: &Path) -> Result<(), DataError> {
    let write_error = |reason: String| DataError::WriteImage { path: path.to_path_buf(), reason };
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|error| write_error(format!("could not create folder {}: {error}", parent.display())))?;
    }
    picture.save_with_format(path, image::ImageFormat::Png).map_err(|error| write_error(error.to_string()))
}
