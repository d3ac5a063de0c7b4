//! Goodfellow et al. (2014)'s fully connected GAN: a generator and a
//! discriminator that are plain multilayer perceptrons. For the 2D mixtures
//! the generator's output is unbounded; for images it ends in tanh and the
//! pixels are flattened.

use super::{GanModel, SplitCritic};
use crate::gan::family::Sampler;
use crate::nn::{Layer, LeakyRelu, Linear, Module, Relu, Sequential, Tanh};
use crate::Tensor;
use rand::Rng;

pub struct Mlp {
    generator: Sequential,
    discriminator: SplitCritic,
    latent: usize,
    item_shape: Vec<usize>,
}

impl Mlp {
    /// Hidden layers of 128 units for 2D points, 512 for images; the critic
    /// takes packs of `pack` samples (PacGAN; 1: one sample).
    pub fn new(item_shape: &[usize], pack: usize, rng: &mut impl Rng) -> Mlp {
        let out: usize = item_shape.iter().product();
        let points = item_shape == [2];
        let (latent, hidden) = if points { (2, 128) } else { (64, 512) };
        let mut generator = Sequential::new()
            .push(Linear::new(latent, hidden, rng))
            .push(Relu)
            .push(Linear::new(hidden, hidden, rng))
            .push(Relu)
            .push(Linear::new(hidden, out, rng));
        if !points {
            generator = generator.push(Tanh);
        }
        let features = Sequential::new()
            .push(Linear::new(out * pack, hidden, rng))
            .push(LeakyRelu(0.2))
            .push(Linear::new(hidden, hidden, rng))
            .push(LeakyRelu(0.2));
        let head = Sequential::new().push(Linear::new(hidden, 1, rng));
        let discriminator = SplitCritic { features, head };
        Mlp { generator, discriminator, latent, item_shape: item_shape.to_vec() }
    }
}

impl Sampler for Mlp {
    fn generator(&self) -> &dyn Module {
        &self.generator
    }

    fn latent_dim(&self) -> usize {
        self.latent
    }

    fn generate(&self, z: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        let n = z.shape()[0];
        let mut shape = vec![n];
        shape.extend_from_slice(&self.item_shape);
        self.generator.forward(z).reshape(&shape)
    }
}

impl GanModel for Mlp {
    fn discriminator(&self) -> &dyn Module {
        &self.discriminator
    }

    fn critic_features(&self, x: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.discriminator.features(&x.flatten(1))
    }

    fn critic_head(&self, features: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.discriminator.head(features)
    }
}
