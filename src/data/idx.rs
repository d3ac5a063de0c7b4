//! Reader for the IDX format that MNIST is distributed in.
//!
//! An IDX file is a big-endian header followed by raw bytes:
//!
//! ```text
//! magic (u32)   0x00000803 for images, 0x00000801 for labels
//! count (u32)   number of items
//! rows  (u32)   images only
//! cols  (u32)   images only
//! data          count * rows * cols bytes (images) or count bytes (labels)
//! ```
//!
//! Files are often gzip-compressed (`.gz`). We detect gzip by its two magic
//! bytes `1f 8b` rather than by the file name, so a renamed file still works.

use super::{byte_to_signed_unit, DataError};
use flate2::read::GzDecoder;
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

/// Magic number at the start of an IDX file of unsigned-byte images.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number at the start of an IDX file of unsigned-byte labels.
pub const LABELS_MAGIC: u32 = 0x0000_0801;

pub(super) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Grayscale images as stored in the file: `count` images of `rows x cols`
/// bytes (0 = background, 255 = ink), one after the other, row by row.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

impl Images {
    /// The pixels as floats in [-1, 1], laid out row-major as
    /// `[count, 1, rows, cols]` (one channel), ready to upload as a tensor.
    pub fn to_signed_unit_f32(&self) -> Vec<f32> {
        self.pixels.iter().copied().map(byte_to_signed_unit).collect()
    }
}

/// Reads an IDX images file (plain or gzip).
pub fn read_idx_images(path: impl AsRef<Path>) -> Result<Images, DataError> {
    let path = path.as_ref();
    read_idx_images_from_bytes(&read_file(path)?, &path.display().to_string())
}

/// Reads an IDX labels file (plain or gzip).
pub fn read_idx_labels(path: impl AsRef<Path>) -> Result<Vec<u8>, DataError> {
    let path = path.as_ref();
    read_idx_labels_from_bytes(&read_file(path)?, &path.display().to_string())
}

/// Parses the bytes of an IDX images file (plain or gzip); `name` is used in
/// error messages, usually the file name.
pub fn read_idx_images_from_bytes(bytes: &[u8], name: &str) -> Result<Images, DataError> {
    let bytes = decompress_if_gzip(bytes, name)?;
    let (dims, data) = split_header(&bytes, name, IMAGES_MAGIC, 3)?;
    let pixels = take_exact(data, name, "pixel data", &dims)?;
    Ok(Images { count: dims[0], rows: dims[1], cols: dims[2], pixels })
}

/// Parses the bytes of an IDX labels file (plain or gzip); `name` is used in
/// error messages, usually the file name.
pub fn read_idx_labels_from_bytes(bytes: &[u8], name: &str) -> Result<Vec<u8>, DataError> {
    let bytes = decompress_if_gzip(bytes, name)?;
    let (dims, data) = split_header(&bytes, name, LABELS_MAGIC, 1)?;
    take_exact(data, name, "label data", &dims)
}

fn read_file(path: &Path) -> Result<Vec<u8>, DataError> {
    std::fs::read(path).map_err(|source| DataError::Read { path: path.to_path_buf(), source })
}

/// Returns the bytes unchanged, or decompressed when they start like gzip.
fn decompress_if_gzip<'a>(bytes: &'a [u8], name: &str) -> Result<Cow<'a, [u8]>, DataError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut decompressed = Vec::new();
    GzDecoder::new(bytes)
        .read_to_end(&mut decompressed)
        .map_err(|source| DataError::CorruptGzip { name: name.to_string(), source })?;
    Ok(Cow::Owned(decompressed))
}

/// Checks the magic number and reads `dim_count` sizes from the header.
/// Returns the sizes and the data bytes that follow the header.
fn split_header<'a>(
    bytes: &'a [u8],
    name: &str,
    expected_magic: u32,
    dim_count: usize,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let header_len = 4 * (1 + dim_count);
    let short_header =
        || DataError::WrongLength { name: name.to_string(), part: "header", expected: header_len, found: bytes.len() };
    let words: Vec<u32> = bytes
        .chunks_exact(4)
        .take(1 + dim_count)
        .map(|word| u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
        .collect();
    // The magic number comes first: a wrong kind of file is reported as such
    // even when it is too short to hold our header.
    let found_magic = *words.first().ok_or_else(short_header)?;
    if found_magic != expected_magic {
        return Err(DataError::WrongMagic { name: name.to_string(), expected: expected_magic, found: found_magic });
    }
    if words.len() < 1 + dim_count {
        return Err(short_header());
    }
    let dims = words[1..].iter().map(|&size| size as usize).collect();
    Ok((dims, &bytes[header_len..]))
}

/// Copies the data bytes after checking there are exactly as many as the
/// header's sizes multiply to.
fn take_exact(data: &[u8], name: &str, part: &'static str, dims: &[usize]) -> Result<Vec<u8>, DataError> {
    // A damaged header can hold sizes whose product overflows; saturating
    // keeps that an ordinary "wrong length" error instead of a panic.
    let expected = dims.iter().fold(1usize, |acc, &d| acc.saturating_mul(d));
    if data.len() != expected {
        return Err(DataError::WrongLength { name: name.to_string(), part, expected, found: data.len() });
    }
    Ok(data.to_vec())
}
