//! AlignFlow (Grover, Chute, Shu, Cao and Ermon 2020): unpaired translation
//! through a latent space shared by two normalizing flows (`nn/flow/`),
//! G_A: A -> Z and G_B: B -> Z. A picture a is translated to B as
//! G_B^-1(G_A(a)), and b to A as G_A^-1(G_B(b)). Going there and back,
//! G_A^-1(G_B(G_B^-1(G_A(a)))) = a: the composition is cycle-consistent by
//! construction, up to float rounding, so there is no cycle loss to weigh.
//!
//! Losses (the reference code's Flow2Flow, the paper's hybrid objective):
//! - adversarial, LSGAN as CycleGAN (`cyclegan.rs`): PatchGAN D_B tells real
//!   b from G_B^-1(G_A(a)), D_A real a from G_A^-1(G_B(b)) (`d_a`, `d_b`;
//!   `g_gan` is both translations' mean of (D - 1)^2, summed);
//! - maximum likelihood: each flow is a density model of its own domain,
//!   p(a) = N(G_A(a); 0, I) |det dG_A/da|, and the flows' loss adds
//!   lambda_mle (`--mle-weight`) times the negative log-likelihood of both
//!   domains in nats per picture (of the dequantized 8-bit pictures, see
//!   `nn/flow/likelihood.rs`). The reference code's Flow2Flow run uses
//!   lambda_mle = 1e-4 (its parser's default is 1); that is 1e-4 * D ln 2
//!   = 0.21 per bit per dimension at 32x32x3. The log shows bits per
//!   dimension (`bpd_a`, `bpd_b`): 8 for a uniform guess.
//!
//! One step: D_A and D_B update on real pictures against translated ones
//! drawn through each side's history pool (`image_pool.rs`), then both flows
//! together (one Adam, as the reference code) on adversarial + lambda_mle *
//! NLL, the translations judged by the updated discriminators. Each flow's
//! actnorm layers start from the first step's batch (`Flow::initialize`);
//! a resumed run loads them instead.
//!
//! The flows: 2 scales of 4 steps (actnorm, a fixed channel permutation, an
//! affine coupling whose conv net has `--features` maps), the reference
//! code's size for Flow2Flow. They start from independent random weights,
//! as the reference code's, or from the same weights (`--shared-start`), so
//! that the translations start as the identity up to actnorm's per-domain start. Their output is not squashed into [-1, 1] (the
//! reference code ends with a tanh, which would break the exact inverse):
//! translations are clamped to the pixel range where they are shown or
//! compared with pictures, and the cycle errors are measured on the
//! unclamped maps.
//!
//! Pictures: the held-out rows of `unpaired.rs` (a | G(a) | F(G(a)) and
//! b | F(b) | G(F(b)), with G = G_B^-1 G_A and F = G_A^-1 G_B), then a row of
//! samples of each flow, G_A^-1(z) and G_B^-1(z) for z ~ N(0, T^2 I) at the
//! temperature T = 0.7 Glow shows its samples at. Scores: those of
//! `unpaired.rs` (the cycle errors should be about 1e-6) and the bits per
//! dimension of each held-out set.

use crate::checkpoint::{Part, Parts};
use crate::gan::config::TrainConfig;
use crate::gan::families::pix2pix::halves;
use crate::gan::families::unpaired::{picture_shape, Critics, HeldOut, Translations, PICTURE_COLUMNS};
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::family::{Family, Losses, Player, Sampler, StepContext};
use crate::nn::flow::{bits_per_dim, dequantize, nll_nats, Flow};
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;

/// Scales of each flow (a squeeze each).
const SCALES: usize = 2;
/// Steps of flow (actnorm, permutation, coupling) at each scale.
const COUPLINGS: usize = 4;
/// The temperature of the prior samples in the picture.
const TEMPERATURE: f32 = 0.7;
/// The seed of the held-out pictures' dequantization noise and of the prior samples shown.
const PICTURE_SEED: u64 = 7;

/// The two flows, A <-> Z <-> B: the generator of AlignFlow.
pub struct FlowPair {
    /// G_A: A -> Z.
    pub a: Flow,
    /// G_B: B -> Z.
    pub b: Flow,
}

impl FlowPair {
    /// Two flows on pictures of shape `picture`, with coupling nets of
    /// `hidden` maps, from `seed`: both from the same weights when `shared_start`.
    pub fn new(picture: [usize; 3], hidden: usize, seed: u64, shared_start: bool) -> Result<FlowPair, String> {
        let rng = &mut StdRng::seed_from_u64(seed);
        let a = Flow::new(picture, SCALES, COUPLINGS, hidden, rng)?;
        let b = if shared_start {
            Flow::new(picture, SCALES, COUPLINGS, hidden, &mut StdRng::seed_from_u64(seed))?
        } else {
            Flow::new(picture, SCALES, COUPLINGS, hidden, rng)?
        };
        Ok(FlowPair { a, b })
    }

    /// G_B^-1(G_A(a)), unclamped.
    pub fn a_to_b(&self, a: &Tensor) -> Tensor {
        self.b.inverse(&self.a.forward(a).0)
    }

    /// G_A^-1(G_B(b)), unclamped.
    pub fn b_to_a(&self, b: &Tensor) -> Tensor {
        self.a.inverse(&self.b.forward(b).0)
    }
}

impl Module for FlowPair {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("a".into(), &self.a), ("b".into(), &self.b)]
    }
}

impl Sampler for FlowPair {
    fn generator(&self) -> &dyn Module {
        self
    }

    fn latent_dim(&self) -> usize {
        0
    }

    fn image_input(&self) -> Option<[usize; 3]> {
        Some(self.a.input_shape())
    }

    /// A pictures [N, C, H, W] to B, clamped to the pixel range.
    fn generate(&self, a: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.a_to_b(a).clamp(-1.0, 1.0)
    }
}

pub struct AlignFlow {
    flows: FlowPair,
    /// D_A (real a against G_A^-1(G_B(b))) and D_B (real b against G_B^-1(G_A(a))).
    critics: Critics,
    /// One Adam over both flows.
    opt_g: Box<dyn Optimizer>,
    batch: usize,
    mle_weight: f32,
    held_out: HeldOut,
}

impl AlignFlow {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<AlignFlow, String> {
        let picture = picture_shape(config, shape)?;
        let flows = FlowPair::new(picture, config.features, config.seed, config.shared_start)?;
        let critics = Critics::new(config, picture)?;
        let dir = config.dataset.trim_start_matches("unpaired:");
        let held_out = HeldOut::open(Path::new(dir), picture)?;
        Ok(AlignFlow {
            opt_g: optimizer(config, flows.parameters(), config.lr_g),
            flows,
            critics,
            batch: config.batch,
            mle_weight: config.mle_weight,
            held_out,
        })
    }

    /// The two flows alone (what sampling from a checkpoint loads).
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        let picture = picture_shape(config, shape)?;
        Ok(Box::new(FlowPair::new(picture, config.features, config.seed, config.shared_start)?))
    }

    /// Both translations of held-out pictures and their round trips, without gradients.
    fn translate(&self, a: &Tensor, b: &Tensor) -> Translations {
        no_grad(|| {
            let (a_to_b, b_to_a) = (self.flows.a_to_b(a), self.flows.b_to_a(b));
            Translations {
                f_g_a: self.flows.b_to_a(&a_to_b),
                g_f_b: self.flows.a_to_b(&b_to_a),
                g_a: a_to_b.clamp(-1.0, 1.0),
                f_b: b_to_a.clamp(-1.0, 1.0),
            }
        })
    }

    /// Samples G^-1(z) of a flow, z ~ N(0, T^2 I), one picture row.
    fn prior_samples(flow: &Flow, seed: u64) -> Tensor {
        let [c, h, w] = flow.latent_shape();
        let z = Tensor::randn(&[PICTURE_COLUMNS, c, h, w], seed).mul_scalar(TEMPERATURE);
        no_grad(|| flow.inverse(&z).clamp(-1.0, 1.0))
    }
}

impl Family for AlignFlow {
    // ANCHOR: alignflow_step
    /// One update of D_A and D_B on real pictures against pooled
    /// translations, then one of both flows (adversarial + lambda_mle * NLL).
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let (a, b) = halves(&ctx.data.next_batch(self.batch).x); // unpaired: A's draw, then B's
        if ctx.step == 0 {
            self.flows.a.initialize(&a);
            self.flows.b.initialize(&b);
        }
        let (z_a, log_det_a) = self.flows.a.forward(&dequantize(&a, ctx.rng));
        let (z_b, log_det_b) = self.flows.b.forward(&dequantize(&b, ctx.rng));
        let (a_to_b, b_to_a) = (self.flows.b.inverse(&z_a), self.flows.a.inverse(&z_b));

        let [d_a, d_b] = self.critics.step(&a, &b, &a_to_b, &b_to_a, ctx.rng);
        let g_gan = self.critics.g_loss(&a_to_b, &b_to_a);
        let (nll_a, nll_b) = (nll_nats(&z_a, &log_det_a), nll_nats(&z_b, &log_det_b));
        minimise(self.opt_g.as_mut(), &g_gan.add(&nll_a.add(&nll_b).mul_scalar(self.mle_weight)));
        let dims = a.numel() / a.shape()[0];
        let (bpd_a, bpd_b) = (bits_per_dim(&nll_a.detach(), dims), bits_per_dim(&nll_b.detach(), dims));
        vec![("d_a", d_a), ("d_b", d_b), ("g_gan", g_gan), ("bpd_a", bpd_a), ("bpd_b", bpd_b)]
    }
    // ANCHOR_END: alignflow_step

    fn sampler(&self) -> &dyn Sampler {
        &self.flows
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.critics.optimizer()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn parts(&mut self) -> Parts<'_> {
        let mut parts = self.critics.parts();
        parts.push(("generator", Part::Module(&self.flows)));
        parts.push(("opt_g", Part::State(self.opt_g.as_mut())));
        parts
    }

    /// Held-out a | G(a) | F(G(a)) and b | F(b) | G(F(b)) rows, then a row
    /// of samples of G_A and one of G_B.
    fn picture(&self) -> Option<(Tensor, usize)> {
        let rows = self.held_out.picture(|a, b| self.translate(a, b));
        let samples_a = AlignFlow::prior_samples(&self.flows.a, PICTURE_SEED);
        let samples_b = AlignFlow::prior_samples(&self.flows.b, PICTURE_SEED + 1);
        Some((Tensor::concat(&[&rows, &samples_a, &samples_b], 0), PICTURE_COLUMNS))
    }

    /// The scores of `unpaired.rs`, and each held-out set's bits per dimension.
    fn held_out_scores(&self) -> Vec<(String, f32)> {
        let mut scores = self.held_out.scores(|a, b| self.translate(a, b));
        let rng = &mut StdRng::seed_from_u64(PICTURE_SEED);
        let split = self.held_out.split;
        for (name, flow, set) in [("A", &self.flows.a, &self.held_out.a), ("B", &self.flows.b, &self.held_out.b)] {
            let dims = set.numel() / set.shape()[0];
            let bits = no_grad(|| {
                let (z, log_det) = flow.forward(&dequantize(set, rng));
                bits_per_dim(&nll_nats(&z, &log_det), dims).item()
            });
            let count = set.shape()[0];
            scores.push((format!("bits per dimension of the {count} {split}{name} pictures under G_{name}"), bits));
        }
        scores
    }
}
