//! ProGAN (Karras, Aila, Laine and Lehtinen, 2018): a generator and a
//! discriminator that grow together from 4x4 to the data's size on a
//! schedule (`growth.rs`), each new block fading in beside the previous
//! level's path (`nets/progressive.rs`). The objective is WGAN-GP (lambda
//! 10) with the paper's drift term 0.001 * E[D(x)^2], which keeps the
//! critic's scores near 0; both players use Adam(1e-3, 0, 0.99) and D takes
//! one step per G step (the paper's n_critic = 1). The trainer's EMA of G
//! (0.999 by default here) gives the samples.
//!
//! Real images are shown at the current stage: pooled down to its
//! resolution and, during a fade, blended with their coarser version as the
//! generator's output is. Samples are always at the data's full size (the
//! current output upsampled), so grids and metrics see one size throughout.
//!
//! Not done as the official code does: its Adam state is reset whenever a
//! phase begins; here each parameter's Adam state starts when its block first
//! trains and carries on.

use crate::checkpoint::Parts;
use crate::gan::config::TrainConfig;
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::family::{duel_parts, Family, Losses, Player, Sampler, StepContext};
use crate::gan::growth::GrowthSchedule;
use crate::gan::nets::progressive::{level_of, real_at, ProgressiveDiscriminator, ProgressiveGenerator, Stage};
use crate::gan::penalties::gradient_penalty;
use crate::gan::prior::Prior;
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// The weight of the drift term E[D(x_real)^2] in D's loss (the paper's epsilon_drift).
pub const DRIFT: f32 = 0.001;

pub struct Progan {
    generator: ProgressiveGenerator,
    discriminator: ProgressiveDiscriminator,
    schedule: GrowthSchedule,
    prior: Prior,
    opt_g: Box<dyn Optimizer>,
    opt_d: Box<dyn Optimizer>,
    d_steps: usize,
    gp_lambda: f32,
}

/// The side and channels of square images whose side is 4 times a power of
/// two, or an error that says how to get such data.
fn image_geometry(shape: &DataShape) -> Result<(usize, usize), String> {
    let &[channels, height, width] = shape.item_shape.as_slice() else {
        return Err(format!("progan grows image generators; the data's examples have shape {:?}", shape.item_shape));
    };
    if height != width || level_of(height).is_none() {
        return Err(format!(
            "progan grows from 4x4 by doublings, so it needs square images of side 4, 8, 16, 32, 64, ...; the \
             data's are {height}x{width} (for MNIST use --dataset mnist5k-32 or fashion-32, padded to 32x32)"
        ));
    }
    Ok((height, channels))
}

impl Progan {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<Progan, String> {
        let generator = Progan::build_generator(config, shape)?;
        let (size, channels) = image_geometry(shape)?;
        let rng = &mut StdRng::seed_from_u64(config.seed ^ 0xD15C);
        let discriminator = ProgressiveDiscriminator::new(size, channels, config.features, rng);
        let top = generator.top_level();
        let schedule = GrowthSchedule {
            start: 0,
            top,
            phase_images: config.phase_images,
            batches: config.level_batches(top + 1)?,
        };
        Ok(Progan {
            opt_g: optimizer(config, generator.parameters(), config.lr_g),
            opt_d: optimizer(config, discriminator.parameters(), config.lr_d),
            generator,
            discriminator,
            schedule,
            prior: Prior::parse(&config.prior)?,
            d_steps: config.d_steps,
            gp_lambda: config.gp_lambda,
        })
    }

    /// The generator alone, at its full size until a checkpoint's stage is loaded into it.
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        Ok(Box::new(Progan::build_generator(config, shape)?))
    }

    fn build_generator(config: &TrainConfig, shape: &DataShape) -> Result<ProgressiveGenerator, String> {
        let (size, channels) = image_geometry(shape)?;
        Ok(ProgressiveGenerator::new(size, channels, config.features, &mut StdRng::seed_from_u64(config.seed)))
    }

    pub fn schedule(&self) -> &GrowthSchedule {
        &self.schedule
    }

    pub fn discriminator(&self) -> &ProgressiveDiscriminator {
        &self.discriminator
    }

    pub fn progressive_generator(&self) -> &ProgressiveGenerator {
        &self.generator
    }

    // ANCHOR: progan_d_step
    /// One critic update at `stage`: WGAN-GP plus the drift term.
    fn discriminator_step(&mut self, stage: Stage, ctx: &mut StepContext) -> Tensor {
        let batch = self.schedule.batch(stage.level);
        let real = real_at(&ctx.data.next_batch(batch).x, stage);
        let z = self.prior.sample(batch, self.generator.latent_dim(), ctx.rng);
        let fake = no_grad(|| self.generator.forward(&z, stage));
        let critic = |x: &Tensor| self.discriminator.forward(x, stage);
        let (d_real, d_fake) = (critic(&real), critic(&fake));
        let wasserstein = d_fake.mean_all().sub(&d_real.mean_all());
        let penalty = gradient_penalty(critic, &real, &fake, ctx.rng).mul_scalar(self.gp_lambda);
        let drift = d_real.powf(2.0).mean_all().mul_scalar(DRIFT);
        let loss = wasserstein.add(&penalty).add(&drift);
        minimise(self.opt_d.as_mut(), &loss);
        loss
    }
    // ANCHOR_END: progan_d_step

    /// One generator update at `stage`: -E[D(G(z))].
    fn generator_step(&mut self, stage: Stage, ctx: &mut StepContext) -> Tensor {
        let z = self.prior.sample(self.schedule.batch(stage.level), self.generator.latent_dim(), ctx.rng);
        let loss = self.discriminator.forward(&self.generator.forward(&z, stage), stage).mean_all().neg();
        minimise(self.opt_g.as_mut(), &loss);
        loss
    }
}

impl Family for Progan {
    /// The schedule's stage at this step, k critic updates and one generator
    /// update there; logs the losses and the stage (level and alpha).
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let stage = self.schedule.at(ctx.step);
        let mut d_loss = self.discriminator_step(stage, ctx);
        for _ in 1..self.d_steps {
            d_loss = self.discriminator_step(stage, ctx);
        }
        let g_loss = self.generator_step(stage, ctx);
        // The stage after this step is what samples drawn now should show.
        self.generator.set_stage(self.schedule.at(ctx.step + 1));
        let level = Tensor::scalar(stage.level as f32);
        let alpha = Tensor::scalar(stage.alpha);
        vec![("d_loss", d_loss), ("g_loss", g_loss), ("level", level), ("alpha", alpha)]
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
