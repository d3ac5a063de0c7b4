//! Goodfellow et al. (2014)'s fully connected GAN: a generator and a
//! discriminator that are plain multilayer perceptrons. For the 2D mixtures
//! the generator's output is unbounded; for images it ends in tanh and the
//! pixels are flattened.

use super::GanModel;
use crate::nn::{LeakyRelu, Linear, Module, Relu, Sequential, Tanh};
use crate::Tensor;
use rand::Rng;

pub struct Mlp {
    generator: Sequential,
    discriminator: Sequential,
    latent: usize,
    item_shape: Vec<usize>,
}

impl Mlp {
    /// Hidden layers of 128 units for 2D points, 512 for images.
    pub fn new(item_shape: &[usize], rng: &mut impl Rng) -> Mlp {
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
        let discriminator = Sequential::new()
            .push(Linear::new(out, hidden, rng))
            .push(LeakyRelu(0.2))
            .push(Linear::new(hidden, hidden, rng))
            .push(LeakyRelu(0.2))
            .push(Linear::new(hidden, 1, rng));
        Mlp { generator, discriminator, latent, item_shape: item_shape.to_vec() }
    }
}

impl GanModel for Mlp {
    fn generator(&self) -> &dyn Module {
        &self.generator
    }

    fn discriminator(&self) -> &dyn Module {
        &self.discriminator
    }

    fn latent_dim(&self) -> usize {
        self.latent
    }

    fn generate(&self, z: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        let n = z.shape()[0];
        let mut shape = vec![n];
        shape.extend_from_slice(&self.item_shape);
        use crate::nn::Layer;
        self.generator.forward(z).reshape(&shape)
    }

    fn discriminate(&self, x: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        use crate::nn::Layer;
        self.discriminator.forward(&x.flatten(1)).flatten(0)
    }
}
