//! Conditional GAN (Mirza and Osindero, 2014) on dcgan28: both players see
//! the class label. G gets a learned label embedding concatenated to z. D gets
//! a learned 28 x 28 label map concatenated to the image as a second channel,
//! so its convolutions see image and label together and can judge whether
//! they match. (Concatenating the label to D's last features instead, right
//! before the final linear layer, would only add a per-class constant to the
//! logit: D could not tell a 3 labelled "7" from a 7, and G would learn one
//! arbitrary picture per label.) Sampling G with a chosen label draws that digit.

use super::dcgan::{self, LATENT};
use super::{CriticNorm, GanModel};
use crate::gan::family::Sampler;
use crate::nn::{Embedding, Layer, Linear, Module, Sequential};
use crate::Tensor;
use rand::Rng;

/// Size of the label embeddings.
const EMBED: usize = 50;

pub struct ConditionalGenerator {
    embed: Embedding,
    trunk: Sequential,
}

pub struct ConditionalDiscriminator {
    label_map: Embedding, // [classes, 28 * 28]
    features: Sequential,
    head: Linear,
}

pub struct Cgan {
    generator: ConditionalGenerator,
    discriminator: ConditionalDiscriminator,
}

impl Cgan {
    pub fn mnist28(classes: usize, norm: CriticNorm, rng: &mut impl Rng) -> Cgan {
        let generator = ConditionalGenerator {
            embed: Embedding::new(classes, EMBED, rng),
            trunk: dcgan::generator28(LATENT + EMBED, 1, rng),
        };
        let discriminator = ConditionalDiscriminator {
            label_map: Embedding::new(classes, 28 * 28, rng),
            features: dcgan::features28(2, norm, rng),
            head: Linear::new(128 * 7 * 7, 1, rng),
        };
        Cgan { generator, discriminator }
    }
}

/// The labels of a conditional forward pass, or a panic that says what is missing.
fn required(labels: Option<&[usize]>, n: usize) -> &[usize] {
    let labels = labels.expect("a conditional GAN needs a label for every sample");
    assert_eq!(labels.len(), n, "{} labels for a batch of {n}", labels.len());
    labels
}

impl Module for ConditionalGenerator {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("embed".into(), &self.embed), ("trunk".into(), &self.trunk)]
    }
}

impl Module for ConditionalDiscriminator {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("label_map".into(), &self.label_map), ("features".into(), &self.features), ("head".into(), &self.head)]
    }
}

impl Sampler for Cgan {
    fn generator(&self) -> &dyn Module {
        &self.generator
    }

    fn latent_dim(&self) -> usize {
        LATENT
    }

    fn classes(&self) -> Option<usize> {
        Some(self.generator.embed.count())
    }

    // ANCHOR: generator_label
    fn generate(&self, z: &Tensor, labels: Option<&[usize]>) -> Tensor {
        let labels = required(labels, z.shape()[0]);
        let input = Tensor::concat(&[z, &self.generator.embed.lookup(labels)], 1); // [N, LATENT + EMBED]
        self.generator.trunk.forward(&input)
    }
    // ANCHOR_END: generator_label
}

impl GanModel for Cgan {
    fn discriminator(&self) -> &dyn Module {
        &self.discriminator
    }

    // ANCHOR: discriminator_label
    fn critic_features(&self, x: &Tensor, labels: Option<&[usize]>) -> Tensor {
        let n = x.shape()[0];
        let labels = required(labels, n);
        let maps = self.discriminator.label_map.lookup(labels).reshape(&[n, 1, 28, 28]);
        let joint = Tensor::concat(&[x, &maps], 1); // [N, 2, 28, 28]
        self.discriminator.features.forward(&joint)
    }
    // ANCHOR_END: discriminator_label

    fn critic_head(&self, features: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.discriminator.head.forward(features).flatten(0)
    }
}
