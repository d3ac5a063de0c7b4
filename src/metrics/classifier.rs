//! The evaluation network: a small LeNet-like CNN (LeCun et al. 1998) whose
//! penultimate layer plays the part Inception-v3's pool3 layer plays in FID
//! (Heusel et al. 2017): a 64-unit description of what an image looks like.
//!
//! ```text
//! [N, 1, 28, 28] -> Conv2d(1, 16, k5, s2, p2) -> ReLU     [N, 16, 14, 14]
//!               -> Conv2d(16, 32, k5, s2, p2) -> ReLU     [N, 32, 7, 7]
//!               -> Flatten -> Linear(1568, 64) -> ReLU    [N, 64]  the features
//!               -> Linear(64, 10)                          [N, 10]  class logits
//! ```
//!
//! Strided convolutions instead of pooling keep it cheap enough to train on a
//! CPU's software Vulkan in a few minutes (about 0.3 GFLOP per batch of 64,
//! forward and backward). Half the channels trained faster but stopped at
//! 96.6% held-out accuracy; these reach 97.5%. Images go through in batches of a
//! few hundred with gradients off, and each batch is read back once.

use super::digits::{Digits, SIDE};
use super::EvalError;
use crate::checkpoint::{Loader, Saver};
use crate::nn::{Conv2d, Flatten, Layer, Linear, Module, Relu, Sequential};
use crate::Tensor;
use nalgebra::DMatrix;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Width of the feature layer.
pub const FEATURES: usize = 64;
/// Classes the head predicts.
pub const CLASSES: usize = 10;
/// Images classified per GPU batch (one read-back each).
const EVAL_BATCH: usize = 250;
/// The part name of the network in its safetensors file.
const PART: &str = "classifier";

/// Where the classifier of `dataset` (mnist5k or fashion) lives: the
/// project's data folder, where `ganforge classifier` writes it.
pub fn weights_path(dataset: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("data/classifier-{dataset}.safetensors"))
}

/// The committed weights for the embedded MNIST subset.
pub fn default_weights_path() -> PathBuf {
    weights_path("mnist5k")
}

pub struct Classifier {
    features: Sequential, // [N, 1, 28, 28] -> [N, 64]
    head: Linear,         // [N, 64] -> [N, 10]
}

/// What the classifier says about a set of images, in f64 on the CPU.
pub struct Embedding {
    /// [N, FEATURES]: one row of penultimate-layer activations per image.
    pub features: DMatrix<f64>,
    /// [N, CLASSES]: softmax of the logits, p(y | x).
    pub probabilities: DMatrix<f64>,
}

impl Embedding {
    /// The most probable class of each image.
    pub fn predicted_classes(&self) -> Vec<usize> {
        self.probabilities.row_iter().map(|row| row.transpose().argmax().0).collect()
    }
}

impl Module for Classifier {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("features".into(), &self.features), ("head".into(), &self.head)]
    }
}

impl Classifier {
    /// A freshly initialised network (PyTorch's default initialisation), drawn from `seed`.
    pub fn new(seed: u64) -> Classifier {
        let rng = &mut StdRng::seed_from_u64(seed);
        let features = Sequential::new()
            .push(Conv2d::new(1, 16, 5, 2, 2, rng))
            .push(Relu)
            .push(Conv2d::new(16, 32, 5, 2, 2, rng))
            .push(Relu)
            .push(Flatten)
            .push(Linear::new(32 * 7 * 7, FEATURES, rng))
            .push(Relu);
        Classifier { features, head: Linear::new(FEATURES, CLASSES, rng) }
    }

    /// The features [N, 64] and logits [N, 10] of images [N, 1, 28, 28].
    pub fn forward(&self, images: &Tensor) -> (Tensor, Tensor) {
        let features = self.features.forward(images);
        let logits = self.head.forward(&features);
        (features, logits)
    }

    /// Features and class probabilities of images [N, 1, 28, 28] in [-1, 1],
    /// classified in batches with gradients off. Images [N, 1, 32, 32] (a
    /// model of `mnist5k-32` or `fashion-32`, whose images are the 28x28 ones
    /// with a 2-pixel border of background) are scored on their central 28x28:
    /// what the model drew where the real images have content.
    pub fn embed(&self, images: &Tensor) -> Result<Embedding, EvalError> {
        check_images(images)?;
        let n = images.shape()[0];
        let border = (images.shape()[3] - SIDE) / 2;
        let crop = |start: usize, end: usize| {
            images.slice(&[(start, end), (0, 1), (border, border + SIDE), (border, border + SIDE)])
        };
        Ok(self.embed_batches(n, crop))
    }

    /// `embed` for real images still on the CPU, uploaded one batch at a
    /// time: Fashion-MNIST's 60,000 training images (188 MB) are more than
    /// one storage binding may hold on many adapters.
    pub fn embed_digits(&self, digits: &Digits) -> Embedding {
        self.embed_batches(digits.len(), |start, end| digits.select(&(start..end).collect::<Vec<_>>()).to_tensor())
    }

    /// The embedding of `n` images that `batch(start, end)` hands over as
    /// [end - start, 1, 28, 28] tensors, EVAL_BATCH at a time.
    fn embed_batches(&self, n: usize, batch: impl Fn(usize, usize) -> Tensor) -> Embedding {
        let mut features = Vec::with_capacity(n * FEATURES);
        let mut logits = Vec::with_capacity(n * CLASSES);
        crate::no_grad(|| {
            for start in (0..n).step_by(EVAL_BATCH) {
                let (f, l) = self.forward(&batch(start, (start + EVAL_BATCH).min(n)));
                features.extend(f.to_vec().into_iter().map(f64::from));
                logits.extend(l.to_vec().into_iter().map(f64::from));
            }
        });
        let mut probabilities = DMatrix::from_row_slice(n, CLASSES, &logits);
        for mut row in probabilities.row_iter_mut() {
            let max = row.max();
            row.apply(|v| *v = (*v - max).exp());
            let total = row.sum();
            row /= total;
        }
        Embedding { features: DMatrix::from_row_slice(n, FEATURES, &features), probabilities }
    }

    /// Writes the weights (atomically) with free-form notes in the metadata.
    pub fn save(&self, path: &Path, notes: &BTreeMap<String, String>) -> Result<(), EvalError> {
        let saver = notes.iter().fold(Saver::new().part(PART, self), |s, (k, v)| s.meta(k, v));
        Ok(saver.save(path)?)
    }

    /// Reads weights written by `save`; returns the network and its notes.
    pub fn load(path: &Path) -> Result<(Classifier, BTreeMap<String, String>), EvalError> {
        let mut classifier = Classifier::new(0);
        let notes = Loader::new().part(PART, &mut classifier).load(path)?;
        Ok((classifier, notes))
    }

    /// The committed MNIST classifier (see data/README.md).
    pub fn load_default() -> Result<Classifier, EvalError> {
        Ok(Classifier::load(&default_weights_path())?.0)
    }
}

/// Refuses anything but a batch of single-channel 28x28 images, or 32x32
/// ones padded from them (see `Classifier::embed`).
pub fn check_images(images: &Tensor) -> Result<(), EvalError> {
    match images.shape() {
        &[n, 1, 28, 28] | &[n, 1, 32, 32] if n > 0 => Ok(()),
        shape => Err(EvalError::InvalidInput(format!(
            "the classifier takes images [N, 1, 28, 28] (or [N, 1, 32, 32] padded from them) with N >= 1 \
             (values in [-1, 1]), got shape {shape:?}"
        ))),
    }
}
