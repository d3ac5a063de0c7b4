//! Dropout as a layer (`Tensor::dropout` in `ops/dropout.rs`): in training
//! mode each element is zeroed with probability p and the survivors scaled by
//! 1 / (1 - p); in evaluation mode the layer is the identity.
//!
//! Every training forward needs a new mask, or the same units would be
//! dropped every step and the rest never regularised. The layer draws each
//! mask's seed from its `SeedStream`, so successive forwards get different
//! masks while a layer rebuilt with the same seed repeats them exactly.
//! Evaluation forwards draw nothing: switching to eval and back does not
//! shift the sequence of masks.

use super::{Layer, Module, SeedStream, TrainingFlag};
use crate::tensor::Tensor;

pub struct Dropout {
    p: f32,
    seeds: SeedStream,
    training: TrainingFlag,
}

impl Dropout {
    /// Drops with probability `p` in [0, 1]; the masks follow from `seed`.
    pub fn new(p: f32, seed: u64) -> Dropout {
        assert!((0.0..=1.0).contains(&p), "Dropout: probability {p} is not in [0, 1]");
        Dropout { p, seeds: SeedStream::new(seed), training: TrainingFlag::default() }
    }

    pub fn p(&self) -> f32 {
        self.p
    }
}

impl Module for Dropout {
    fn set_training(&self, training: bool) {
        self.training.set(training);
    }

    fn own_seed_streams(&self) -> Vec<(String, &SeedStream)> {
        vec![("seeds".to_string(), &self.seeds)]
    }
}

impl Layer for Dropout {
    /// x [any shape] -> the same shape.
    fn forward(&self, x: &Tensor) -> Tensor {
        if !self.training.get() {
            return x.clone();
        }
        x.dropout(self.p, self.seeds.draw(), true)
    }
}
