//! StyleGAN2 (Karras, Laine, Aittala, Hellsten, Lehtinen and Aila, 2020):
//! StyleGAN's mapping network, mixing, truncation and w average
//! (`nets/style.rs`) driving the skip synthesis network of modulated
//! convolutions (`nets/skip.rs`), against the residual discriminator
//! (`nets/residual.rs`), at a fixed resolution.
//!
//! - Loss: the non-saturating logistic loss, Adam(2e-3, 0, 0.99) for both
//!   players, an EMA of G (0.999) for the samples.
//! - Lazy R1: (gamma / 2) E[||dD(x)/dx||^2] on real images only on every
//!   16th discriminator step, multiplied by 16 there so that its average
//!   strength is unchanged (the paper's lazy regularisation: the penalty
//!   changes slowly, so measuring it rarely costs little and saves most of
//!   its double backward).
//! - Path-length regularisation on every 4th generator step, times 4: for
//!   half a batch of fresh w (unmixed), the lengths |J_w^T y| of
//!   `penalties::path_lengths`, penalised by w_pl E[(|J_w^T y| - a)^2] with
//!   a their moving average (`PathLengthTarget`, saved in checkpoints). It
//!   asks that a fixed-size step in W change the image by a fixed amount,
//!   whatever the direction and the place, which makes G smoother and
//!   easier to invert. w_pl = 2 is the official code's weight with y scaled
//!   by 1 / sqrt(H W) (which makes the lengths independent of the
//!   resolution), so it carries over to 32x32 unchanged.
//! - Each penalty is an optimiser update of its own, after the step's main
//!   update, as in the official code; so that the extra updates do not
//!   speed up training, each player's Adam has its rate scaled by
//!   c = k / (k + 1) and its betas raised to the power c, k its interval
//!   (c = 16/17 for D, 4/5 for G: `lazy_optimizer`).
//! - Simplification: the path length is taken with respect to w, shared by
//!   all layers (the paper's definition), where the official code
//!   differentiates each layer's w.

use super::stylegan::{draw_styles, load_style_generator, style_shape};
use crate::checkpoint::{Part, Parts};
use crate::gan::config::TrainConfig;
use crate::gan::families::{lazy_optimizer, minimise, DataShape};
use crate::gan::family::{duel_parts, Family, Losses, Player, Sampler, StepContext};
use crate::gan::losses::Objective;
use crate::gan::nets::residual::ResidualDiscriminator;
use crate::gan::nets::skip::SkipSynthesis;
use crate::gan::nets::style::{repeated, StyleGenerator};
use crate::gan::penalties::{path_lengths, r1_penalty, PathLengthTarget};
use crate::gan::prior::Prior;
use crate::gan::trainer::GeneratorWeights;
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;

/// R1 runs on every this many discriminator steps (the paper's 16).
pub const R1_INTERVAL: usize = 16;
/// The path-length penalty runs on every this many generator steps (the paper's 4).
pub const PATH_LENGTH_INTERVAL: usize = 4;
/// The path-length batch is the batch divided by this (the official `pl_batch_shrink`).
const PATH_LENGTH_BATCH_SHRINK: usize = 2;

/// StyleGAN2's generator: the style generator with the skip synthesis network.
pub type Stylegan2Generator = StyleGenerator<SkipSynthesis>;

pub struct Stylegan2 {
    generator: Stylegan2Generator,
    discriminator: ResidualDiscriminator,
    path_length: PathLengthTarget,
    prior: Prior,
    opt_g: Box<dyn Optimizer>,
    opt_d: Box<dyn Optimizer>,
    batch: usize,
    d_steps: usize,
    r1_gamma: f32,
    style_mixing: f32,
    path_length_weight: f32,
    /// The regularisers as last measured, logged on the steps between.
    last_r1: Tensor,
    last_path_length: Tensor,
}

impl Stylegan2 {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<Stylegan2, String> {
        let style = style_shape(config, shape)?;
        let generator = Stylegan2Generator::new(style, config.seed);
        let rng = &mut StdRng::seed_from_u64(config.seed ^ 0xD15C);
        let discriminator = ResidualDiscriminator::new(style.image_size, style.channels, config.features, rng);
        Ok(Stylegan2 {
            opt_g: lazy_optimizer(config, generator.parameters(), config.lr_g, PATH_LENGTH_INTERVAL),
            opt_d: lazy_optimizer(config, discriminator.parameters(), config.lr_d, R1_INTERVAL),
            generator,
            discriminator,
            path_length: PathLengthTarget::new(),
            prior: Prior::parse(&config.prior)?,
            batch: config.batch,
            d_steps: config.d_steps,
            r1_gamma: config.r1_gamma,
            style_mixing: config.style_mixing,
            path_length_weight: config.path_length_weight,
            last_r1: Tensor::scalar(0.0),
            last_path_length: Tensor::scalar(0.0),
        })
    }

    /// The generator alone (what sampling from a checkpoint needs).
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        Ok(Box::new(Stylegan2Generator::new(style_shape(config, shape)?, config.seed)))
    }

    /// The generator a StyleGAN2 checkpoint holds (its moving average unless
    /// `weights` says otherwise); an error for other models' checkpoints.
    pub fn load_generator(checkpoint: &Path, weights: GeneratorWeights) -> Result<Stylegan2Generator, String> {
        load_style_generator(checkpoint, "stylegan2", weights)
    }

    // ANCHOR: stylegan2_d_step
    /// Discriminator step number `d_step` (counted over the run): an update
    /// down the logistic loss, then on every `R1_INTERVAL`-th step a second
    /// one down the R1 penalty on the same real batch, times the interval.
    /// Returns the logistic loss.
    fn discriminator_step(&mut self, ctx: &mut StepContext, d_step: usize) -> Tensor {
        let real = ctx.data.next_batch(self.batch).x;
        let styles = draw_styles(&self.generator, &self.prior, self.batch, self.style_mixing, ctx.rng).1;
        let fake = no_grad(|| self.generator.synthesize(&styles, None));
        let critic = |x: &Tensor| self.discriminator.forward(x);
        let loss = Objective::NonSaturating.d_loss(&critic(&real), &critic(&fake));
        minimise(self.opt_d.as_mut(), &loss);
        if self.r1_gamma > 0.0 && d_step.is_multiple_of(R1_INTERVAL) {
            let r1 = r1_penalty(critic, &real);
            minimise(self.opt_d.as_mut(), &r1.mul_scalar(self.r1_gamma / 2.0 * R1_INTERVAL as f32));
            self.last_r1 = r1.detach();
        }
        loss
    }
    // ANCHOR_END: stylegan2_d_step

    // ANCHOR: stylegan2_g_step
    /// Generator step number `step`: an update down -E[log D(G(z))], then on
    /// every `PATH_LENGTH_INTERVAL`-th step a second one down the path-length
    /// penalty times the interval; then the w average's step. Returns the
    /// logistic loss.
    fn generator_step(&mut self, ctx: &mut StepContext) -> Tensor {
        let (w, ws) = draw_styles(&self.generator, &self.prior, self.batch, self.style_mixing, ctx.rng);
        let loss = Objective::NonSaturating.g_loss(&self.discriminator.forward(&self.generator.synthesize(&ws, None)));
        minimise(self.opt_g.as_mut(), &loss);
        if self.path_length_weight > 0.0 && ctx.step.is_multiple_of(PATH_LENGTH_INTERVAL) {
            let n = (self.batch / PATH_LENGTH_BATCH_SHRINK).max(1);
            let w = self.generator.map(&self.prior.sample(n, self.generator.latent_dim(), ctx.rng));
            let layers = self.generator.layer_count();
            let lengths = path_lengths(|w| self.generator.synthesize(&repeated(w, layers), None), &w, ctx.rng);
            let penalty = self.path_length.penalty(&lengths);
            minimise(self.opt_g.as_mut(), &penalty.mul_scalar(self.path_length_weight * PATH_LENGTH_INTERVAL as f32));
            self.last_path_length = lengths.mean_all().detach();
        }
        self.generator.track_average(&w);
        loss
    }
    // ANCHOR_END: stylegan2_g_step
}

impl Family for Stylegan2 {
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let first = ctx.step * self.d_steps;
        let mut d_loss = self.discriminator_step(ctx, first);
        for d_step in first + 1..first + self.d_steps {
            d_loss = self.discriminator_step(ctx, d_step);
        }
        let g_loss = self.generator_step(ctx);
        vec![
            ("d_loss", d_loss),
            ("g_loss", g_loss),
            ("r1", self.last_r1.clone()),
            ("path_length", self.last_path_length.clone()),
            ("path_length_target", self.path_length.mean().mean_all()),
        ]
    }

    fn sampler(&self) -> &dyn Sampler {
        &self.generator
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.opt_d.as_mut()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn parts(&mut self) -> Parts<'_> {
        let mut parts = duel_parts(&self.generator, &self.discriminator, self.opt_g.as_mut(), self.opt_d.as_mut());
        parts.push(("path_length", Part::Module(&self.path_length)));
        parts
    }
}
