//! The registry of families: the one place that maps a `--model` name to its
//! code. A new family is a file here and a line in `build` and `sampler`.

pub mod alignflow;
pub mod bigan;
pub mod cyclegan;
pub mod joint;
pub mod pair;
pub mod pix2pix;
pub mod progan;
pub mod spade;
pub mod stylegan;
pub mod stylegan2;
pub mod unpaired;
pub mod unrolled;
pub mod veegan;

use super::config::TrainConfig;
use super::family::{Family, Sampler};
use crate::optim::{Adam, Optimizer, RmsProp, Sgd};
use crate::Tensor;

/// Every `--model` name.
pub const NAMES: [&str; 12] = [
    "mlp",
    "dcgan",
    "cgan",
    "bigan",
    "veegan",
    "progan",
    "stylegan",
    "stylegan2",
    "pix2pix",
    "cyclegan",
    "alignflow",
    "spade",
];

/// What a family is built for: the shape of one example and its classes.
#[derive(Clone, Debug, PartialEq)]
pub struct DataShape {
    pub item_shape: Vec<usize>,
    pub classes: Option<usize>,
}

/// The family `config.model` names, for data of `shape`, initialised from the config's seed.
pub fn build(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Family>, String> {
    match config.model.as_str() {
        "mlp" | "dcgan" | "cgan" => Ok(Box::new(pair::Pair::new(config, shape)?)),
        "bigan" => Ok(Box::new(bigan::Bigan::new(config, shape)?)),
        "veegan" => Ok(Box::new(veegan::Veegan::new(config, shape)?)),
        "progan" => Ok(Box::new(progan::Progan::new(config, shape)?)),
        "pix2pix" => Ok(Box::new(pix2pix::Pix2pix::new(config, shape)?)),
        "stylegan" => Ok(Box::new(stylegan::Stylegan::new(config, shape)?)),
        "stylegan2" => Ok(Box::new(stylegan2::Stylegan2::new(config, shape)?)),
        "cyclegan" => Ok(Box::new(cyclegan::CycleGan::new(config, shape)?)),
        "alignflow" => Ok(Box::new(alignflow::AlignFlow::new(config, shape)?)),
        "spade" => Ok(Box::new(spade::Spade::new(config, shape)?)),
        other => Err(unknown(other)),
    }
}

/// Only the generator of that family (what sampling from a checkpoint needs:
/// no optimisers, no discriminator state, no data).
pub fn sampler(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
    match config.model.as_str() {
        "mlp" | "dcgan" | "cgan" => Ok(pair::Pair::model(config, shape)?),
        "bigan" => Ok(bigan::Bigan::model(config, shape)),
        "veegan" => Ok(veegan::Veegan::model(config, shape)),
        "progan" => progan::Progan::model(config, shape),
        "pix2pix" => pix2pix::Pix2pix::model(config, shape),
        "stylegan" => stylegan::Stylegan::model(config, shape),
        "stylegan2" => stylegan2::Stylegan2::model(config, shape),
        "cyclegan" => cyclegan::CycleGan::model(config, shape),
        "alignflow" => alignflow::AlignFlow::model(config, shape),
        "spade" => spade::Spade::model(config, shape),
        other => Err(unknown(other)),
    }
}

fn unknown(name: &str) -> String {
    format!("unknown model {name:?}: use one of {}", NAMES.join(", "))
}

/// The image size and channels a run reads an image folder at:
/// `--image-size` when given, else the model's own. The grown generators
/// (ProGAN, StyleGAN, StyleGAN2) build up from 4x4 by doublings, so they take
/// 32x32 colour pictures (the style-mixing figure wants a colour set such as
/// the DiceBear avatars) or any other power of two asked for; DCGAN its
/// 64x64 colour; every other model MNIST's 28x28 grey.
pub fn folder_image_size(config: &TrainConfig) -> (u32, usize) {
    let (own_size, channels) = match config.model.as_str() {
        "progan" | "stylegan" | "stylegan2" => (32, 3),
        "dcgan" => (64, 3),
        _ => (28, 1),
    };
    let size = if config.image_size == 0 { own_size } else { config.image_size };
    (size, channels)
}

/// The optimiser the config names, over `parameters`, at learning rate `lr`.
pub fn optimizer(config: &TrainConfig, parameters: Vec<Tensor>, lr: f32) -> Box<dyn Optimizer> {
    match config.optimizer.as_str() {
        "rmsprop" => Box::new(RmsProp::new(parameters, lr)),
        "sgd" => Box::new(Sgd::new(parameters, lr).momentum(config.beta1)),
        // `TrainConfig::validate` admits only these three names.
        _ => Box::new(Adam::new(parameters, lr).betas(config.beta1, config.beta2)),
    }
}

/// The optimiser for a player whose regulariser runs as an update of its own
/// on every `interval`-th step (StyleGAN2's lazy regularisation): such a
/// player makes `interval + 1` updates where it would make `interval`, so the
/// rate is scaled by c = interval / (interval + 1) and the betas (Adam's
/// moment decays, SGD's momentum) raised to the power c, which keeps the
/// step per image and the moments' memory, counted in images, as they were.
pub fn lazy_optimizer(config: &TrainConfig, parameters: Vec<Tensor>, lr: f32, interval: usize) -> Box<dyn Optimizer> {
    let c = interval as f32 / (interval + 1) as f32;
    let corrected = TrainConfig { beta1: config.beta1.powf(c), beta2: config.beta2.powf(c), ..config.clone() };
    optimizer(&corrected, parameters, lr * c)
}

/// One update of the optimiser's parameters down `loss`'s gradient; the
/// backward pass reaches only those parameters.
pub fn minimise(optimizer: &mut dyn Optimizer, loss: &Tensor) {
    let parameters = optimizer.parameters();
    optimizer.zero_grad();
    loss.backward_for(&parameters.iter().collect::<Vec<_>>());
    optimizer.step();
}
