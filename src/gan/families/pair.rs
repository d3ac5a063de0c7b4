//! One generator, one discriminator: Goodfellow et al.'s Algorithm 1 (k
//! discriminator updates, then one generator update), generalised with the
//! literature's knobs: any objective of `losses.rs`, TTUR learning rates,
//! WGAN's clipping, WGAN-GP and R1 penalties, one-sided label smoothing,
//! instance noise, feature matching, the latent prior and PacGAN's packed
//! critic. The MLP, DCGAN and conditional GAN are this family with different
//! networks (`models/`).

use crate::checkpoint::Parts;
use crate::gan::config::TrainConfig;
use crate::gan::families::{minimise, optimizer, unrolled, DataShape};
use crate::gan::family::{duel_parts, Family, Losses, Player, Sampler, StepContext};
use crate::gan::losses::Objective;
use crate::gan::models::{self, CriticNorm, GanModel};
use crate::gan::pack::pack;
use crate::gan::penalties::{annealed_sigma, feature_matching, gradient_penalty, instance_noise, r1_penalty};
use crate::gan::prior::Prior;
use crate::optim::{clip_weights, Optimizer};
use crate::{no_grad, Tensor};
use rand::Rng;

pub struct Pair {
    model: Box<dyn GanModel>,
    objective: Objective,
    prior: Prior,
    opt_d: Box<dyn Optimizer>,
    opt_g: Box<dyn Optimizer>,
    config: TrainConfig,
}

impl Pair {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<Pair, String> {
        Pair::with_model(config, Pair::networks(config, shape)?)
    }

    /// The family around networks built elsewhere (the playground's perceptrons
    /// of the user's chosen size).
    pub fn with_model(config: &TrainConfig, model: Box<dyn GanModel>) -> Result<Pair, String> {
        let opt_d = optimizer(config, model.discriminator().parameters(), config.lr_d);
        let opt_g = optimizer(config, model.generator().parameters(), config.lr_g);
        Ok(Pair {
            model,
            objective: config.objective()?,
            prior: Prior::parse(&config.prior)?,
            opt_d,
            opt_g,
            config: config.clone(),
        })
    }

    /// The networks alone, seen as their generator.
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        Ok(Pair::networks(config, shape)?)
    }

    fn networks(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn GanModel>, String> {
        let norm = Pair::critic_norm(config)?;
        models::build(&config.model, &shape.item_shape, shape.classes, norm, config.pack, config.seed)
    }

    /// Layer norm in a critic whose input gradient is penalised (WGAN-GP, R1),
    /// batch norm otherwise (see `CriticNorm`).
    pub fn critic_norm(config: &TrainConfig) -> Result<CriticNorm, String> {
        let penalised = config.objective()? == Objective::WassersteinGp || config.r1_gamma > 0.0;
        Ok(if penalised { CriticNorm::Layer } else { CriticNorm::Batch })
    }

    /// Where G's loss pushes each of the generated `points` [N, 2]: minus its
    /// gradient with respect to them, [N, 2] (the arrows of GAN Lab's view).
    pub fn generator_push(&self, points: &Tensor) -> Tensor {
        let points = points.detach().requires_grad_();
        let loss = self.objective.g_loss(&self.model.discriminate(&points, None));
        crate::grad(&[&loss], &[&points], false).remove(0).neg()
    }

    fn random_labels(&self, n: usize, rng: &mut impl Rng) -> Option<Vec<usize>> {
        let classes = self.model.classes()?;
        Some((0..n).map(|_| rng.random_range(0..classes)).collect())
    }

    /// One discriminator update; returns its loss (on the GPU).
    fn discriminator_step(&mut self, ctx: &mut StepContext) -> Tensor {
        let config = &self.config;
        // D judges `batch` examples, each a pack of `pack` samples (PacGAN; 1: one sample).
        let samples = config.batch * config.pack;
        let batch = ctx.data.next_batch(samples);
        let labels = batch.labels.as_deref();
        let z = self.prior.sample(samples, self.model.latent_dim(), ctx.rng);
        // The generator's output is a constant here: no gradient flows into G.
        // A conditional G draws the real batch's labels, so both halves of D's
        // batch (and a gradient penalty's interpolates) share one set of labels.
        let fake = no_grad(|| self.model.generate(&z, labels));
        let sigma = annealed_sigma(config.instance_noise, ctx.step, ctx.total_steps);
        let real = pack(&instance_noise(&batch.x, sigma, ctx.rng), config.pack);
        let fake = pack(&instance_noise(&fake, sigma, ctx.rng), config.pack);
        let d_real = self.model.discriminate(&real, labels);
        let d_fake = self.model.discriminate(&fake, labels);
        let mut loss = self.objective.d_loss_with_real_label(&d_real, &d_fake, config.real_label);
        let critic = |x: &Tensor| self.model.discriminate(x, labels);
        if self.objective == Objective::WassersteinGp {
            loss = loss.add(&gradient_penalty(critic, &real, &fake, ctx.rng).mul_scalar(config.gp_lambda));
        }
        if config.r1_gamma > 0.0 {
            loss = loss.add(&r1_penalty(critic, &real).mul_scalar(config.r1_gamma / 2.0));
        }
        // ANCHOR: weight_clipping
        minimise(self.opt_d.as_mut(), &loss);
        if self.objective == Objective::Wasserstein {
            clip_weights(&self.opt_d.parameters(), config.clip);
        }
        // ANCHOR_END: weight_clipping
        loss
    }

    /// One generator update; returns its loss (on the GPU).
    fn generator_step(&mut self, ctx: &mut StepContext) -> Tensor {
        let m = self.config.pack;
        let n = self.config.batch * m;
        let z = self.prior.sample(n, self.model.latent_dim(), ctx.rng);
        // D sees G's samples through the same instance noise as in its own
        // step (Sønderby et al.): G is trained against the D it faces.
        let sigma = annealed_sigma(self.config.instance_noise, ctx.step, ctx.total_steps);
        let loss = if self.config.unroll > 0 {
            let (model, opt_d) = (self.model.as_ref(), self.opt_d.as_ref());
            unrolled::generator_loss(model, self.objective, opt_d, &self.config, &z, sigma, ctx)
        } else if self.config.feature_matching {
            // Salimans et al.: match the mean of D's last hidden features on a
            // real batch (whose labels a conditional G draws, so both means
            // are over the same classes).
            let real = ctx.data.next_batch(n);
            let labels = real.labels.as_deref();
            let fake = pack(&instance_noise(&self.model.generate(&z, labels), sigma, ctx.rng), m);
            let real_features = no_grad(|| self.model.critic_features(&pack(&real.x, m), labels));
            feature_matching(&real_features, &self.model.critic_features(&fake, labels))
        } else {
            let labels = self.random_labels(n, ctx.rng);
            let labels = labels.as_deref();
            let fake = pack(&instance_noise(&self.model.generate(&z, labels), sigma, ctx.rng), m);
            self.objective.g_loss(&self.model.discriminate(&fake, labels))
        };
        // Only G's parameters: D's weight gradients are never computed.
        minimise(self.opt_g.as_mut(), &loss);
        loss
    }
}

impl Family for Pair {
    // ANCHOR: pair_step
    /// `k` D updates, then one G update; logs the last D loss and the G loss.
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let mut d_loss = self.discriminator_step(ctx);
        for _ in 1..self.config.d_steps {
            d_loss = self.discriminator_step(ctx);
        }
        let g_loss = self.generator_step(ctx);
        vec![("d_loss", d_loss), ("g_loss", g_loss)]
    }
    // ANCHOR_END: pair_step

    fn sampler(&self) -> &dyn Sampler {
        self.model.as_ref()
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.opt_d.as_mut()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn parts(&mut self) -> Parts<'_> {
        duel_parts(self.model.generator(), self.model.discriminator(), self.opt_g.as_mut(), self.opt_d.as_mut())
    }

    /// A logistic D's probability sigmoid(logit); any other critic's score
    /// stretched to [0, 1] over the points (a Wasserstein critic's score has
    /// no scale of its own, and a sigmoid of it would saturate). None for a
    /// packed critic, which scores packs, not single points.
    fn critic_on(&self, points: &Tensor) -> Option<Tensor> {
        if self.config.pack > 1 {
            return None;
        }
        let score = self.model.discriminate(points, None);
        Some(match self.objective {
            Objective::Minimax | Objective::NonSaturating => score.sigmoid(),
            _ => {
                let (low, high) = (score.neg().max_all().neg(), score.max_all());
                score.sub(&low).div(&high.sub(&low).add_scalar(1e-12))
            }
        })
    }
}
