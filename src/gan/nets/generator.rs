//! A generator z -> x that is a perceptron with two hidden layers: unbounded
//! output for 2D points, tanh and a reshape to [C, H, W] for images.

use super::perceptron;
use crate::gan::family::Sampler;
use crate::nn::{Layer, Module, Sequential, Tanh};
use crate::Tensor;
use rand::Rng;

pub struct MlpGenerator {
    net: Sequential,
    latent: usize,
    item_shape: Vec<usize>,
}

impl MlpGenerator {
    pub fn new(latent: usize, hidden: usize, item_shape: &[usize], rng: &mut impl Rng) -> MlpGenerator {
        let out: usize = item_shape.iter().product();
        let mut net = perceptron(&[latent, hidden, hidden, out], rng);
        if item_shape != [2] {
            net = net.push(Tanh);
        }
        MlpGenerator { net, latent, item_shape: item_shape.to_vec() }
    }
}

impl Sampler for MlpGenerator {
    fn generator(&self) -> &dyn Module {
        &self.net
    }

    fn latent_dim(&self) -> usize {
        self.latent
    }

    /// z [N, latent] to samples [N, ...item shape].
    fn generate(&self, z: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        let mut shape = vec![z.shape()[0]];
        shape.extend_from_slice(&self.item_shape);
        self.net.forward(z).reshape(&shape)
    }
}
