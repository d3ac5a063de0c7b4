//! CycleGAN (Zhu, Park, Isola and Efros 2017): image-to-image translation
//! learned from two unpaired sets, A and B. Two ResNet-block generators
//! (`nets/resnet.rs`: reflection padding, instance norm), G: A -> B and
//! F: B -> A, and two PatchGAN discriminators (`nets/patchgan.rs`, on one
//! picture each, not a pair): D_B tells real B from G(a), D_A real A from F(b).
//!
//! Losses, as in the paper and its reference code:
//! - adversarial, LSGAN (Mao et al.): G minimises the mean of (D_B(G(a)) - 1)^2,
//!   F the same against D_A; each D minimises half the mean of
//!   (D(real) - 1)^2 + D(fake)^2 (`d_a`, `d_b`; `g_gan` is G's and F's terms summed);
//! - cycle consistency, lambda (10, `--cycle-weight`) times
//!   |F(G(a)) - a| + |G(F(b)) - b| (`cycle`): a translation must keep
//!   enough of its input to be translated back;
//! - identity, 0.5 lambda (5, `--identity-weight`) times
//!   |G(b) - b| + |F(a) - a| (`identity`): a picture already in the target
//!   domain should pass unchanged, which keeps colours from drifting.
//!
//! The logged `cycle` and `identity` are the unweighted sums of their two
//! mean absolute errors. One step updates G and F together (one Adam over
//! both), then D_A and D_B together on real pictures against generated ones
//! drawn through each side's history pool (`image_pool.rs`).
//!
//! Pictures and scores on held-out pictures are those of `unpaired.rs`
//! (rows a | G(a) | F(G(a)) and b | F(b) | G(F(b)); cycle errors, the L1
//! distances to the true counterparts and the FIDs of both translations),
//! shared with AlignFlow.

use crate::checkpoint::{Part, Parts};
use crate::gan::config::TrainConfig;
use crate::gan::families::pix2pix::halves;
use crate::gan::families::unpaired::{picture_shape, Critics, HeldOut, Translations, PICTURE_COLUMNS};
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::family::{Family, Losses, Player, Sampler, StepContext};
use crate::gan::nets::resnet::ResnetGenerator;
use crate::gan::nets::Translator;
use crate::gan::trainer::sample_eval;
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::Tensor;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;

pub struct CycleGan {
    /// G: A -> B.
    g: ResnetGenerator,
    /// F: B -> A.
    f: ResnetGenerator,
    /// D_A (real a against F(b)) and D_B (real b against G(a)).
    critics: Critics,
    /// One Adam over G and F, as the reference code.
    opt_g: Box<dyn Optimizer>,
    batch: usize,
    cycle_weight: f32,
    identity_weight: f32,
    held_out: HeldOut,
}

impl CycleGan {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<CycleGan, String> {
        let picture = picture_shape(config, shape)?;
        let (g, f) = CycleGan::generators(config, picture)?;
        let critics = Critics::new(config, picture)?;
        let dir = config.dataset.trim_start_matches("unpaired:");
        let held_out = HeldOut::open(Path::new(dir), picture)?;
        Ok(CycleGan {
            opt_g: optimizer(config, [g.parameters(), f.parameters()].concat(), config.lr_g),
            g,
            f,
            critics,
            batch: config.batch,
            cycle_weight: config.cycle_weight,
            identity_weight: config.identity_weight,
            held_out,
        })
    }

    /// G: A -> B alone (what sampling from a checkpoint loads).
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        Ok(Box::new(CycleGan::generators(config, picture_shape(config, shape)?)?.0))
    }

    /// G and F, initialised from the config's seed.
    fn generators(config: &TrainConfig, picture: [usize; 3]) -> Result<(ResnetGenerator, ResnetGenerator), String> {
        let rng = &mut StdRng::seed_from_u64(config.seed);
        Ok((ResnetGenerator::new(picture, config.features, rng)?, ResnetGenerator::new(picture, config.features, rng)?))
    }

    /// F: B -> A.
    pub fn inverse(&self) -> &ResnetGenerator {
        &self.f
    }

    // ANCHOR: cycle_losses
    /// The cycle-consistency loss |F(G(a)) - a| + |G(F(b)) - b| (means over
    /// every value) of pictures and their round trips.
    pub fn cycle_loss(a: &Tensor, f_g_a: &Tensor, b: &Tensor, g_f_b: &Tensor) -> Tensor {
        f_g_a.sub(a).abs().mean_all().add(&g_f_b.sub(b).abs().mean_all())
    }

    /// The identity loss |G(b) - b| + |F(a) - a|: each generator should leave
    /// pictures of its own target domain alone.
    pub fn identity_loss(a: &Tensor, f_a: &Tensor, b: &Tensor, g_b: &Tensor) -> Tensor {
        CycleGan::cycle_loss(a, f_a, b, g_b)
    }
    // ANCHOR_END: cycle_losses

    /// G and F on held-out pictures a and b, in evaluation mode.
    fn translate(&self, a: &Tensor, b: &Tensor) -> Translations {
        let g_a = sample_eval(&self.g, a, None);
        let f_b = sample_eval(&self.f, b, None);
        Translations { f_g_a: sample_eval(&self.f, &g_a, None), g_f_b: sample_eval(&self.g, &f_b, None), g_a, f_b }
    }
}

impl Family for CycleGan {
    // ANCHOR: cyclegan_step
    /// One update of G and F (adversarial + cycle + identity), then one of
    /// D_A and D_B on real pictures against pooled generated ones.
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let (a, b) = halves(&ctx.data.next_batch(self.batch).x); // unpaired: A's draw, then B's
        let (g_a, f_b) = (self.g.forward(&a), self.f.forward(&b));
        let cycle = CycleGan::cycle_loss(&a, &self.f.forward(&g_a), &b, &self.g.forward(&f_b));
        let identity = CycleGan::identity_loss(&a, &self.f.forward(&a), &b, &self.g.forward(&b));
        let g_gan = self.critics.g_loss(&g_a, &f_b);
        let g_total = g_gan.add(&cycle.mul_scalar(self.cycle_weight)).add(&identity.mul_scalar(self.identity_weight));
        minimise(self.opt_g.as_mut(), &g_total);
        let [d_a, d_b] = self.critics.step(&a, &b, &g_a, &f_b, ctx.rng);
        vec![("d_a", d_a), ("d_b", d_b), ("g_gan", g_gan), ("cycle", cycle), ("identity", identity)]
    }
    // ANCHOR_END: cyclegan_step

    fn sampler(&self) -> &dyn Sampler {
        &self.g
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.critics.optimizer()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn parts(&mut self) -> Parts<'_> {
        let mut parts = self.critics.parts();
        parts.push(("generator", Part::Module(&self.g)));
        parts.push(("inverse_generator", Part::Module(&self.f)));
        parts.push(("opt_g", Part::State(self.opt_g.as_mut())));
        parts
    }

    /// Held-out a | G(a) | F(G(a)) rows, then b | F(b) | G(F(b)) rows.
    fn picture(&self) -> Option<(Tensor, usize)> {
        Some((self.held_out.picture(|a, b| self.translate(a, b)), PICTURE_COLUMNS))
    }

    /// Mean absolute errors per value (pixels in [-1, 1]) over the held-out sets.
    fn held_out_scores(&self) -> Vec<(String, f32)> {
        self.held_out.scores(|a, b| self.translate(a, b))
    }
}
