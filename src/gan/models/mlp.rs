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

/// The widths and depths of the two perceptrons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MlpSize {
    /// Size of z.
    pub latent: usize,
    /// Units of each hidden layer of G, and how many hidden layers it has.
    pub g_width: usize,
    pub g_layers: usize,
    /// The same for D.
    pub d_width: usize,
    pub d_layers: usize,
}

impl MlpSize {
    /// The standard size for data of `item_shape`: two hidden layers each, of
    /// 128 units and z of size 2 for 2D points, of 512 units and z of size 64 for images.
    pub fn standard(item_shape: &[usize]) -> MlpSize {
        let (latent, width) = if item_shape == [2] { (2, 128) } else { (64, 512) };
        MlpSize { latent, g_width: width, g_layers: 2, d_width: width, d_layers: 2 }
    }
}

impl Mlp {
    /// The standard size (see [`MlpSize::standard`]); the critic takes packs
    /// of `pack` samples (PacGAN; 1: one sample).
    pub fn new(item_shape: &[usize], pack: usize, rng: &mut impl Rng) -> Mlp {
        Mlp::sized(item_shape, MlpSize::standard(item_shape), pack, rng)
    }

    /// Perceptrons of the given size (at least one hidden layer each).
    pub fn sized(item_shape: &[usize], size: MlpSize, pack: usize, rng: &mut impl Rng) -> Mlp {
        let out: usize = item_shape.iter().product();
        let points = item_shape == [2];
        let MlpSize { latent, g_width, g_layers, d_width, d_layers } = size;
        let mut generator = Sequential::new().push(Linear::new(latent, g_width, rng)).push(Relu);
        for _ in 1..g_layers {
            generator = generator.push(Linear::new(g_width, g_width, rng)).push(Relu);
        }
        generator = generator.push(Linear::new(g_width, out, rng));
        if !points {
            generator = generator.push(Tanh);
        }
        let mut features = Sequential::new().push(Linear::new(out * pack, d_width, rng)).push(LeakyRelu(0.2));
        for _ in 1..d_layers {
            features = features.push(Linear::new(d_width, d_width, rng)).push(LeakyRelu(0.2));
        }
        let head = Sequential::new().push(Linear::new(d_width, 1, rng));
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
