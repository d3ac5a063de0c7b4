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

use crate::checkpoint::{Loader, Saver};
use crate::gan::config::TrainConfig;
use crate::gan::families::pix2pix::halves;
use crate::gan::families::unpaired::{critics, picture_shape, HeldOut, Translations, PICTURE_COLUMNS};
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::family::{Family, Losses, Player, Sampler, StepContext};
use crate::gan::image_pool::{ImagePool, POOL_SIZE};
use crate::gan::losses::Objective;
use crate::gan::nets::patchgan::PatchGan;
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
    /// Judges A pictures (real a against F(b)).
    d_a: PatchGan,
    /// Judges B pictures (real b against G(a)).
    d_b: PatchGan,
    /// One Adam over G and F, one over D_A and D_B, as the reference code.
    opt_g: Box<dyn Optimizer>,
    opt_d: Box<dyn Optimizer>,
    /// Earlier F(b) shown to D_A, and earlier G(a) shown to D_B.
    pool_a: ImagePool,
    pool_b: ImagePool,
    batch: usize,
    cycle_weight: f32,
    identity_weight: f32,
    held_out: HeldOut,
}

impl CycleGan {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<CycleGan, String> {
        let picture = picture_shape(config, shape)?;
        let (g, f) = CycleGan::generators(config, picture)?;
        let (d_a, d_b) = critics(config, picture)?;
        let dir = config.dataset.trim_start_matches("unpaired:");
        let held_out = HeldOut::open(Path::new(dir), picture)?;
        let both = |x: &dyn Module, y: &dyn Module| [x.parameters(), y.parameters()].concat();
        Ok(CycleGan {
            opt_g: optimizer(config, both(&g, &f), config.lr_g),
            opt_d: optimizer(config, both(&d_a, &d_b), config.lr_d),
            g,
            f,
            d_a,
            d_b,
            pool_a: ImagePool::new(POOL_SIZE, picture),
            pool_b: ImagePool::new(POOL_SIZE, picture),
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
        let lsgan = Objective::LeastSquares;
        let (a, b) = halves(&ctx.data.next_batch(self.batch).x); // unpaired: A's draw, then B's
        let (g_a, f_b) = (self.g.forward(&a), self.f.forward(&b));
        let cycle = CycleGan::cycle_loss(&a, &self.f.forward(&g_a), &b, &self.g.forward(&f_b));
        let identity = CycleGan::identity_loss(&a, &self.f.forward(&a), &b, &self.g.forward(&b));
        // The reference code's mean squared error to 1, twice `g_loss` (which halves it as LSGAN's paper).
        let g_gan = lsgan.g_loss(&self.d_b.forward(&g_a)).add(&lsgan.g_loss(&self.d_a.forward(&f_b))).mul_scalar(2.0);
        let g_total = g_gan.add(&cycle.mul_scalar(self.cycle_weight)).add(&identity.mul_scalar(self.identity_weight));
        minimise(self.opt_g.as_mut(), &g_total);

        let pooled_f_b = self.pool_a.query(&f_b, ctx.rng);
        let pooled_g_a = self.pool_b.query(&g_a, ctx.rng);
        let d_a = lsgan.d_loss(&self.d_a.forward(&a), &self.d_a.forward(&pooled_f_b));
        let d_b = lsgan.d_loss(&self.d_b.forward(&b), &self.d_b.forward(&pooled_g_a));
        minimise(self.opt_d.as_mut(), &d_a.add(&d_b));
        vec![("d_a", d_a), ("d_b", d_b), ("g_gan", g_gan), ("cycle", cycle), ("identity", identity)]
    }
    // ANCHOR_END: cyclegan_step

    fn sampler(&self) -> &dyn Sampler {
        &self.g
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.opt_d.as_mut()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn save_parts(&self, saver: Saver) -> Saver {
        saver
            .module("generator", &self.g)
            .module("inverse_generator", &self.f)
            .module("discriminator_a", &self.d_a)
            .module("discriminator_b", &self.d_b)
            .part("opt_g", self.opt_g.as_ref())
            .part("opt_d", self.opt_d.as_ref())
            .part("pool_a", &self.pool_a)
            .part("pool_b", &self.pool_b)
    }

    fn load_parts<'a>(&'a mut self, loader: Loader<'a>) -> Loader<'a> {
        loader
            .module("generator", &self.g)
            .module("inverse_generator", &self.f)
            .module("discriminator_a", &self.d_a)
            .module("discriminator_b", &self.d_b)
            .part("opt_g", self.opt_g.as_mut())
            .part("opt_d", self.opt_d.as_mut())
            .part("pool_a", &mut self.pool_a)
            .part("pool_b", &mut self.pool_b)
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
