//! Unrolled GAN (Metz, Poole, Pfau and Sohl-Dickstein, 2017): the generator's
//! loss is taken against the discriminator it would face K updates later.
//!
//! What is computed. From D's current parameters theta_0, a real batch x and
//! G's samples G(z) (with their graph), the look-ahead replays D's training:
//!
//!   theta_{k+1} = U(theta_k, grad_theta L_D(theta_k; x, G(z))),   k = 0 .. K-1,
//!
//! where L_D is D's own loss (the objective's, with its real label) and U is
//! D's optimiser's update rule, started from that optimiser's current state
//! (Adam: its moments and step counts, copied as constants), followed by
//! WGAN's weight clipping when D's own step clips. G then minimises its usual
//! loss against D with parameters theta_K: L_G(D_{theta_K}(G(z))).
//!
//! Why the gradient flows through the updates. theta_K depends on G through
//! every gradient grad_theta L_D(theta_k; x, G(z)), so G's gradient has two
//! parts: how its loss changes against a fixed theta_K, and how theta_K would
//! change in response to G's move. The second part is the point: a generator
//! that piles onto one mode is told that D would promptly reject that mode.
//! So the look-ahead's gradients are taken with `create_graph` (they are
//! functions of G(z) and theta_k), its updates are written with differentiable
//! ops (`optim/unrolled.rs`), and D is evaluated at theta_k by substituting
//! theta_k for its parameters (`nn::with_substitutes`). K = 0 is the ordinary
//! generator loss.
//!
//! The real D is not touched: it takes its own single update in the family's
//! step, and theta_1 .. theta_K are thrown away, together with what the
//! look-ahead's forward passes wrote into D's buffers (batch norm's running
//! statistics, spectral norm's vectors), which is put back.
//!
//! Cost. K extra passes of D forward on the real and the fake batch, each
//! followed by a backward pass recorded as a graph, and the optimiser's update
//! as a dozen elementwise ops per parameter tensor; then G's backward pass
//! runs back through all of it, which differentiates each of the K D backward
//! passes again (double backward). Every look-ahead graph stays in memory
//! until that backward pass. Measured on lavapipe with the mlp on the ring
//! (batch 256, Adam): K = 5 trains at 1.5 steps/s against 11.8 without.

use crate::gan::config::TrainConfig;
use crate::gan::family::StepContext;
use crate::gan::losses::Objective;
use crate::gan::models::GanModel;
use crate::gan::pack::pack;
use crate::gan::penalties::instance_noise;
use crate::nn::{with_substitutes, Module};
use crate::optim::Optimizer;
use crate::{grad, Tensor};

/// The discriminator's training, as the look-ahead replays it.
pub struct Lookahead<'a> {
    /// D(x): samples [N, ...] to raw outputs [N]. Its layers must read their
    /// parameters through `nn::resolve` (every layer of `nn` does).
    pub critic: &'a dyn Fn(&Tensor) -> Tensor,
    /// D's optimiser: its parameters are D's, and its rule and state are unrolled.
    pub optimizer: &'a dyn Optimizer,
    pub objective: Objective,
    /// D's real target (one-sided label smoothing), as in D's own step.
    pub real_label: f32,
    /// WGAN's clipping bound, applied after each update as after D's own.
    pub clip: Option<f32>,
}

impl Lookahead<'_> {
    // ANCHOR: lookahead
    /// theta_K: D's parameters after `steps` look-ahead updates on `real` and
    /// `fake`, in the optimiser's order, with graphs that reach `fake`.
    pub fn parameters(&self, steps: usize, real: &Tensor, fake: &Tensor) -> Vec<Tensor> {
        let mut rule = self.optimizer.unrolled();
        let mut theta = self.optimizer.parameters();
        for _ in 0..steps {
            let loss = self.with_parameters(&theta, || {
                self.objective.d_loss_with_real_label(&(self.critic)(real), &(self.critic)(fake), self.real_label)
            });
            let grads = grad(&[&loss], &theta.iter().collect::<Vec<_>>(), true);
            theta = rule.step(&theta, &grads);
            if let Some(c) = self.clip {
                theta = theta.iter().map(|t| t.clamp(-c, c)).collect();
            }
        }
        theta
    }
    // ANCHOR_END: lookahead

    /// G's loss against D after `steps` look-ahead updates on `real` and `fake`.
    pub fn generator_loss(&self, steps: usize, real: &Tensor, fake: &Tensor) -> Tensor {
        let theta = self.parameters(steps, real, fake);
        self.with_parameters(&theta, || self.objective.g_loss(&(self.critic)(fake)))
    }

    /// Runs `f` with D's parameters read as `theta`.
    fn with_parameters<R>(&self, theta: &[Tensor], f: impl FnOnce() -> R) -> R {
        with_substitutes(&self.optimizer.parameters(), theta, f)
    }
}

/// The pair family's generator loss with `config.unroll` look-ahead steps
/// (on packs of `config.pack` samples, as D's own step sees them):
/// G's samples from `z` with a fresh real batch's labels (so a conditional D
/// sees matching classes in both halves, as in its own step), both batches
/// through the same instance noise `sigma` as D's step.
pub fn generator_loss(
    model: &dyn GanModel,
    objective: Objective,
    opt_d: &dyn Optimizer,
    config: &TrainConfig,
    z: &Tensor,
    sigma: f32,
    ctx: &mut StepContext,
) -> Tensor {
    let batch = ctx.data.next_batch(config.batch * config.pack);
    let labels = batch.labels.as_deref();
    let real = pack(&instance_noise(&batch.x, sigma, ctx.rng), config.pack);
    let fake = pack(&instance_noise(&model.generate(z, labels), sigma, ctx.rng), config.pack);
    let critic = |x: &Tensor| model.discriminate(x, labels);
    let lookahead = Lookahead {
        critic: &critic,
        optimizer: opt_d,
        objective,
        real_label: config.real_label,
        clip: (objective == Objective::Wasserstein).then_some(config.clip),
    };
    preserving_buffers(model.discriminator(), || lookahead.generator_loss(config.unroll, &real, &fake))
}

/// Runs `f`, then writes back the values `module`'s buffers had before it:
/// the look-ahead's forward passes update batch norm's running statistics and
/// spectral norm's vectors in place, and the look-ahead D is thrown away with
/// everything it wrote. (No recorded graph reads those buffers in training
/// mode, and in evaluation mode nothing writes them, so this is safe before
/// G's backward pass.)
fn preserving_buffers<R>(module: &dyn Module, f: impl FnOnce() -> R) -> R {
    let buffers = module.buffers();
    let saved: Vec<Tensor> = buffers.iter().map(Tensor::copy).collect();
    let result = f();
    for (buffer, value) in buffers.iter().zip(&saved) {
        buffer.assign_(value);
    }
    result
}
