//! A learned lookup table: class label i selects row i of a [count, dim]
//! weight (how a conditional GAN turns a label into a vector).

use super::{init, resolve, Module};
use crate::tensor::Tensor;
use rand::Rng;

pub struct Embedding {
    weight: Tensor, // [count, dim], from N(0, 1) as in PyTorch
}

impl Embedding {
    pub fn new(count: usize, dim: usize, rng: &mut impl Rng) -> Embedding {
        assert!(count > 0 && dim > 0, "Embedding({count}, {dim}): sizes must be positive");
        let weight = Tensor::zeros(&[count, dim]).requires_grad_();
        init::normal_(&weight, 0.0, 1.0, rng);
        Embedding { weight }
    }

    /// Rows for `indices`: [indices.len(), dim].
    pub fn lookup(&self, indices: &[usize]) -> Tensor {
        Tensor::embedding(indices, &resolve(&self.weight))
    }

    /// Number of rows (classes).
    pub fn count(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl Module for Embedding {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".into(), self.weight.clone())]
    }
}
