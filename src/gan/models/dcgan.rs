//! DCGAN (Radford, Metz and Chintala, 2016): transposed convolutions up,
//! strided convolutions down, batch norm, ReLU in G and LeakyReLU(0.2) in D,
//! tanh output, no pooling, weights from N(0, 0.02).
//!
//! Two sizes: `mnist28`, the reference workload "dcgan28" of DESIGN.md (every
//! benchmark and the main example use it, so it is exactly as specified; with
//! three channels it is the Stacked MNIST DCGAN of the mode-collapse papers),
//! and `classic64`, the paper's 64x64 network for image folders.

use super::{CriticNorm, GanModel, SplitCritic};
use crate::gan::family::Sampler;
use crate::nn::init::normal_;
use crate::nn::WeightLayer;
use crate::nn::{
    BatchNorm2d, Conv2d, ConvTranspose2d, Flatten, Layer, LayerNorm, LeakyRelu, Linear, Module, Relu, Reshape,
    Sequential, Tanh,
};
use crate::Tensor;
use rand::Rng;

/// Size of z in both networks.
pub const LATENT: usize = 100;

pub struct Dcgan {
    generator: Sequential,
    discriminator: SplitCritic,
}

impl Dcgan {
    /// dcgan28 for C-channel images (C = 1: MNIST; 3: Stacked MNIST).
    /// G: z (100) -> Linear(100, 128*7*7) -> [N,128,7,7] -> BN -> ReLU
    /// -> ConvT(128, 64, k4 s2 p1) -> BN -> ReLU -> ConvT(64, C, k4 s2 p1) -> tanh: [N,C,28,28].
    /// D: Conv(C, 64, k4 s2 p1) -> LReLU(0.2) -> Conv(64, 128, k4 s2 p1) -> BN -> LReLU(0.2)
    /// -> flatten -> Linear(6272, 1). A penalised critic has layer norm in place of BN.
    /// A critic of packs of `pack` images (PacGAN) takes C * pack channels.
    pub fn mnist28(channels: usize, norm: CriticNorm, pack: usize, rng: &mut impl Rng) -> Dcgan {
        let features = features28(channels * pack, norm, rng);
        let head = Sequential::new().push(Linear::new(128 * 7 * 7, 1, rng));
        Dcgan { generator: generator28(LATENT, channels, rng), discriminator: SplitCritic { features, head } }
    }

    /// The paper's 64x64 network with 64 feature maps at the finest level
    /// (its critic, like dcgan28's, takes C * pack channels).
    pub fn classic64(channels: usize, norm: CriticNorm, pack: usize, rng: &mut impl Rng) -> Dcgan {
        let mut generator = Sequential::new().push(Reshape::new(&[LATENT, 1, 1]));
        // 1x1 -> 4x4 -> 8x8 -> 16x16 -> 32x32, halving the maps as the size doubles.
        let widths = [LATENT, 512, 256, 128, 64];
        for (i, pair) in widths.windows(2).enumerate() {
            let (stride, padding) = if i == 0 { (1, 0) } else { (2, 1) };
            generator = generator
                .push(conv_t(pair[0], pair[1], 4, stride, padding, rng))
                .push(batch_norm(pair[1], rng))
                .push(Relu);
        }
        let generator = generator.push(conv_t(64, channels, 4, 2, 1, rng)).push(Tanh);

        // 64x64 -> 32 -> 16 -> 8 -> 4, then a 4x4 convolution to one logit.
        let mut features = Sequential::new().push(conv(channels * pack, 64, 4, 2, 1, rng)).push(LeakyRelu(0.2));
        for (pair, size) in [64, 128, 256, 512].windows(2).zip([16, 8, 4]) {
            features = features.push(conv(pair[0], pair[1], 4, 2, 1, rng));
            features = push_critic_norm(features, norm, pair[1], size, rng).push(LeakyRelu(0.2));
        }
        let features = features.push(Flatten);
        let head = Sequential::new().push(Reshape::new(&[512, 4, 4])).push(conv(512, 1, 4, 1, 0, rng)).push(Flatten);
        Dcgan { generator, discriminator: SplitCritic { features, head } }
    }
}

/// dcgan28's generator of `channels`-channel images from an input of `input`
/// values (z, or z with a label embedding for the conditional GAN).
pub fn generator28(input: usize, channels: usize, rng: &mut impl Rng) -> Sequential {
    Sequential::new()
        .push(Linear::new(input, 128 * 7 * 7, rng))
        .push(Reshape::new(&[128, 7, 7]))
        .push(batch_norm(128, rng))
        .push(Relu)
        .push(conv_t(128, 64, 4, 2, 1, rng))
        .push(batch_norm(64, rng))
        .push(Relu)
        .push(conv_t(64, channels, 4, 2, 1, rng))
        .push(Tanh)
}

/// dcgan28's discriminator up to its flattened features [N, 6272], on
/// images with `channels` channels (1, or 2 with the conditional GAN's label map).
pub fn features28(channels: usize, norm: CriticNorm, rng: &mut impl Rng) -> Sequential {
    let layers =
        Sequential::new().push(conv(channels, 64, 4, 2, 1, rng)).push(LeakyRelu(0.2)).push(conv(64, 128, 4, 2, 1, rng));
    push_critic_norm(layers, norm, 128, 7, rng).push(LeakyRelu(0.2)).push(Flatten)
}

// DCGAN's initialisation: conv weights N(0, 0.02), batch-norm scales
// N(1, 0.02) and shifts 0; linear layers keep their default. pix2pix's nets
// (`gan/nets/unet.rs`, `patchgan.rs`, `resnet.rs`) are initialised the same way.

/// A convolution with DCGAN's N(0, 0.02) weights.
pub fn conv(input: usize, output: usize, kernel: usize, stride: usize, padding: usize, rng: &mut impl Rng) -> Conv2d {
    let layer = Conv2d::new(input, output, kernel, stride, padding, rng);
    normal_(layer.weight(), 0.0, 0.02, rng);
    layer
}

/// A transposed convolution with DCGAN's N(0, 0.02) weights.
pub fn conv_t(
    input: usize,
    output: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    rng: &mut impl Rng,
) -> ConvTranspose2d {
    let layer = ConvTranspose2d::new(input, output, kernel, stride, padding, rng);
    normal_(layer.weight(), 0.0, 0.02, rng);
    layer
}

/// Batch norm with DCGAN's N(1, 0.02) scales.
pub fn batch_norm(channels: usize, rng: &mut impl Rng) -> BatchNorm2d {
    let layer = BatchNorm2d::new(channels);
    normal_(layer.weight().expect("BatchNorm2d::new has a learned scale"), 1.0, 0.02, rng);
    layer
}

/// The critic's normalisation of `channels` maps of size x size: DCGAN's batch
/// norm, or layer norm over [C, H, W] (Gulrajani et al.'s choice) when the
/// critic's input gradient is penalised.
fn push_critic_norm(
    layers: Sequential,
    norm: CriticNorm,
    channels: usize,
    size: usize,
    rng: &mut impl Rng,
) -> Sequential {
    match norm {
        CriticNorm::Batch => layers.push(batch_norm(channels, rng)),
        CriticNorm::Layer => layers.push(LayerNorm::new(&[channels, size, size])),
    }
}

impl Sampler for Dcgan {
    fn generator(&self) -> &dyn Module {
        &self.generator
    }

    fn latent_dim(&self) -> usize {
        LATENT
    }

    fn generate(&self, z: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.generator.forward(z)
    }

    fn chain(&self) -> Option<&Sequential> {
        Some(&self.generator)
    }
}

impl GanModel for Dcgan {
    fn discriminator(&self) -> &dyn Module {
        &self.discriminator
    }

    fn critic_features(&self, x: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.discriminator.features(x)
    }

    fn critic_head(&self, features: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.discriminator.head(features)
    }
}
