//! Conditional GAN (Mirza and Osindero, 2014) on dcgan28: both players see
//! the class label. G gets a learned label embedding concatenated to z; D gets
//! one concatenated to its convolutional features, just before the final
//! linear layer. Sampling G with a chosen label draws that digit.

use super::dcgan::{self, LATENT};
use super::GanModel;
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
    features: Sequential,
    embed: Embedding,
    head: Linear,
}

pub struct Cgan {
    generator: ConditionalGenerator,
    discriminator: ConditionalDiscriminator,
}

impl Cgan {
    pub fn mnist28(classes: usize, rng: &mut impl Rng) -> Cgan {
        let generator = ConditionalGenerator {
            embed: Embedding::new(classes, EMBED, rng),
            trunk: dcgan::generator28(LATENT + EMBED, rng),
        };
        let discriminator = ConditionalDiscriminator {
            features: dcgan::features28(rng),
            embed: Embedding::new(classes, EMBED, rng),
            head: Linear::new(128 * 7 * 7 + EMBED, 1, rng),
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
        vec![("features".into(), &self.features), ("embed".into(), &self.embed), ("head".into(), &self.head)]
    }
}

impl GanModel for Cgan {
    fn generator(&self) -> &dyn Module {
        &self.generator
    }

    fn discriminator(&self) -> &dyn Module {
        &self.discriminator
    }

    fn latent_dim(&self) -> usize {
        LATENT
    }

    fn classes(&self) -> Option<usize> {
        Some(self.generator.embed.count())
    }

    fn generate(&self, z: &Tensor, labels: Option<&[usize]>) -> Tensor {
        let labels = required(labels, z.shape()[0]);
        let input = Tensor::concat(&[z, &self.generator.embed.lookup(labels)], 1); // [N, LATENT + EMBED]
        self.generator.trunk.forward(&input)
    }

    fn discriminate(&self, x: &Tensor, labels: Option<&[usize]>) -> Tensor {
        let labels = required(labels, x.shape()[0]);
        let features = self.discriminator.features.forward(x); // [N, 6272]
        let joint = Tensor::concat(&[&features, &self.discriminator.embed.lookup(labels)], 1);
        self.discriminator.head.forward(&joint).flatten(0)
    }
}
