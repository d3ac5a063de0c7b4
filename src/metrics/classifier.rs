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
//! The same layers serve the colour 32x32 sets of image-to-image translation
//! (`colour_sets.rs`): [N, 3, 32, 32] -> [N, 16, 16, 16] -> [N, 32, 8, 8] ->
//! Linear(2048, 64) -> one logit per class of that set. A network's input
//! shape and class count are written into its file, so `load` rebuilds it
//! (files without them are the digits' [1, 28, 28] and 10 classes).
//!
//! Strided convolutions instead of pooling keep it cheap enough to train on a
//! CPU's software Vulkan in a few minutes (about 0.3 GFLOP per batch of 64,
//! forward and backward). Half the channels trained faster but stopped at
//! 96.6% held-out accuracy; these reach 97.5%. Images go through in batches of a
//! few hundred with gradients off, and each batch is read back once.

use super::digits::Digits;
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
/// Classes of the digit classifiers (MNIST, Fashion-MNIST).
pub const CLASSES: usize = 10;
/// The picture shape [C, H, W] of the digit classifiers.
pub const DIGIT_INPUT: [usize; 3] = [1, 28, 28];
/// Images classified per GPU batch (one read-back each).
const EVAL_BATCH: usize = 250;
/// The part name of the network in its safetensors file.
const PART: &str = "classifier";
/// Metadata keys of the input shape ("3x32x32") and the class count.
const INPUT_KEY: &str = "input_shape";
const CLASSES_KEY: &str = "classes";

/// Where the classifier of `dataset` (mnist5k, fashion, emoji or avatars) lives: the
/// project's data folder, where `ganforge classifier` writes it.
pub fn weights_path(dataset: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("data/classifier-{dataset}.safetensors"))
}

/// The committed weights for the embedded MNIST subset.
pub fn default_weights_path() -> PathBuf {
    weights_path("mnist5k")
}

pub struct Classifier {
    features: Sequential, // [N, C, H, W] -> [N, 64]
    head: Linear,         // [N, 64] -> [N, classes]
    input: [usize; 3],
    classes: usize,
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
    /// A freshly initialised network for pictures of shape `input` [C, H, W]
    /// and `classes` classes (PyTorch's default initialisation), drawn from `seed`.
    pub fn new(input: [usize; 3], classes: usize, seed: u64) -> Classifier {
        let rng = &mut StdRng::seed_from_u64(seed);
        // A k5 s2 p2 convolution maps a side s to ceil(s / 2).
        let halved_twice = |side: usize| side.div_ceil(2).div_ceil(2);
        let [channels, height, width] = input;
        let features = Sequential::new()
            .push(Conv2d::new(channels, 16, 5, 2, 2, rng))
            .push(Relu)
            .push(Conv2d::new(16, 32, 5, 2, 2, rng))
            .push(Relu)
            .push(Flatten)
            .push(Linear::new(32 * halved_twice(height) * halved_twice(width), FEATURES, rng))
            .push(Relu);
        Classifier { features, head: Linear::new(FEATURES, classes, rng), input, classes }
    }

    /// The picture shape [C, H, W] the network takes.
    pub fn input(&self) -> [usize; 3] {
        self.input
    }

    /// The number of classes its head predicts.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Refuses anything but a batch of pictures of the network's shape
    /// [C, H, W], or of one with an even border around it on every side
    /// (see `embed`).
    pub fn check_images(&self, images: &Tensor) -> Result<(), EvalError> {
        let [channels, height, width] = self.input;
        let even_border =
            |h: usize, w: usize| h >= height && w >= width && h - height == w - width && (h - height).is_multiple_of(2);
        match *images.shape() {
            [n, c, h, w] if n > 0 && c == channels && even_border(h, w) => Ok(()),
            ref shape => Err(EvalError::InvalidInput(format!(
                "this classifier takes images [N, {channels}, {height}, {width}] (or larger by an even border) \
                 with N >= 1 (values in [-1, 1]), got shape {shape:?}"
            ))),
        }
    }

    /// The features [N, 64] and logits [N, classes] of images [N, C, H, W].
    pub fn forward(&self, images: &Tensor) -> (Tensor, Tensor) {
        let features = self.features.forward(images);
        let logits = self.head.forward(&features);
        (features, logits)
    }

    /// Features and class probabilities of images [N, C, H, W] in [-1, 1],
    /// classified in batches with gradients off. Images larger by the same
    /// even border on every side (a model of `mnist5k-32` or `fashion-32`,
    /// whose images are the 28x28 ones with a 2-pixel border of background)
    /// are scored on their centre: what the model drew where the real images
    /// have content.
    pub fn embed(&self, images: &Tensor) -> Result<Embedding, EvalError> {
        self.check_images(images)?;
        let [channels, height, width] = self.input;
        let n = images.shape()[0];
        let border = (images.shape()[2] - height) / 2;
        let crop = |start: usize, end: usize| {
            images.slice(&[(start, end), (0, channels), (border, border + height), (border, border + width)])
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
    /// [end - start, C, H, W] tensors, EVAL_BATCH at a time.
    fn embed_batches(&self, n: usize, batch: impl Fn(usize, usize) -> Tensor) -> Embedding {
        let mut features = Vec::with_capacity(n * FEATURES);
        let mut logits = Vec::with_capacity(n * self.classes);
        crate::no_grad(|| {
            for start in (0..n).step_by(EVAL_BATCH) {
                let (f, l) = self.forward(&batch(start, (start + EVAL_BATCH).min(n)));
                features.extend(f.to_vec().into_iter().map(f64::from));
                logits.extend(l.to_vec().into_iter().map(f64::from));
            }
        });
        let mut probabilities = DMatrix::from_row_slice(n, self.classes, &logits);
        for mut row in probabilities.row_iter_mut() {
            let max = row.max();
            row.apply(|v| *v = (*v - max).exp());
            let total = row.sum();
            row /= total;
        }
        Embedding { features: DMatrix::from_row_slice(n, FEATURES, &features), probabilities }
    }

    /// Writes the weights (atomically) with free-form notes in the metadata,
    /// and the input shape and class count `load` rebuilds the network from.
    pub fn save(&self, path: &Path, notes: &BTreeMap<String, String>) -> Result<(), EvalError> {
        let [c, h, w] = self.input;
        let saver =
            Saver::new().part(PART, self).meta(INPUT_KEY, format!("{c}x{h}x{w}")).meta(CLASSES_KEY, self.classes);
        Ok(notes.iter().fold(saver, |s, (k, v)| s.meta(k, v)).save(path)?)
    }

    /// Reads weights written by `save`; returns the network and its notes.
    pub fn load(path: &Path) -> Result<(Classifier, BTreeMap<String, String>), EvalError> {
        let notes = Loader::new().load(path)?; // the metadata alone: which network to build
        let unreadable = |key: &str| {
            EvalError::InvalidInput(format!(
                "{}: the classifier's {key} {:?} is not readable; retrain it with `ganforge classifier`",
                path.display(),
                notes[key]
            ))
        };
        let input = match notes.get(INPUT_KEY) {
            None => DIGIT_INPUT,
            Some(text) => match text.split('x').map(str::parse).collect::<Result<Vec<usize>, _>>().as_deref() {
                Ok(&[c, h, w]) if c * h * w > 0 => [c, h, w],
                _ => return Err(unreadable(INPUT_KEY)),
            },
        };
        let classes = match notes.get(CLASSES_KEY) {
            None => CLASSES,
            Some(text) => text.parse().ok().filter(|&k| k > 0).ok_or_else(|| unreadable(CLASSES_KEY))?,
        };
        let mut classifier = Classifier::new(input, classes, 0);
        let notes = Loader::new().part(PART, &mut classifier).load(path)?;
        Ok((classifier, notes))
    }

    /// The committed MNIST classifier (see data/README.md).
    pub fn load_default() -> Result<Classifier, EvalError> {
        Ok(Classifier::load(&default_weights_path())?.0)
    }
}
