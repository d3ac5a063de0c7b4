//! SPADE's discriminator (Park et al. 2019, from pix2pixHD, Wang et al.
//! 2018): PatchGANs at several scales, each judging the label map and the
//! picture joined along the channels, the first at full size, the next on the
//! input average-pooled to half, and so on. The coarse one sees the global
//! layout, the fine one the texture. Each PatchGAN returns the output of
//! every layer, not only its logits: the generator's feature-matching loss
//! compares them for real and generated pictures.
//!
//! One scale, the 34x34 PatchGAN of `patchgan.rs` with the paper's
//! normalisations: 4x4 convolutions, two with stride 2 (C64, C128 at the
//! paper's width), one with stride 1 (C256), then one to a logit, spectral
//! norm on each, instance norm after each hidden one but the first, leaky
//! ReLU (0.2). The pooling for the next scale is a 2x2 average (pix2pixHD's
//! is 3x3 with stride 2, which ignores the padding in its averages).

use crate::gan::models::dcgan::conv as plain_conv;
use crate::nn::{numbered, InstanceNorm2d, Layer, LeakyRelu, Module, Sequential, SpectralNorm};
use crate::Tensor;
use rand::Rng;

/// Where each layer reads: kernel 4, stride 2, 2, 1, 1, padding 1.
const STRIDES: [usize; 4] = [2, 2, 1, 1];

/// One PatchGAN whose layers' outputs are all kept.
pub struct PatchFeatures {
    layers: Vec<Sequential>,
}

impl PatchFeatures {
    fn new(input_channels: usize, base: usize, rng: &mut impl Rng) -> PatchFeatures {
        let widths = [input_channels, base, 2 * base, 4 * base, 1];
        let layers = STRIDES
            .iter()
            .enumerate()
            .map(|(i, &stride)| {
                let conv = SpectralNorm::new(plain_conv(widths[i], widths[i + 1], 4, stride, 1, rng), rng);
                let mut layer = Sequential::new().push(conv);
                if i + 1 < STRIDES.len() {
                    if i > 0 {
                        layer = layer.push(InstanceNorm2d::new(widths[i + 1]));
                    }
                    layer = layer.push(LeakyRelu(0.2));
                }
                layer
            })
            .collect();
        PatchFeatures { layers }
    }

    /// The output of every layer of inputs [N, C, H, W], the last one the
    /// logits [N, 1, h, w].
    fn forward(&self, input: &Tensor) -> Vec<Tensor> {
        let mut outputs: Vec<Tensor> = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let next = layer.forward(outputs.last().unwrap_or(input));
            outputs.push(next);
        }
        outputs
    }
}

impl Module for PatchFeatures {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        numbered("layer_", &self.layers).collect()
    }
}

pub struct MultiscaleDiscriminator {
    scales: Vec<PatchFeatures>,
}

impl MultiscaleDiscriminator {
    /// `scales` PatchGANs on inputs of `input_channels` channels, `base` maps in their first layers.
    pub fn new(input_channels: usize, scales: usize, base: usize, rng: &mut impl Rng) -> MultiscaleDiscriminator {
        MultiscaleDiscriminator { scales: (0..scales).map(|_| PatchFeatures::new(input_channels, base, rng)).collect() }
    }

    /// Per scale, finest first, the output of every layer of inputs [N, C, H, W].
    pub fn forward(&self, input: &Tensor) -> Vec<Vec<Tensor>> {
        let mut scaled = input.clone();
        let mut outputs = Vec::with_capacity(self.scales.len());
        for (i, scale) in self.scales.iter().enumerate() {
            if i > 0 {
                scaled = scaled.avg_pool2d(2, 2, 0);
            }
            outputs.push(scale.forward(&scaled));
        }
        outputs
    }
}

impl Module for MultiscaleDiscriminator {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        numbered("scale_", &self.scales).collect()
    }
}
