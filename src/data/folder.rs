//! A dataset made of a folder of pictures (PNG or JPEG).
//!
//! Pictures come in all sizes, but a network wants one fixed shape. Each
//! picture is scaled so its shorter side is `size` pixels, then the centre
//! `size x size` square is cut out (the usual "resize + center crop"), and the
//! pixels become floats in [-1, 1] in channel-major (CHW) order.

use super::{byte_to_signed_unit, DataError};
use image::imageops::FilterType;
use image::{DynamicImage, ImageReader};
use std::path::{Path, PathBuf};

/// File extensions accepted as pictures, compared case-insensitively.
pub const IMAGE_EXTENSIONS: [&str; 3] = ["png", "jpg", "jpeg"];

/// Lists the PNG and JPEG files directly inside `dir`, sorted by path so the
/// order is the same on every machine.
pub fn list_images(dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, DataError> {
    let dir = dir.as_ref();
    if !dir.is_dir() {
        return Err(DataError::MissingFolder { path: dir.to_path_buf() });
    }
    let entries = std::fs::read_dir(dir).map_err(|source| DataError::Read { path: dir.to_path_buf(), source })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file() && has_image_extension(path))
        .collect();
    if files.is_empty() {
        return Err(DataError::EmptyFolder { path: dir.to_path_buf() });
    }
    files.sort();
    Ok(files)
}

/// Loads one picture as `channels x size x size` floats in [-1, 1] (CHW).
/// `channels` is 1 (grayscale) or 3 (RGB); the file's own colour type does
/// not matter, it is converted.
pub fn load(path: impl AsRef<Path>, size: u32, channels: usize) -> Result<Vec<f32>, DataError> {
    let path = path.as_ref();
    if size == 0 {
        return Err(DataError::InvalidArgument("image size must be at least 1 pixel".to_string()));
    }
    if channels != 1 && channels != 3 {
        return Err(DataError::InvalidArgument(format!("channels must be 1 (grayscale) or 3 (RGB), got {channels}")));
    }
    let picture = decode(path)?;
    // Scales so the picture covers size x size, then crops the centre.
    let square = picture.resize_to_fill(size, size, FilterType::Triangle);
    let interleaved = if channels == 1 { square.to_luma8().into_raw() } else { square.to_rgb8().into_raw() };
    Ok(interleaved_to_chw(&interleaved, channels))
}

/// Mirrors CHW images left to right, in place: every row of `width` values
/// is reversed. A common augmentation for pictures of faces or objects.
///
/// # Panics
/// If the length is not a multiple of `width`.
pub fn flip_horizontal(chw: &mut [f32], width: usize) {
    assert!(
        width > 0 && chw.len().is_multiple_of(width),
        "{} values do not split into rows of width {width}",
        chw.len()
    );
    for row in chw.chunks_exact_mut(width) {
        row.reverse();
    }
}

fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| IMAGE_EXTENSIONS.iter().any(|accepted| extension.eq_ignore_ascii_case(accepted)))
}

/// Opens a picture, recognising PNG or JPEG by its content, not its name.
pub(super) fn decode(path: &Path) -> Result<DynamicImage, DataError> {
    let unreadable = |reason: String| DataError::UnreadableImage { path: path.to_path_buf(), reason };
    ImageReader::open(path)
        .and_then(|reader| reader.with_guessed_format())
        .map_err(|error| unreadable(error.to_string()))?
        .decode()
        .map_err(|error| unreadable(error.to_string()))
}

/// Turns pixel-interleaved bytes (RGBRGB...) into channel planes
/// (RR..GG..BB..) of floats in [-1, 1].
pub(super) fn interleaved_to_chw(interleaved: &[u8], channels: usize) -> Vec<f32> {
    (0..channels)
        .flat_map(|channel| interleaved.iter().skip(channel).step_by(channels).copied().map(byte_to_signed_unit))
        .collect()
}
