//! A multi-scale flow: at each scale a squeeze, then steps of actnorm,
//! channel permutation and affine coupling (Glow's step of flow, with a
//! fixed permutation in place of the 1x1 convolution). The latent z keeps
//! every dimension of x (no factoring out of half the channels at each
//! scale, which RealNVP and Glow do to save work): [C, H, W] becomes
//! [4^s C, H / 2^s, W / 2^s] after s scales.
//!
//! The log-determinant of the whole flow is the sum of its layers' (the
//! Jacobian of a composition is the product of the Jacobians), and its
//! inverse runs the layers' inverses in the opposite order.

use super::{ActNorm, AffineCoupling, ChannelPermutation, FlowLayer, Squeeze};
use crate::nn::Module;
use crate::{no_grad, Tensor};
use rand::Rng;

pub struct Flow {
    layers: Vec<Box<dyn FlowLayer>>,
    /// The picture shape [C, H, W] it maps.
    input: [usize; 3],
}

impl Flow {
    /// A flow on pictures of shape `input`: `scales` scales of `couplings`
    /// steps each, every coupling net with `hidden` maps. The sides must
    /// halve `scales` times.
    pub fn new(
        input: [usize; 3],
        scales: usize,
        couplings: usize,
        hidden: usize,
        rng: &mut impl Rng,
    ) -> Result<Flow, String> {
        let [_, height, width] = input;
        let divisor = 1 << scales;
        if height % divisor != 0 || width % divisor != 0 || height == 0 || width == 0 {
            return Err(format!(
                "a flow of {scales} scales halves the pictures' sides {scales} times: {height}x{width} does not \
                 divide by {divisor}; use pictures whose sides do"
            ));
        }
        let mut layers: Vec<Box<dyn FlowLayer>> = Vec::new();
        let mut shape = input;
        for _ in 0..scales {
            shape = Squeeze.output_shape(shape);
            layers.push(Box::new(Squeeze));
            for _ in 0..couplings {
                layers.push(Box::new(ActNorm::new(shape[0])));
                layers.push(Box::new(ChannelPermutation::new(shape[0], rng)));
                layers.push(Box::new(AffineCoupling::new(shape[0], hidden, rng)));
            }
        }
        Ok(Flow { layers, input })
    }

    /// The picture shape [C, H, W] it maps.
    pub fn input_shape(&self) -> [usize; 3] {
        self.input
    }

    /// The latent shape [C, H, W] of its z.
    pub fn latent_shape(&self) -> [usize; 3] {
        self.layers.iter().fold(self.input, |shape, layer| layer.output_shape(shape))
    }

    /// z = f(x) and log |det df/dx| of each example, [N].
    pub fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let start = (x.clone(), Tensor::zeros(&[x.shape()[0]]));
        self.layers.iter().fold(start, |(y, log_det), layer| {
            let (next, layer_log_det) = layer.forward(&y);
            (next, log_det.add(&layer_log_det))
        })
    }

    /// x = f^-1(z).
    pub fn inverse(&self, z: &Tensor) -> Tensor {
        self.layers.iter().rev().fold(z.clone(), |y, layer| layer.inverse(&y))
    }

    /// The data-dependent start of every actnorm from one batch x: each sees
    /// the batch as it arrives at that layer.
    pub fn initialize(&self, x: &Tensor) {
        no_grad(|| {
            let mut y = x.clone();
            for layer in &self.layers {
                layer.initialize(&y);
                y = layer.forward(&y).0;
            }
        });
    }
}

impl Module for Flow {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        self.layers.iter().enumerate().map(|(i, layer)| (i.to_string(), layer.as_ref() as &dyn Module)).collect()
    }
}
