//! BiGAN (Donahue et al. 2017) / ALI (Dumoulin et al. 2017): beside the
//! generator G: z -> x, an encoder E: x -> z, and a discriminator on pairs
//! that tells (x, E(x)), x real, from (G(z), z). D minimises the logistic
//! (BCE) loss with real pairs labelled 1; G and E minimise the same loss
//! with the labels swapped, the non-saturating form both papers train with.
//! At the game's optimum the two joint distributions agree, so E inverts G.
//!
//! E is deterministic by default (BiGAN); `--encoder stochastic` makes it
//! ALI's Gaussian q(z | x), sampled by reparameterisation. On 2D points z
//! has 2 values (ALI's mixture experiment), on images 64; every net is a
//! perceptron with two hidden layers (`nets/`).

use crate::checkpoint::Parts;
use crate::gan::config::TrainConfig;
use crate::gan::families::joint::JointPlayers;
use crate::gan::families::{minimise, DataShape};
use crate::gan::family::{Family, Losses, Player, Sampler, StepContext};
use crate::gan::losses::Objective;
use crate::gan::nets::encoder::EncoderKind;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};

/// Latent size on 2D points.
const POINT_LATENT: usize = 2;

pub struct Bigan {
    players: JointPlayers,
}

impl Bigan {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<Bigan, String> {
        let kind = EncoderKind::parse(&config.encoder)?;
        Ok(Bigan { players: JointPlayers::new(config, shape, POINT_LATENT, kind, "encoder")? })
    }

    /// The generator alone.
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Box<dyn Sampler> {
        JointPlayers::generator(config, shape, POINT_LATENT)
    }
}

impl Family for Bigan {
    /// One D update, then one joint update of G and E, on the same batch and latents.
    // ANCHOR: bigan_step
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let bce = Objective::NonSaturating;
        let x = ctx.data.next_batch(self.players.batch).x;
        let p = &self.players;
        let z = p.prior.sample(x.shape()[0], p.generator.latent_dim(), ctx.rng);
        let (code, fake) = no_grad(|| (p.encoder.sample(&x, ctx.rng), p.generator.generate(&z, None)));
        let d_loss = bce.d_loss(&p.critic.logits(&x, &code), &p.critic.logits(&fake, &z));
        minimise(self.players.opt_d.as_mut(), &d_loss);

        let p = &self.players;
        let (code, fake) = (p.encoder.sample(&x, ctx.rng), p.generator.generate(&z, None));
        // Swapped labels: G wants its pairs called real, E wants its pairs called fake.
        let ge_loss = bce.d_loss(&p.critic.logits(&fake, &z), &p.critic.logits(&x, &code));
        minimise(self.players.opt_g.as_mut(), &ge_loss);
        vec![("d_loss", d_loss), ("ge_loss", ge_loss)]
    }
    // ANCHOR_END: bigan_step

    fn sampler(&self) -> &dyn Sampler {
        &self.players.generator
    }

    /// E's code for samples x [N, ...]: [N, latent] (the mean, for a stochastic E).
    fn encode(&self, x: &Tensor) -> Option<Tensor> {
        Some(self.players.encoder.encode(x))
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        self.players.optimizers()
    }

    fn parts(&mut self) -> Parts<'_> {
        self.players.parts()
    }

    fn critic_on(&self, points: &Tensor) -> Option<Tensor> {
        Some(self.players.critic_on(points))
    }
}
