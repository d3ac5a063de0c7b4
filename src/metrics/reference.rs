//! The real images every score is measured against, embedded once and cached
//! next to the classifier's weights (as pytorch-fid ships its precomputed
//! statistics): `classifier-mnist5k.safetensors` has
//! `classifier-mnist5k-reference.safetensors` beside it.
//!
//! The cache holds the classifier's features and class probabilities of the
//! split's training images (the reference of FID, KID and precision/recall)
//! and of its held-out images (the floor). Beyond saving the embedding pass
//! (seconds for 5,000 digits, minutes for Fashion-MNIST's 70,000 on a CPU),
//! it keeps the reference identical on every device: a GPU whose rounding
//! differs slightly still scores against the same numbers. The file records
//! a fingerprint of the weights it was made with; when the weights change
//! (a retrained classifier), the reference is embedded again and rewritten.

use super::classifier::{Classifier, Embedding, FEATURES};
use super::digits::Split;
use super::EvalError;
use crate::checkpoint::{fnv1a64, Loader, Saver, Stateful};
use crate::Tensor;
use nalgebra::DMatrix;
use std::path::{Path, PathBuf};

/// The real side of every comparison.
pub struct Reference {
    /// The training images' embedding: what generated images are compared with.
    pub train: Embedding,
    /// The held-out images' embedding: scored against `train`, the floor.
    pub held_out: Embedding,
}

/// Metadata key of the weights' fingerprint.
const WEIGHTS_KEY: &str = "weights_fnv1a64";

/// Where the cache of the classifier at `weights` lives.
pub fn cache_path(weights: &Path) -> PathBuf {
    let stem = weights.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    weights.with_file_name(format!("{stem}-reference.safetensors"))
}

impl Reference {
    /// The cached embedding of `split` when the cache beside `weights` was
    /// made with these weights; otherwise embeds the split with `classifier`
    /// and writes the cache (a folder that cannot be written to only costs
    /// the embedding next time, so that failure is not an error).
    pub fn load_or_embed(classifier: &Classifier, weights: &Path, split: &Split) -> Result<Reference, EvalError> {
        let bytes = std::fs::read(weights).map_err(|e| {
            EvalError::InvalidInput(format!("could not read the classifier weights {}: {e}", weights.display()))
        })?;
        let fingerprint = format!("{:016x}", fnv1a64(&bytes));
        let path = cache_path(weights);
        if let Some(reference) = Reference::read(&path, &fingerprint, split, classifier.classes()) {
            return Ok(reference);
        }
        let reference = Reference {
            train: classifier.embed_digits(&split.train),
            held_out: classifier.embed_digits(&split.held_out),
        };
        let _ = reference.write(&path, &fingerprint);
        Ok(reference)
    }

    /// The cache at `path`, if it exists, is intact, matches the split's sizes
    /// and was made with the weights of this fingerprint.
    fn read(path: &Path, fingerprint: &str, split: &Split, classes: usize) -> Option<Reference> {
        let mut train = EmbeddingState::zeros(split.train.len(), classes);
        let mut held_out = EmbeddingState::zeros(split.held_out.len(), classes);
        let metadata = Loader::new().part("train", &mut train).part("held_out", &mut held_out).load(path).ok()?;
        (metadata.get(WEIGHTS_KEY).map(String::as_str) == Some(fingerprint))
            .then(|| Reference { train: train.to_embedding(), held_out: held_out.to_embedding() })
    }

    fn write(&self, path: &Path, fingerprint: &str) -> Result<(), EvalError> {
        Saver::new()
            .part("train", &EmbeddingState::of(&self.train))
            .part("held_out", &EmbeddingState::of(&self.held_out))
            .meta(WEIGHTS_KEY, fingerprint)
            .save(path)?;
        Ok(())
    }
}

/// An embedding as f32 tensors, the form a checkpoint file holds (the
/// classifier computes in f32, so nothing is lost).
struct EmbeddingState {
    features: Tensor,
    probabilities: Tensor,
}

impl EmbeddingState {
    fn zeros(rows: usize, classes: usize) -> EmbeddingState {
        EmbeddingState { features: Tensor::zeros(&[rows, FEATURES]), probabilities: Tensor::zeros(&[rows, classes]) }
    }

    fn of(embedding: &Embedding) -> EmbeddingState {
        // nalgebra stores columns first; the transpose's storage is m row by row.
        let tensor = |m: &DMatrix<f64>| {
            Tensor::from_vec(m.transpose().iter().map(|&v| v as f32).collect(), &[m.nrows(), m.ncols()])
        };
        EmbeddingState { features: tensor(&embedding.features), probabilities: tensor(&embedding.probabilities) }
    }

    fn to_embedding(&self) -> Embedding {
        let matrix = |t: &Tensor| {
            let values: Vec<f64> = t.to_vec().into_iter().map(f64::from).collect();
            DMatrix::from_row_slice(t.shape()[0], t.shape()[1], &values)
        };
        Embedding { features: matrix(&self.features), probabilities: matrix(&self.probabilities) }
    }
}

impl Stateful for EmbeddingState {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        vec![("features".into(), self.features.clone()), ("probabilities".into(), self.probabilities.clone())]
    }
}
