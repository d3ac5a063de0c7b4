//! Labelled images on the CPU (28x28 grayscale digits, or the colour
//! pictures of `colour_sets.rs`), and the fixed split of the embedded MNIST
//! subset that the classifier learns from and the metrics compare against.
//!
//! The split: of the 500 digits of each class in mnist5k, the first 400 (in
//! file order) are for training and the last 100 are held out, giving 4,000
//! training and 1,000 held-out digits, both balanced across the ten classes.
//! A fixed rule rather than a seeded shuffle, so it never changes with a seed.

use super::EvalError;
use crate::data::dataset::{fashion_mnist, mnist5k, Dataset, FASHION_DIR};
use crate::Tensor;
use std::path::Path;

/// Side of a digit image.
pub const SIDE: usize = 28;
/// Digits of each class in the training part of the mnist5k split.
pub const TRAIN_PER_CLASS: usize = 400;

/// Images [N, C, H, W] in [-1, 1] and their class labels.
#[derive(Clone)]
pub struct Digits {
    pub pixels: Vec<f32>,
    pub labels: Vec<usize>,
    /// [C, H, W] of one image: [1, 28, 28] for digits.
    pub shape: [usize; 3],
    /// The value around the drawing (-1, black, for digits; 1 for pictures
    /// on white), which fills what a shift uncovers when training.
    pub background: f32,
}

impl Digits {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Labelled 28x28 digits on black.
    pub fn grayscale_28(pixels: Vec<f32>, labels: Vec<usize>) -> Digits {
        Digits { pixels, labels, shape: [1, SIDE, SIDE], background: -1.0 }
    }

    /// Values in one image.
    pub fn image_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// One image's pixels.
    pub fn image(&self, index: usize) -> &[f32] {
        let len = self.image_len();
        &self.pixels[index * len..(index + 1) * len]
    }

    /// All images as one tensor [N, C, H, W].
    pub fn to_tensor(&self) -> Tensor {
        let [c, h, w] = self.shape;
        Tensor::from_slice(&self.pixels, &[self.len(), c, h, w])
    }

    /// The images framed by `border` pixels of background (-1) on every
    /// side, as in the padded datasets (see `report::padding_of`).
    pub fn to_padded_tensor(&self, border: usize) -> Tensor {
        self.to_tensor().pad(&[(0, 0), (0, 0), (border, border), (border, border)], -1.0)
    }

    /// The images and labels at `indices`, in that order.
    pub fn select(&self, indices: &[usize]) -> Digits {
        Digits {
            pixels: indices.iter().flat_map(|&i| self.image(i).iter().copied()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            ..*self
        }
    }
}

/// The two parts of a labelled image dataset.
pub struct Split {
    pub train: Digits,
    pub held_out: Digits,
}

/// The embedded MNIST subset split 4,000 / 1,000 (see the header).
pub fn mnist5k_split() -> Result<Split, EvalError> {
    let data = mnist5k(0)?;
    let labels = data.labels().expect("the embedded mnist5k has labels").to_vec();
    let all = Digits::grayscale_28(data.values().to_vec(), labels);
    let mut seen = [0usize; 10];
    let (mut train, mut held_out) = (Vec::new(), Vec::new());
    for (i, &label) in all.labels.iter().enumerate() {
        let part = if seen[label] < TRAIN_PER_CLASS { &mut train } else { &mut held_out };
        part.push(i);
        seen[label] += 1;
    }
    Ok(Split { train: all.select(&train), held_out: all.select(&held_out) })
}

/// Fashion-MNIST's own split (60,000 training and 10,000 test images), read
/// from the IDX files in `dir` (plain or gzip).
pub fn fashion_split(dir: &Path) -> Result<Split, EvalError> {
    let part = |stem: &str| -> Result<Digits, EvalError> {
        let data = fashion_mnist(dir, stem, 0)?;
        let Some(labels) = data.labels() else {
            return Err(EvalError::InvalidInput(format!(
                "{}: {stem}-images has no {stem}-labels-idx1-ubyte file beside it",
                dir.display()
            )));
        };
        if data.item_shape() != [1, SIDE, SIDE] {
            return Err(EvalError::InvalidInput(format!("{}: {stem}-images are not 28x28 images", dir.display())));
        }
        Ok(Digits::grayscale_28(data.values().to_vec(), labels.to_vec()))
    };
    Ok(Split { train: part("train")?, held_out: part("t10k")? })
}

/// The split named on the command line: `mnist5k` or `fashion`.
pub fn split(dataset: &str) -> Result<Split, EvalError> {
    match dataset {
        "mnist5k" => mnist5k_split(),
        "fashion" => fashion_split(Path::new(FASHION_DIR)),
        other => Err(EvalError::InvalidInput(format!("unknown classifier dataset {other:?}: use mnist5k or fashion"))),
    }
}
