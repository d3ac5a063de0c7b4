//! Pictures of what the GAN is doing, drawn with the `image` crate only.
//!
//! - [`grid`]: a grid of generated images, like torchvision's `save_image`.
//! - [`plot`]: loss curves and 2D scatter plots over a discriminator's field.
//! - [`montage`]: labelled rows of pictures, one row per method.
//! - [`overlay`]: an image with a mask drawn over it in red.
//! - [`run_page`]: a run folder's index.html.
//!
//! Two private helpers do the drawing: `canvas` (lines, rectangles, dots) and
//! `font` (a tiny built-in pixel font for labels).

mod canvas;
mod font;
pub mod grid;
pub mod montage;
pub mod overlay;
pub mod plot;
pub mod run_page;

use crate::data::DataError;
use image::RgbImage;
use std::path::Path;

/// The format a picture at `path` is written in, from its extension (.png,
/// .jpg, .jpeg); any other extension is an error, so a caller can check a
/// path before doing the work of drawing.
pub fn picture_format(path: &Path) -> Result<image::ImageFormat, DataError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("png") => Ok(image::ImageFormat::Png),
        Some("jpg" | "jpeg") => Ok(image::ImageFormat::Jpeg),
        _ => Err(DataError::WriteImage {
            path: path.to_path_buf(),
            reason: "pictures are written as .png, .jpg or .jpeg: name the file so".into(),
        }),
    }
}

/// Writes `picture` at `path` as PNG or JPEG, as its extension says (.png,
/// .jpg, .jpeg), creating missing parent folders; any other extension is
/// refused rather than written as bytes its name misdescribes.
pub fn save_picture(picture: &RgbImage, path: &Path) -> Result<(), DataError> {
    let write_error = |reason: String| DataError::WriteImage { path: path.to_path_buf(), reason };
    let format = picture_format(path)?;
    if let Some(parent) = path.parent().filter(|parent| !parent.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|error| write_error(format!("could not create folder {}: {error}", parent.display())))?;
    }
    picture.save_with_format(path, format).map_err(|error| write_error(error.to_string()))
}
