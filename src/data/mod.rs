//! Datasets: where training examples come from.
//!
//! - [`idx`]: MNIST's IDX files (plain or gzip).
//! - [`mixtures`]: the 2D Gaussian mixtures used to study mode collapse.
//! - [`folder`]: a folder of PNG/JPEG pictures.
//! - [`batches`]: seeded shuffling into mini-batches.
//! - [`pairs`]: paired A|B pictures (pix2pix) and unpaired sets (CycleGAN).
//! - [`stacked_mnist`]: three MNIST digits per image, 1,000 modes.
//! - [`dataset`]: the `Dataset` trait, the embedded MNIST subset, and `open`.
//! - [`npm_tarball`]: SVG files read straight out of an npm package's `.tgz`.
//! - [`render`]: one SVG rendered as a square RGB picture on white.
//! - [`emoji`]: OpenMoji and Twemoji rendered into pix2pix's and CycleGAN's
//!   folder layouts.
//! - [`avatars`]: DiceBear avatars beside their part label maps (SPADE).
//!
//! Everything that can go wrong while reading or writing files is a
//! [`DataError`], whose message names the file, says what was wrong and what
//! to do about it.

pub mod avatars;
pub mod batches;
pub mod dataset;
pub mod emoji;
pub mod folder;
pub mod idx;
pub mod mixtures;
pub mod npm_tarball;
pub mod pairs;
pub mod render;
pub mod stacked_mnist;

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Maps a pixel byte 0..=255 to a float in [-1, 1], the range a generator
/// with a `tanh` output produces.
pub fn byte_to_signed_unit(byte: u8) -> f32 {
    f32::from(byte) / 127.5 - 1.0
}

/// Everything that can go wrong while loading data or saving pictures.
#[derive(Debug)]
pub enum DataError {
    /// A file could not be read from disk.
    Read { path: PathBuf, source: io::Error },
    /// An IDX file starts with a magic number other than the expected one.
    WrongMagic { name: String, expected: u32, found: u32 },
    /// An IDX file holds fewer (or more) bytes than its header promises.
    WrongLength { name: String, part: &'static str, expected: usize, found: usize },
    /// A file starts with the gzip magic bytes but does not decompress.
    CorruptGzip { name: String, source: io::Error },
    /// The dataset folder does not exist or is not a folder.
    MissingFolder { path: PathBuf },
    /// The dataset folder holds no PNG or JPEG file.
    EmptyFolder { path: PathBuf },
    /// An image file could not be opened or decoded.
    UnreadableImage { path: PathBuf, reason: String },
    /// A picture could not be written.
    WriteImage { path: PathBuf, reason: String },
    /// A file that is not the npm package tarball it was given as.
    NotPackage { path: PathBuf, problem: String, package: &'static str },
    /// An argument that cannot work, such as a shape that does not match
    /// the data.
    InvalidArgument(String),
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Read { path, source } => write!(
                f,
                "could not read {}: {source}; check that the path is right and the file is readable",
                path.display()
            ),
            DataError::WrongMagic { name, expected, found } => write!(
                f,
                "{name}: wrong IDX magic number: expected 0x{expected:08x}, found 0x{found:08x}; \
                 check that this is the right IDX file (images are 0x00000803, labels 0x00000801)"
            ),
            DataError::WrongLength { name, part, expected, found } => {
                let problem = if found < expected { "truncated" } else { "too long" };
                write!(
                    f,
                    "{name}: file is {problem}: expected {expected} bytes of {part}, found {found}; \
                     the file is damaged or not an IDX file, get a fresh copy"
                )
            }
            DataError::CorruptGzip { name, source } => {
                write!(f, "{name}: corrupt gzip data ({source}); the download was probably cut short, get a fresh copy")
            }
            DataError::MissingFolder { path } => write!(
                f,
                "image folder {} does not exist or is not a folder; pass a folder that holds PNG or JPEG files",
                path.display()
            ),
            DataError::EmptyFolder { path } => write!(
                f,
                "no images found in {}: accepted extensions are .png, .jpg and .jpeg (any case); \
                 put the pictures directly in that folder",
                path.display()
            ),
            DataError::UnreadableImage { path, reason } => {
                write!(f, "could not read image {}: {reason}; remove or re-save that file", path.display())
            }
            DataError::WriteImage { path, reason } => {
                write!(f, "could not write picture {}: {reason}; check that the folder is writable", path.display())
            }
            DataError::NotPackage { path, problem, package } => write!(
                f,
                "{}: {problem}; expected the npm tarball of {package}: get it with `npm pack {package}`",
                path.display()
            ),
            DataError::InvalidArgument(message) => write!(f, "invalid argument: {message}"),
        }
    }
}

impl std::error::Error for DataError {}
