//! Avatars with part label maps, for SPADE: DiceBear's "Pixel Art" style
//! (CC0), written as SVG pairs by `tools/dicebear/make_avatars.mjs` and
//! rendered here into pix2pix's layout, the label map on the left (A) and
//! the avatar on the right (B).
//!
//! The label map is stored as a palette picture: each pixel painted in the
//! colour of its class in [`PARTS`] (white for background), so it can be
//! looked at, and it travels through the paired loader (`pairs.rs`) and its
//! flips like any picture. [`one_hot`] turns it back into one channel per
//! class. A pixel of no palette colour belongs to no class (all channels 0).
//!
//! The drawings are on a 16x16 grid with crisp edges (no antialiasing), so
//! at 32x32 every cell is 2x2 pixels of one colour; the rendered label map is
//! snapped to the nearest palette colour anyway, so that any size gives pure
//! classes.
//!
//! Splits are fixed by a hash of the avatar's name (FNV-1a modulo 100):
//! 0..90 train, 90..100 test, independent of the order of the files.

use super::byte_to_signed_unit;
use super::emoji::{check_options, RenderOptions};
use super::render::render_svg;
use super::DataError;
use crate::checkpoint::fnv1a64;
use crate::viz::save_picture;
use crate::{no_grad, Tensor};
use image::RgbImage;
use std::path::Path;

/// The classes of the label maps, by index: name and palette colour. The
/// colours must match `PARTS` in `tools/dicebear/make_avatars.mjs`.
pub const PARTS: [(&str, [u8; 3]); 10] = [
    ("background", [0xff, 0xff, 0xff]),
    ("face", [0xff, 0x8c, 0x00]),
    ("accessories", [0xff, 0xd7, 0x00]),
    ("clothing", [0x1e, 0x90, 0xff]),
    ("eyes", [0x00, 0x00, 0x80]),
    ("glasses", [0x80, 0x80, 0x80]),
    ("beard", [0x55, 0x6b, 0x2f]),
    ("mouth", [0xdc, 0x14, 0x3c]),
    ("hair", [0x8b, 0x45, 0x13]),
    ("hat", [0x94, 0x00, 0xd3]),
];

/// The number of classes.
pub const CLASSES: usize = PARTS.len();

/// The largest L1 distance over R, G, B (in [-1, 1] units) at which a pixel
/// still counts as a palette colour: the closest two colours (face and
/// accessories) lie 0.59 apart, so a pixel is within it of one colour at most.
pub const MATCH_DISTANCE: f32 = 0.25;

/// The suffixes of the two SVGs of one avatar.
const IMAGE_SUFFIX: &str = ".image.svg";
const LABELS_SUFFIX: &str = ".labels.svg";

/// The class whose palette colour is nearest to `rgb`.
pub fn nearest_class(rgb: [u8; 3]) -> usize {
    let distance = |colour: &[u8; 3]| colour.iter().zip(rgb).map(|(&a, b)| a.abs_diff(b) as u32).sum::<u32>();
    (0..CLASSES).min_by_key(|&class| distance(&PARTS[class].1)).expect("PARTS is not empty")
}

/// Label pictures [N, 3, H, W] in [-1, 1] as one-hot maps [N, CLASSES, H, W]:
/// channel k is 1 where the pixel has class k's palette colour, else 0. No
/// gradient flows (the classes are data).
pub fn one_hot(label_pictures: &Tensor) -> Tensor {
    assert!(
        label_pictures.rank() == 4 && label_pictures.shape()[1] == 3,
        "one_hot: label pictures must be [N, 3, H, W], got {:?}",
        label_pictures.shape()
    );
    no_grad(|| {
        let threshold = Tensor::scalar(MATCH_DISTANCE);
        let planes: Vec<Tensor> = PARTS
            .iter()
            .map(|(_, rgb)| {
                let colour = Tensor::from_vec(rgb.map(byte_to_signed_unit).to_vec(), &[1, 3, 1, 1]);
                label_pictures.sub(&colour).abs().sum(&[1], true).lt(&threshold)
            })
            .collect();
        Tensor::concat(&planes.iter().collect::<Vec<_>>(), 1)
    })
}

/// Renders every `NAME.image.svg` of `svg_dir` with its `NAME.labels.svg`
/// into `out/{train,test}/NAME.png` (see the module doc), reporting
/// `(done, total)` after each avatar. Returns the pictures written per split.
pub fn write_pairs(
    svg_dir: &Path,
    out: &Path,
    options: RenderOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<(&'static str, usize)>, DataError> {
    check_options(options, out)?;
    let names = avatar_names(svg_dir)?;
    let mut written = vec![("train", 0), ("test", 0)];
    for (done, name) in names.iter().enumerate() {
        let hash = fnv1a64(name.as_bytes());
        if (hash / 100).is_multiple_of(options.keep_one_in) {
            let split = usize::from(hash % 100 >= 90);
            let picture = render_pair(svg_dir, name, options.size)?;
            save_picture(&picture, &out.join(written[split].0).join(format!("{name}.png")))?;
            written[split].1 += 1;
        }
        progress(done + 1, names.len());
    }
    Ok(written)
}

/// The names NAME of the `NAME.image.svg` files in `svg_dir`, sorted; an
/// error before anything is written when one lacks its `NAME.labels.svg`.
fn avatar_names(svg_dir: &Path) -> Result<Vec<String>, DataError> {
    let entries = std::fs::read_dir(svg_dir).map_err(|source| DataError::Read { path: svg_dir.into(), source })?;
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.strip_suffix(IMAGE_SUFFIX).map(str::to_string))
        .collect();
    if names.is_empty() {
        return Err(DataError::InvalidArgument(format!(
            "{} holds no NAME{IMAGE_SUFFIX} files; write them with tools/dicebear/make_avatars.mjs --out {}",
            svg_dir.display(),
            svg_dir.display()
        )));
    }
    names.sort();
    if let Some(name) = names.iter().find(|name| !svg_dir.join(format!("{name}{LABELS_SUFFIX}")).is_file()) {
        return Err(DataError::InvalidArgument(format!(
            "{} has {name}{IMAGE_SUFFIX} but no {name}{LABELS_SUFFIX}: make_avatars.mjs writes both; write the folder \
             again",
            svg_dir.display()
        )));
    }
    Ok(names)
}

/// One avatar as the picture labels | image, each `size` x `size`, the label
/// map snapped to the palette.
fn render_pair(svg_dir: &Path, name: &str, size: u32) -> Result<RgbImage, DataError> {
    let render = |suffix: &str| -> Result<RgbImage, DataError> {
        let path = svg_dir.join(format!("{name}{suffix}"));
        let svg = std::fs::read(&path).map_err(|source| DataError::Read { path: path.clone(), source })?;
        render_svg(&svg, size).map_err(|reason| {
            DataError::InvalidArgument(format!(
                "{} is not an SVG resvg can draw ({reason}); write it again with make_avatars.mjs",
                path.display()
            ))
        })
    };
    let mut labels = render(LABELS_SUFFIX)?;
    for pixel in labels.pixels_mut() {
        pixel.0 = PARTS[nearest_class(pixel.0)].1;
    }
    let mut pair = RgbImage::new(2 * size, size);
    image::imageops::replace(&mut pair, &labels, 0, 0);
    image::imageops::replace(&mut pair, &render(IMAGE_SUFFIX)?, i64::from(size), 0);
    Ok(pair)
}
