//! The networks of the one-generator, one-discriminator families: one file
//! each. A model is a generator (seen by the trainer and the CLI as a
//! [`Sampler`]) and a discriminator split into its features and its last
//! layer, so feature matching can compare the features.

pub mod cgan;
pub mod dcgan;
pub mod mlp;

use crate::gan::family::Sampler;
use crate::nn::{Layer, Module, Sequential};
use crate::Tensor;

/// A generator/discriminator pair.
pub trait GanModel: Sampler {
    fn discriminator(&self) -> &dyn Module;
    /// D's last hidden features [N, F] (what feature matching compares).
    fn critic_features(&self, x: &Tensor, labels: Option<&[usize]>) -> Tensor;
    /// D's last layer on its features: raw outputs ("logits") [N].
    fn critic_head(&self, features: &Tensor, labels: Option<&[usize]>) -> Tensor;
    /// D(x): samples [N, ...] to raw outputs [N].
    fn discriminate(&self, x: &Tensor, labels: Option<&[usize]>) -> Tensor {
        self.critic_head(&self.critic_features(x, labels), labels)
    }
}

/// What the critic normalises its hidden layers with. A gradient penalty
/// (WGAN-GP, R1) penalises each sample's own input gradient, which batch norm
/// makes depend on the whole batch, so Gulrajani et al. (section 4) swap it
/// for layer norm in a penalised critic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum CriticNorm {
    Batch,
    Layer,
}

/// A discriminator as two chains: features [N, F], then a head to [N, 1].
pub struct SplitCritic {
    pub features: Sequential,
    pub head: Sequential,
}

impl Module for SplitCritic {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("features".into(), &self.features), ("head".into(), &self.head)]
    }
}

impl SplitCritic {
    fn features(&self, x: &Tensor) -> Tensor {
        self.features.forward(x).flatten(1)
    }

    fn head(&self, features: &Tensor) -> Tensor {
        self.head.forward(features).flatten(0)
    }
}

/// Builds the model named on the command line for data of shape `item_shape`
/// ([C, H, W] or [2]) with `classes` labels, initialised from `seed`, its
/// critic judging packs of `pack` samples (PacGAN; 1: one sample, see `gan::pack`).
pub fn build(
    name: &str,
    item_shape: &[usize],
    classes: Option<usize>,
    norm: CriticNorm,
    pack: usize,
    seed: u64,
) -> Result<Box<dyn GanModel>, String> {
    use rand::SeedableRng;
    let rng = &mut rand::rngs::StdRng::seed_from_u64(seed);
    match name {
        "mlp" => Ok(Box::new(mlp::Mlp::new(item_shape, pack, rng))),
        "dcgan" => match item_shape {
            [c, 28, 28] => Ok(Box::new(dcgan::Dcgan::mnist28(*c, norm, pack, rng))),
            [c, 64, 64] => Ok(Box::new(dcgan::Dcgan::classic64(*c, norm, pack, rng))),
            _ => Err(format!(
                "dcgan needs Cx28x28 images (dcgan28) or Cx64x64 images (Radford et al.'s 64x64 DCGAN), got {item_shape:?}"
            )),
        },
        "cgan" if pack > 1 => Err("cgan cannot pack samples: a pack would mix labels (use --pack with mlp or dcgan)".into()),
        "cgan" => match (item_shape, classes) {
            ([1, 28, 28], Some(classes)) => Ok(Box::new(cgan::Cgan::mnist28(classes, norm, rng))),
            (_, None) => Err("cgan needs a labelled dataset (mnist5k or MNIST files with their labels file)".into()),
            _ => Err(format!("cgan is built for 1x28x28 images, got {item_shape:?}")),
        },
        _ => Err(format!("unknown model {name:?}: use mlp, dcgan or cgan")),
    }
}
