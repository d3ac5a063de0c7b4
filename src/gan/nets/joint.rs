//! The joint discriminator D(x, z) of BiGAN/ALI and VEEGAN: it sees a sample
//! and a latent code side by side, and tells pairs made by the encoder,
//! (x, E(x)) with x real, from pairs made by the generator, (G(z), z). Only
//! when the two joint distributions agree can it not tell them apart, which
//! is what makes E invert G (Donahue et al., Theorem 2).

use super::perceptron;
use crate::nn::{Layer, Module, Sequential};
use crate::Tensor;
use rand::Rng;

pub struct JointCritic {
    net: Sequential,
}

impl JointCritic {
    /// For samples of `item_shape` and codes of `latent` values: the two
    /// concatenated, two hidden layers, one logit.
    pub fn new(item_shape: &[usize], latent: usize, hidden: usize, rng: &mut impl Rng) -> JointCritic {
        let sample: usize = item_shape.iter().product();
        JointCritic { net: perceptron(&[sample + latent, hidden, hidden, 1], rng) }
    }

    /// D(x, z): samples x [N, ...] and codes z [N, latent] to logits [N].
    pub fn logits(&self, x: &Tensor, z: &Tensor) -> Tensor {
        assert!(
            z.rank() == 2 && x.shape()[0] == z.shape()[0],
            "joint critic: samples {:?} and codes {:?} need the same batch, codes as [N, latent]",
            x.shape(),
            z.shape()
        );
        self.net.forward(&Tensor::concat(&[&x.flatten(1), z], 1)).flatten(0)
    }
}

impl Module for JointCritic {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("net".into(), &self.net)]
    }
}
