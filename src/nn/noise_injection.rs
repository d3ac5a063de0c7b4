//! StyleGAN's noise injection as a layer (`Tensor::noise_injection` in
//! `ops/feature_maps.rs`; Karras et al., 2019): after each convolution of the
//! synthesis network, one image of Gaussian noise per sample is added to every
//! channel, scaled by a learned per-channel "weight" [C]. The noise supplies
//! the stochastic detail (hair, pores, freckles) that the style need not
//! encode. The weight starts at zero, as in StyleGAN, so a new layer is the
//! identity and training decides how much noise each channel takes.
//! StyleGAN2 has one strength per layer instead (`per_layer`): every
//! channel takes the noise at the same scale.
//!
//! The noise is part of what the generator computes, so it is drawn in
//! evaluation mode too (StyleGAN's default "random" noise mode; dropping it
//! would change the samples the generator was trained to make): the layer has
//! no training mode. Each forward draws a fresh noise image from the layer's
//! `SeedStream`; `forward_with_noise` takes the noise from the caller instead,
//! for pictures that must repeat exactly.

use super::{resolve, Layer, Module, SeedStream};
use crate::tensor::Tensor;

pub struct NoiseInjection {
    weight: Tensor, // [C], or [1] for the whole layer; starts at zeros
    seeds: SeedStream,
}

impl NoiseInjection {
    /// A layer for `channels` channels whose noise images follow from `seed`.
    pub fn new(channels: usize, seed: u64) -> NoiseInjection {
        assert!(channels > 0, "NoiseInjection({channels}): the channel count must be positive");
        NoiseInjection { weight: Tensor::zeros(&[channels]).requires_grad_(), seeds: SeedStream::new(seed) }
    }

    /// StyleGAN2's layer: one strength [1] (the official `noise_strength`) for all channels.
    pub fn per_layer(seed: u64) -> NoiseInjection {
        NoiseInjection::new(1, seed)
    }

    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// x [N, C, H, W] + weight [C] * noise [N, 1, H, W], with the caller's
    /// noise; a weight [1] scales every channel's.
    pub fn forward_with_noise(&self, x: &Tensor, noise: &Tensor) -> Tensor {
        let weight = resolve(&self.weight);
        let weight = match weight.numel() {
            1 => weight.expand(&[x.shape()[1]]),
            _ => weight,
        };
        x.noise_injection(&weight, noise)
    }
}

impl Module for NoiseInjection {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".to_string(), self.weight.clone())]
    }

    fn own_seed_streams(&self) -> Vec<(String, &SeedStream)> {
        vec![("seeds".to_string(), &self.seeds)]
    }
}

impl Layer for NoiseInjection {
    /// x [N, C, H, W] + weight [C] * noise [N, 1, H, W], the noise N(0, 1)
    /// drawn anew from the layer's seed stream.
    fn forward(&self, x: &Tensor) -> Tensor {
        assert_eq!(x.rank(), 4, "NoiseInjection: input must be [N, C, H, W], got shape {:?}", x.shape());
        let (n, h, w) = (x.shape()[0], x.shape()[2], x.shape()[3]);
        self.forward_with_noise(x, &Tensor::randn(&[n, 1, h, w], self.seeds.draw()))
    }
}
