//! StyleGAN (Karras, Laine and Aila, 2019): the style-based generator of
//! `nets/style.rs` against ProGAN's discriminator, at a fixed resolution.
//!
//! - No progressive growing: StyleGAN2 dropped it too, and at 32x32 there is
//!   little to grow through. The discriminator is `ProgressiveDiscriminator`
//!   held at its top level with alpha 1 (fromRGB at full size, two 3x3
//!   convolutions and an average pool per resolution, minibatch standard
//!   deviation at 4x4); its fromRGB layers of the lower levels are never run
//!   and never trained.
//! - Loss: the non-saturating logistic loss with the R1 penalty
//!   (gamma / 2) E[||dD(x)/dx||^2] on real images, gamma = 10 (the paper's
//!   FFHQ configuration); Adam(1e-3, 0, 0.99) for both players; an EMA of G
//!   (0.999) gives the samples, as in `TrainConfig::for_model`.
//! - Style mixing: a `style_mixing` fraction of the batches (0.9) draw two
//!   latents and a crossover layer uniform in 1..layers, for both players'
//!   fakes (the official code mixes inside G, so D sees mixed fakes too).
//! - After every generator step the tracked mean of w moves towards the
//!   batch's mean w (the first latent's, unmixed).

use crate::checkpoint::Parts;
use crate::gan::config::TrainConfig;
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::family::{duel_parts, Family, Losses, Player, Sampler, StepContext};
use crate::gan::losses::Objective;
use crate::gan::nets::progressive::{level_of, ProgressiveDiscriminator, Stage};
use crate::gan::nets::style::{mixed, repeated, StyleGenerator, StyleShape, Synthesis};
use crate::gan::nets::synthesis::SynthesisNetwork;
use crate::gan::penalties::r1_penalty;
use crate::gan::prior::Prior;
use crate::gan::trainer::{checkpoint_shape, load_generator_weights, GeneratorWeights};
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use std::path::Path;

pub struct Stylegan {
    generator: StyleGenerator,
    discriminator: ProgressiveDiscriminator,
    /// The discriminator's fixed stage: the data's resolution, fully faded in.
    stage: Stage,
    prior: Prior,
    opt_g: Box<dyn Optimizer>,
    opt_d: Box<dyn Optimizer>,
    batch: usize,
    d_steps: usize,
    r1_gamma: f32,
    style_mixing: f32,
}

/// The generator's sizes for data of `shape`, or an error that says how to
/// get square images (shared with StyleGAN2).
pub(crate) fn style_shape(config: &TrainConfig, shape: &DataShape) -> Result<StyleShape, String> {
    let model = &config.model;
    let &[channels, height, width] = shape.item_shape.as_slice() else {
        return Err(format!("{model} draws images; the data's examples have shape {:?}", shape.item_shape));
    };
    if height != width || level_of(height).is_none() {
        return Err(format!(
            "{model} builds up from a 4x4 constant by doublings, so it needs square images of side 4, 8, 16, 32, \
             ...; the data's are {height}x{width} (for MNIST use --dataset mnist5k-32 or fashion-32, padded to 32x32; for an image folder, --image-size)"
        ));
    }
    Ok(StyleShape {
        image_size: height,
        channels,
        features: config.features,
        width: config.mapping_width,
        mapping_layers: config.mapping_layers,
    })
}

/// The style generator of kind `S` a `model` checkpoint holds (its moving
/// average unless `weights` says otherwise), for the pictures and
/// truncation that need more than `Sampler`; an error for other models' checkpoints.
pub(crate) fn load_style_generator<S: Synthesis>(
    checkpoint: &Path,
    model: &str,
    weights: GeneratorWeights,
) -> Result<StyleGenerator<S>, String> {
    let (config, shape) = checkpoint_shape(checkpoint).map_err(|e| e.to_string())?;
    if config.model != model {
        return Err(format!("{} holds a {} run, not a {model} one", checkpoint.display(), config.model));
    }
    let generator = StyleGenerator::new(style_shape(&config, &shape)?, config.seed);
    load_generator_weights(checkpoint, &config, &generator, weights).map_err(|e| e.to_string())?;
    Ok(generator)
}

/// A batch's latents mapped to w, and the w of every style layer: with
/// probability `style_mixing` a second latent's w from a crossover layer
/// on, else the first w everywhere.
pub(crate) fn draw_styles<S: Synthesis>(
    generator: &StyleGenerator<S>,
    prior: &Prior,
    batch: usize,
    style_mixing: f32,
    rng: &mut ChaCha12Rng,
) -> (Tensor, Vec<Tensor>) {
    let layers = generator.layer_count();
    let latent = generator.latent_dim();
    let w = generator.map(&prior.sample(batch, latent, rng));
    if rng.random::<f32>() < style_mixing {
        let second = generator.map(&prior.sample(batch, latent, rng));
        let crossover = rng.random_range(1..layers);
        let ws = mixed(&w, &second, crossover, layers);
        return (w, ws);
    }
    let ws = repeated(&w, layers);
    (w, ws)
}

impl Stylegan {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<Stylegan, String> {
        let style = style_shape(config, shape)?;
        let generator = StyleGenerator::new(style, config.seed);
        let rng = &mut StdRng::seed_from_u64(config.seed ^ 0xD15C);
        let discriminator = ProgressiveDiscriminator::new(style.image_size, style.channels, config.features, rng);
        let top = level_of(style.image_size).expect("style_shape checked the size");
        Ok(Stylegan {
            opt_g: optimizer(config, generator.parameters(), config.lr_g),
            opt_d: optimizer(config, discriminator.parameters(), config.lr_d),
            generator,
            discriminator,
            stage: Stage { level: top, alpha: 1.0 },
            prior: Prior::parse(&config.prior)?,
            batch: config.batch,
            d_steps: config.d_steps,
            r1_gamma: config.r1_gamma,
            style_mixing: config.style_mixing,
        })
    }

    /// The generator alone (what sampling from a checkpoint needs).
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        Ok(Box::new(StyleGenerator::<SynthesisNetwork>::new(style_shape(config, shape)?, config.seed)))
    }

    /// The style generator a StyleGAN checkpoint holds (see `load_style_generator`).
    pub fn load_generator(checkpoint: &Path, weights: GeneratorWeights) -> Result<StyleGenerator, String> {
        load_style_generator(checkpoint, "stylegan", weights)
    }

    fn styles(&self, rng: &mut ChaCha12Rng) -> (Tensor, Vec<Tensor>) {
        draw_styles(&self.generator, &self.prior, self.batch, self.style_mixing, rng)
    }

    fn critic(&self, x: &Tensor) -> Tensor {
        self.discriminator.forward(x, self.stage)
    }

    // ANCHOR: stylegan_d_step
    /// One discriminator update: the logistic loss on a real and a fake
    /// batch, plus (gamma / 2) E[||dD(x)/dx||^2] on the real one. Returns
    /// the loss and the penalty E[||dD(x)/dx||^2].
    fn discriminator_step(&mut self, ctx: &mut StepContext) -> (Tensor, Tensor) {
        let real = ctx.data.next_batch(self.batch).x;
        let fake = no_grad(|| self.generator.synthesize(&self.styles(ctx.rng).1, None));
        let loss = Objective::NonSaturating.d_loss(&self.critic(&real), &self.critic(&fake));
        // Without R1 (gamma 0) its double backward is skipped, and logged as 0.
        let r1 = match self.r1_gamma > 0.0 {
            true => r1_penalty(|x| self.critic(x), &real),
            false => Tensor::scalar(0.0),
        };
        let loss = loss.add(&r1.mul_scalar(self.r1_gamma / 2.0));
        minimise(self.opt_d.as_mut(), &loss);
        (loss, r1)
    }
    // ANCHOR_END: stylegan_d_step

    /// One generator update: -E[log D(G(z))], then the w average's step.
    fn generator_step(&mut self, ctx: &mut StepContext) -> Tensor {
        let (w, ws) = self.styles(ctx.rng);
        let loss = Objective::NonSaturating.g_loss(&self.critic(&self.generator.synthesize(&ws, None)));
        minimise(self.opt_g.as_mut(), &loss);
        self.generator.track_average(&w);
        loss
    }
}

impl Family for Stylegan {
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let (mut d_loss, mut r1) = self.discriminator_step(ctx);
        for _ in 1..self.d_steps {
            (d_loss, r1) = self.discriminator_step(ctx);
        }
        let g_loss = self.generator_step(ctx);
        vec![("d_loss", d_loss), ("g_loss", g_loss), ("r1", r1)]
    }

    fn sampler(&self) -> &dyn Sampler {
        &self.generator
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.opt_d.as_mut()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn parts(&mut self) -> Parts<'_> {
        duel_parts(&self.generator, &self.discriminator, self.opt_g.as_mut(), self.opt_d.as_mut())
    }
}
