//! How the evaluation classifier is trained: the recipe behind the committed
//! weights, deterministic for a fixed seed, so anyone can remake them.
//!
//! Adam (lr 2e-3, a tenth of it for the last third of the 12 epochs) on the mean cross-entropy of the logits, mini-batches of 64
//! from a seeded shuffle, and light augmentation: every training image is
//! shifted by up to 2 pixels in each direction (a translation the digit's
//! class does not depend on; the uncovered border gets the background value,
//! -1 for digits, 1 for the colour pictures on white). The same recipe
//! trains the feature nets of the colour sets (`colour_sets.rs`). The augmentation, the shuffle and the initialisation all draw from
//! generators seeded by the recipe, and the GPU kernels sum in a fixed order,
//! so two runs give bit-identical weights.

use super::classifier::Classifier;
use super::digits::{Digits, Split};
use super::EvalError;
use crate::data::batches::BatchSampler;
use crate::nn::Module;
use crate::optim::{Adam, Optimizer};
use crate::Tensor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::path::Path;

/// Everything that decides the trained weights.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f32,
    /// Largest shift of the augmentation, in pixels, along each axis.
    pub max_shift: usize,
    pub seed: u64,
}

impl Default for Recipe {
    /// The recipe of the committed weights.
    fn default() -> Recipe {
        Recipe { epochs: 12, batch: 64, learning_rate: 2e-3, max_shift: 2, seed: 0 }
    }
}

impl Recipe {
    /// Optimiser steps the recipe takes on `examples` training images.
    pub fn steps(&self, examples: usize) -> usize {
        self.epochs * (examples / self.batch)
    }

    /// The last third of the epochs (rounded down) run at a tenth of the
    /// learning rate: a step decay, whose smaller steps settle into the
    /// minimum the large ones found. A fraction rather than a count, so a
    /// shorter `--epochs` still spends most of its steps at the full rate.
    pub fn decayed_epochs(&self) -> usize {
        self.epochs / 3
    }

    /// The recipe as notes for the weights file's metadata.
    pub fn describe(&self) -> String {
        format!(
            "epochs {} (last {} at lr / 10), batch {}, Adam lr {}, shift <= {} px, seed {}",
            self.epochs,
            self.decayed_epochs(),
            self.batch,
            self.learning_rate,
            self.max_shift,
            self.seed
        )
    }
}

/// Trains a fresh classifier on `train` by `recipe`. `progress` is called
/// after every step with (step, total steps, loss); reading the loss
/// (`item()`) waits for the GPU, so read it only now and then.
pub fn train(
    train: &Digits,
    recipe: &Recipe,
    mut progress: impl FnMut(usize, usize, &Tensor),
) -> Result<Classifier, EvalError> {
    if train.len() < recipe.batch || recipe.batch == 0 {
        return Err(EvalError::InvalidInput(format!(
            "cannot train on {} images in batches of {}",
            train.len(),
            recipe.batch
        )));
    }
    let classifier = Classifier::new(train.shape, classes(train), recipe.seed);
    let mut optimizer = Adam::new(classifier.parameters(), recipe.learning_rate);
    let mut sampler = BatchSampler::new(train.len(), recipe.batch, recipe.seed);
    let mut shifts = StdRng::seed_from_u64(recipe.seed ^ 0x5817F7);
    let total = recipe.steps(train.len());
    let decay_from = total.saturating_sub(recipe.decayed_epochs() * (train.len() / recipe.batch));
    for step in 1..=total {
        if step == decay_from + 1 {
            optimizer.set_learning_rate(recipe.learning_rate / 10.0);
        }
        let batch = train.select(sampler.next_batch());
        let images = shifted(&batch, recipe.max_shift, &mut shifts);
        let (_, logits) = classifier.forward(&images);
        let loss = logits.cross_entropy(&batch.labels);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        progress(step, total, &loss);
    }
    Ok(classifier)
}

/// The classes a classifier of `digits` predicts: 0 up to the largest label.
fn classes(digits: &Digits) -> usize {
    digits.labels.iter().max().map_or(0, |&label| label + 1)
}

/// The images of `batch` as [N, C, H, W], each moved by a random (dx, dy)
/// in [-max_shift, max_shift]^2 (all channels alike).
fn shifted(batch: &Digits, max_shift: usize, rng: &mut StdRng) -> Tensor {
    let [channels, height, width] = batch.shape;
    let (h, w, max_shift) = (height as i64, width as i64, max_shift as i64);
    let mut pixels = vec![batch.background; batch.pixels.len()];
    for (i, out) in pixels.chunks_exact_mut(batch.image_len()).enumerate() {
        let dx = rng.random_range(-max_shift..=max_shift);
        let dy = rng.random_range(-max_shift..=max_shift);
        let image = batch.image(i);
        for (out, image) in out.chunks_exact_mut(height * width).zip(image.chunks_exact(height * width)) {
            for y in 0..h {
                for x in 0..w {
                    let (sx, sy) = (x - dx, y - dy);
                    if (0..w).contains(&sx) && (0..h).contains(&sy) {
                        out[(y * w + x) as usize] = image[(sy * w + sx) as usize];
                    }
                }
            }
        }
    }
    Tensor::from_vec(pixels, &[batch.len(), channels, height, width])
}

/// The fraction of `digits` whose most probable class is their label.
pub fn accuracy(classifier: &Classifier, digits: &Digits) -> f64 {
    let predicted = classifier.embed_digits(digits).predicted_classes();
    let correct = predicted.iter().zip(&digits.labels).filter(|(p, l)| p == l).count();
    correct as f64 / digits.len() as f64
}

/// Measures the held-out accuracy, then saves the weights with notes saying
/// how they were made (dataset, split sizes, recipe, accuracy). Returns the
/// accuracy as a sentence.
pub fn save_trained(
    classifier: &Classifier,
    split: &Split,
    recipe: &Recipe,
    dataset: &str,
    path: &Path,
) -> Result<String, EvalError> {
    let held_out = accuracy(classifier, &split.held_out);
    let notes = BTreeMap::from([
        ("dataset".to_string(), dataset.to_string()),
        ("split".to_string(), format!("{} train / {} held out", split.train.len(), split.held_out.len())),
        ("recipe".to_string(), recipe.describe()),
        ("held_out_accuracy".to_string(), format!("{held_out:.4}")),
    ]);
    classifier.save(path, &notes)?;
    Ok(format!("held-out accuracy {:.2}% ({} images)", 100.0 * held_out, split.held_out.len()))
}
