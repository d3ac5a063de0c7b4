//! Image-to-image data: paired pictures (pix2pix's layout) and two unpaired
//! sets (CycleGAN's layout).
//!
//! pix2pix's layout (Isola et al. 2017): `DIR/train/`, `DIR/val/`,
//! `DIR/test/` (or the pictures directly in `DIR`), each picture an input A
//! and its target B side by side, A on the left, each H x H. One example is
//! the pair as a single image [2C, H, W], A's channels first, then B's, so
//! the shuffles and random flips of `InMemory` act on both halves at once: a
//! mirrored A comes with its mirrored B.
//!
//! CycleGAN's layout (Zhu et al. 2017): `DIR/trainA/`, `DIR/trainB/` (and
//! `testA/`, `testB/`), two sets of pictures with no pairing. Each batch
//! draws from A and from B independently and joins them along the
//! channels, [N, 2C, H, W], so a family splits it as it splits a paired batch.
//!
//! Pictures are read as RGB at their own size, never resized: the halves of
//! a pair must stay aligned pixel for pixel.

use super::dataset::{Batch, Dataset, InMemory};
use super::{folder, DataError};
use crate::Tensor;
use std::path::{Path, PathBuf};

/// Channels of each half: pictures are read as RGB.
pub const CHANNELS: usize = 3;

fn invalid(message: String) -> DataError {
    DataError::InvalidArgument(message)
}

/// The pictures of one folder as CHW floats in [-1, 1], all of one size:
/// (each picture's values, height, width).
fn load_same_size(dir: &Path) -> Result<(Vec<Vec<f32>>, usize, usize), DataError> {
    let files = folder::list_images(dir)?;
    let mut images = Vec::with_capacity(files.len());
    let mut first: Option<(usize, usize)> = None;
    for file in &files {
        let picture = folder::decode(file)?;
        let (width, height) = (picture.width() as usize, picture.height() as usize);
        match first {
            None => first = Some((width, height)),
            Some((w, h)) if (w, h) != (width, height) => {
                return Err(invalid(format!(
                    "{} is {width}x{height} but {} is {w}x{h}: the pictures of one set must all have one size; \
                     resize them to one size",
                    file.display(),
                    files[0].display()
                )))
            }
            Some(_) => {}
        }
        images.push(folder::interleaved_to_chw(&picture.to_rgb8().into_raw(), CHANNELS));
    }
    let (width, height) = first.unwrap_or((0, 0));
    Ok((images, height, width))
}

/// The pictures of one folder, in file-name order, as [N, C, H, W] in [-1, 1]
/// (no shuffle, no flips: CycleGAN's held-out sets).
pub fn load_pictures(dir: &Path) -> Result<Tensor, DataError> {
    let (pictures, height, width) = load_same_size(dir)?;
    let count = pictures.len();
    Ok(Tensor::from_vec(pictures.concat(), &[count, CHANNELS, height, width]))
}

/// One A|B picture [C, H, 2H] as the pair [2C, H, H]: the left half of every
/// row (A) in the first C channels, the right half (B) in the last C.
fn split_halves(chw: &[f32], width: usize) -> Vec<f32> {
    let half = width / 2;
    let a = chw.chunks(width).flat_map(|row| &row[..half]);
    let b = chw.chunks(width).flat_map(|row| &row[half..]);
    a.chain(b).copied().collect()
}

/// Every A|B picture of `dir` as pairs [2C, H, H] (no flips).
pub fn load_pairs(dir: &Path, seed: u64) -> Result<InMemory, DataError> {
    let (pictures, height, width) = load_same_size(dir)?;
    if width % 2 == 1 {
        return Err(invalid(format!(
            "the pictures in {} are {width}x{height}: an odd width does not split into halves A|B of one size; \
             a pair is A and B side by side, each {height}x{height}",
            dir.display()
        )));
    }
    if width != 2 * height {
        return Err(invalid(format!(
            "the pictures in {} are {width}x{height}: a pair is A and B side by side, each square, so its width \
             must be twice its height",
            dir.display()
        )));
    }
    let values = pictures.iter().flat_map(|chw| split_halves(chw, width)).collect();
    let shape = vec![2 * CHANNELS, height, height];
    Ok(InMemory::new(format!("pairs:{}", dir.display()), values, None, shape, seed))
}

/// Every A|B picture of `dir` as one tensor of pairs [N, 2C, H, H], in
/// file-name order (no shuffle, no flips: held-out sets, scores).
pub fn load_pair_tensor(dir: &Path) -> Result<Tensor, DataError> {
    let pairs = load_pairs(dir, 0)?;
    let mut shape = vec![pairs.len()];
    shape.extend_from_slice(pairs.item_shape());
    Ok(Tensor::from_slice(pairs.values(), &shape))
}

/// The folder a layout trains on: `DIR/train` when it exists, else `DIR` itself.
pub fn training_split(dir: &Path) -> PathBuf {
    let train = dir.join("train");
    if train.is_dir() {
        train
    } else {
        dir.to_path_buf()
    }
}

/// The held-out split of a pairs layout and its name: `test/`, else `val/`,
/// else (a layout with no held-out split) the training pairs, named "train"
/// so that what is shown and scored says it is not held out.
pub fn held_out_split(dir: &Path) -> (PathBuf, &'static str) {
    ["test", "val"]
        .into_iter()
        .map(|name| (dir.join(name), name))
        .find(|(path, _)| path.is_dir())
        .unwrap_or_else(|| (training_split(dir), "train"))
}

/// The training pairs of a pix2pix layout, shuffled, each mirrored with
/// probability 1/2 (both halves together).
pub fn paired(dir: &Path, seed: u64) -> Result<InMemory, DataError> {
    if !dir.is_dir() {
        return Err(DataError::MissingFolder { path: dir.to_path_buf() });
    }
    Ok(load_pairs(&training_split(dir), seed)?.with_random_flips())
}

/// Pictures to translate, [N, C, size, size] with at most `limit` of them,
/// and their targets when there are any: the A and B halves of a folder of
/// A|B pairs (pictures twice as wide as tall), else the pictures themselves,
/// scaled and centre-cropped to `size`.
pub fn translation_inputs(dir: &Path, size: usize, limit: usize) -> Result<(Tensor, Option<Tensor>), DataError> {
    let files = folder::list_images(dir)?;
    let first = folder::decode(&files[0])?;
    let n = files.len().min(limit);
    if first.width() == 2 * first.height() {
        let pairs = load_pairs(dir, 0)?;
        let height = pairs.item_shape()[1]; // pairs are [2C, H, H]
        if height != size {
            return Err(invalid(format!(
                "the pairs in {} have {height}x{height} halves; the model translates {size}x{size} pictures",
                dir.display()
            )));
        }
        let item = 2 * CHANNELS * size * size;
        let both = Tensor::from_slice(&pairs.values()[..n * item], &[n, 2 * CHANNELS, size, size]);
        return Ok((both.narrow(1, 0, CHANNELS), Some(both.narrow(1, CHANNELS, 2 * CHANNELS))));
    }
    let mut values = Vec::new();
    for file in &files[..n] {
        values.extend(folder::load(file, size as u32, CHANNELS)?);
    }
    Ok((Tensor::from_vec(values, &[n, CHANNELS, size, size]), None))
}

/// CycleGAN's two unpaired sets, each shuffled and flipped on its own; a
/// batch is A's draw and B's draw joined along the channels.
pub struct Unpaired {
    a: InMemory,
    b: InMemory,
    item_shape: Vec<usize>,
    name: String,
}

impl Unpaired {
    /// `DIR/<split>A` and `DIR/<split>B` (split "train" or "test"): both sets
    /// must hold pictures of one size.
    pub fn open(dir: &Path, split: &str, seed: u64) -> Result<Unpaired, DataError> {
        if !dir.is_dir() {
            return Err(DataError::MissingFolder { path: dir.to_path_buf() });
        }
        let set = |side: &str, seed: u64| -> Result<(InMemory, Vec<usize>), DataError> {
            let path = dir.join(format!("{split}{side}"));
            let (pictures, height, width) = load_same_size(&path)?;
            let shape = vec![CHANNELS, height, width];
            let values = pictures.concat();
            Ok((
                InMemory::new(path.display().to_string(), values, None, shape.clone(), seed).with_random_flips(),
                shape,
            ))
        };
        // Different seeds: A and B are shuffled and flipped independently.
        let (a, a_shape) = set("A", seed)?;
        let (b, b_shape) = set("B", seed ^ 0xB)?;
        if a_shape != b_shape {
            return Err(invalid(format!(
                "{split}A holds {}x{} pictures but {split}B holds {}x{}: both sets must have one size; resize them \
                 to one size",
                a_shape[2], a_shape[1], b_shape[2], b_shape[1]
            )));
        }
        let item_shape = vec![2 * CHANNELS, a_shape[1], a_shape[2]];
        Ok(Unpaired { a, b, item_shape, name: format!("unpaired:{}", dir.display()) })
    }
}

impl Dataset for Unpaired {
    fn describe(&self) -> String {
        format!(
            "{} ({} A and {} B pictures of shape {:?})",
            self.name,
            self.a.len(),
            self.b.len(),
            &self.item_shape[1..]
        )
    }

    fn item_shape(&self) -> &[usize] {
        &self.item_shape
    }

    fn classes(&self) -> Option<usize> {
        None
    }

    /// The smaller set's size: a batch needs that many from each.
    fn example_count(&self) -> Option<usize> {
        Some(self.a.len().min(self.b.len()))
    }

    /// [size, 2C, H, W]: A's draw in the first C channels, B's in the last C.
    fn next_batch(&mut self, size: usize) -> Batch {
        let (a, b) = (self.a.next_batch(size).x, self.b.next_batch(size).x);
        Batch { x: Tensor::concat(&[&a, &b], 1), labels: None }
    }

    fn skip_batch(&mut self, size: usize) {
        self.a.skip_batch(size);
        self.b.skip_batch(size);
    }
}
