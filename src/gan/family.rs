//! The interface between the trainer and a family of the GAN literature.
//!
//! Systems differ exactly in their training step: a DCGAN updates one D and
//! one G; CycleGAN two of each with cycle and identity terms; BiGAN a
//! generator, an encoder and a joint discriminator; ProGAN grows its nets on
//! a schedule. So the step is the family's own code, and everything around it
//! (the loop, the log, pictures, EMA, checkpoints, exact resume, the
//! divergence guard) is the trainer's, written once for every family.
//!
//! A family:
//! - owns its networks and optimisers and runs one `step`, returning its
//!   losses by name, still on the GPU (the trainer reads them back only at
//!   logging steps, and gives each name a column of the log);
//! - draws every random number of a step from the step's `rng` and its
//!   batches from `data`, which is what makes a resumed run exact;
//! - names its checkpoint parts, one of which is its generator under the part
//!   name "generator" (what `ganforge sample` loads);
//! - shows its generator as a [`Sampler`] for pictures, evaluation and sampling.

use crate::checkpoint::{Part, Parts};
use crate::data::dataset::{Batch, Dataset};
use crate::nn::{Module, Sequential};
use crate::optim::Optimizer;
use crate::Tensor;
use rand_chacha::ChaCha12Rng;

/// A step's losses by name, each a scalar tensor still on the GPU.
pub type Losses = Vec<(&'static str, Tensor)>;

/// What generates samples: the part of a family that pictures, evaluation,
/// `ganforge sample` and the EMA use.
pub trait Sampler: Send + Sync {
    /// The generator's parameters and buffers (what EMA averages and checkpoints hold).
    fn generator(&self) -> &dyn Module;
    /// Size of the latent vector z.
    fn latent_dim(&self) -> usize;
    /// Number of classes it conditions on (cGAN), or None.
    fn classes(&self) -> Option<usize> {
        None
    }
    /// The picture shape [C, H, W] of a generator that translates pictures
    /// instead of mapping latents (pix2pix): its `generate` takes pictures
    /// [N, C, H, W] in place of z, and its `latent_dim` is 0. The commands
    /// built on latents (interpolation, inversion, steering, dissection,
    /// scores of samples) refuse it. None for generators of latents.
    fn image_input(&self) -> Option<[usize; 3]> {
        None
    }
    /// G(z): [N, latent] (with labels for conditional models) to samples [N, ...].
    fn generate(&self, z: &Tensor, labels: Option<&[usize]>) -> Tensor;
    /// The generator as one chain of layers whose output is `generate`'s, so
    /// it can be run in two halves (dissection); None where it is not one
    /// (a conditional generator joins labels to z; a perceptron's output is
    /// reshaped after its last layer).
    fn chain(&self) -> Option<&Sequential> {
        None
    }
}

/// Which side of the game an optimiser trains: learning rates are set per side.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Player {
    Generator,
    Discriminator,
}

/// What a training step is given.
pub struct StepContext<'a> {
    /// Steps completed before this one.
    pub step: usize,
    /// Steps the run will take in all (for annealed schedules).
    pub total_steps: usize,
    /// The data, in the order the run draws it.
    pub data: &'a mut DataStream,
    /// This step's random numbers (latents, labels, interpolates, noise).
    pub rng: &'a mut ChaCha12Rng,
}

// ANCHOR: family
pub trait Family {
    /// One training step; returns the named losses, still on the GPU.
    fn step(&mut self, ctx: &mut StepContext) -> Losses;

    /// The generator, for pictures, evaluation and sampling.
    fn sampler(&self) -> &dyn Sampler;

    /// Every optimiser with the side it trains (learning rates, the finite-weights check).
    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)>;

    /// Every network and optimiser it checkpoints, by part name; the
    /// generator's part is "generator". Saving and loading both walk this one
    /// list, so what is saved is what is restored.
    fn parts(&mut self) -> Parts<'_>;

    /// The family's learned inverse map x -> z (BiGAN's encoder, VEEGAN's
    /// reconstructor) on samples [N, ...], where inversion can start; None for
    /// families without one.
    fn encode(&self, _x: &Tensor) -> Option<Tensor> {
        None
    }

    /// The family's own picture of its generator, where samples at fixed
    /// latents cannot show it (pix2pix: held-out inputs, outputs and
    /// targets): images [N, C, H, W] and how many go in a row. None: the
    /// trainer draws its grid of samples.
    fn picture(&self) -> Option<(Tensor, usize)> {
        None
    }

    /// Scores the family measures itself on held-out data, by name (pix2pix:
    /// the L1 distance of G(A) to B), for the end of training and `ganforge
    /// eval`; empty for families scored from their samples.
    fn held_out_scores(&self) -> Vec<(String, f32)> {
        Vec::new()
    }

    /// The discriminator's output on points [N, 2], mapped to [0, 1] for
    /// drawing under the 2D scatter plots; None for families without a single critic.
    fn critic_on(&self, _points: &Tensor) -> Option<Tensor> {
        None
    }
}
// ANCHOR_END: family

/// The parts of a game of one generator and one discriminator, each with its
/// optimiser, under the names every such family uses.
pub fn duel_parts<'a>(
    generator: &'a dyn Module,
    discriminator: &'a dyn Module,
    opt_g: &'a mut dyn Optimizer,
    opt_d: &'a mut dyn Optimizer,
) -> Parts<'a> {
    vec![
        ("generator", Part::Module(generator)),
        ("discriminator", Part::Module(discriminator)),
        ("opt_g", Part::State(opt_g)),
        ("opt_d", Part::State(opt_d)),
    ]
}

/// The dataset as a family draws from it, remembering how many batches of
/// which size were drawn, so that a resumed run can replay the draws.
pub struct DataStream {
    data: Box<dyn Dataset>,
    /// Runs of equal batch sizes: (size, count), in the order drawn.
    drawn: Vec<(usize, u64)>,
}

impl DataStream {
    pub fn new(data: Box<dyn Dataset>) -> DataStream {
        DataStream { data, drawn: Vec::new() }
    }

    pub fn dataset(&self) -> &dyn Dataset {
        self.data.as_ref()
    }

    pub fn next_batch(&mut self, size: usize) -> Batch {
        match self.drawn.last_mut() {
            Some((last, count)) if *last == size => *count += 1,
            _ => self.drawn.push((size, 1)),
        }
        self.data.next_batch(size)
    }

    /// The draws so far as text: "64x1200" or "64x1200,32x400".
    pub fn history(&self) -> String {
        self.drawn.iter().map(|(size, count)| format!("{size}x{count}")).collect::<Vec<_>>().join(",")
    }

    /// Replays the draws written by `history` on a fresh dataset.
    pub fn replay(&mut self, history: &str) -> Result<(), String> {
        for run in history.split(',').filter(|r| !r.is_empty()) {
            let parsed = run.split_once('x').and_then(|(s, c)| Some((s.parse().ok()?, c.parse().ok()?)));
            let Some((size, count)) = parsed else {
                return Err(format!("the checkpoint's record of drawn batches is damaged at {run:?}"));
            };
            for _ in 0..count {
                self.data.skip_batch(size);
            }
            self.drawn.push((size, count));
        }
        Ok(())
    }
}
