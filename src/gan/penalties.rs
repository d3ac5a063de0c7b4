//! Regularisers of the discriminator and of training, from the literature.
//!
//! The gradient penalties differentiate the discriminator's output with
//! respect to its input with `create_graph`, so the penalty's own gradient
//! with respect to D's weights flows through that gradient (second order).
//! StyleGAN2's path-length penalty does the same to the generator, with
//! respect to its intermediate latent w.

use crate::nn::Module;
use crate::{grad, no_grad, Tensor};
use rand::Rng;

// ANCHOR: input_gradient
/// ||dD/dx|| per sample: x is [N, ...], D(x) is [N] or [N, 1].
fn input_gradient_sq_norms(critic: impl Fn(&Tensor) -> Tensor, x: &Tensor) -> Tensor {
    let x = x.detach().requires_grad_();
    let out = critic(&x);
    let dx = grad(&[&out.sum_all()], &[&x], true).remove(0);
    dx.mul(&dx).flatten(1).sum(&[1], false) // [N]
}
// ANCHOR_END: input_gradient

/// ||dD/dx_hat|| at random interpolates x_hat = e x_real + (1 - e) x_fake,
/// e ~ U[0, 1] per sample: the points where WGAN-GP asks for a unit gradient.
/// Returns [N]. A tiny 1e-12 inside the square root keeps its gradient finite
/// at a zero gradient.
pub fn interpolate_gradient_norms(
    critic: impl Fn(&Tensor) -> Tensor,
    real: &Tensor,
    fake: &Tensor,
    rng: &mut impl Rng,
) -> Tensor {
    assert_eq!(
        real.shape(),
        fake.shape(),
        "interpolate_gradient_norms: real batch {:?} and fake batch {:?} differ",
        real.shape(),
        fake.shape()
    );
    let mut mix_shape = vec![1; real.rank()];
    mix_shape[0] = real.shape()[0];
    let e = Tensor::rand_from(&mix_shape, rng);
    let x_hat = e.mul(&real.detach()).add(&e.neg().add_scalar(1.0).mul(&fake.detach()));
    input_gradient_sq_norms(critic, &x_hat).add_scalar(1e-12).sqrt()
}

// ANCHOR: gradient_penalty
/// WGAN-GP (Gulrajani et al., 2017): E[(||dD/dx_hat|| - 1)^2] at the random
/// interpolates of `interpolate_gradient_norms`. Multiply by lambda (10 in
/// the paper) and add to the critic's loss.
pub fn gradient_penalty(
    critic: impl Fn(&Tensor) -> Tensor,
    real: &Tensor,
    fake: &Tensor,
    rng: &mut impl Rng,
) -> Tensor {
    interpolate_gradient_norms(critic, real, fake, rng).sub_scalar(1.0).powf(2.0).mean_all()
}
// ANCHOR_END: gradient_penalty

/// R1 (Mescheder et al., 2018): E[||dD/dx||^2] on real data. The paper's
/// regulariser is (gamma / 2) times this.
pub fn r1_penalty(critic: impl Fn(&Tensor) -> Tensor, real: &Tensor) -> Tensor {
    input_gradient_sq_norms(critic, real).mean_all()
}

// ANCHOR: path_lengths
/// StyleGAN2's path lengths (Karras et al., 2020): for images G(w) [N, C,
/// H, W] of latents w [N, W] (a tensor in the graph, e.g. the mapping
/// network's output), |J_w^T y| per sample, with J_w the Jacobian of the
/// image with respect to w and y ~ N(0, I) / sqrt(H W) an image of noise.
/// J^T y is the gradient of sum(G(w) * y) with respect to w, taken with
/// `create_graph` so that a penalty on these lengths trains G (second
/// order). The 1 / sqrt(H W) makes the lengths independent of the image
/// size. Returns [N].
pub fn path_lengths(synthesize: impl Fn(&Tensor) -> Tensor, w: &Tensor, rng: &mut impl Rng) -> Tensor {
    let images = synthesize(w);
    let pixels: usize = images.shape()[2..].iter().product();
    let y = Tensor::randn_from(images.shape(), rng).mul_scalar(1.0 / (pixels as f32).sqrt());
    let jt_y = grad(&[&images.mul(&y).sum_all()], &[w], true).remove(0);
    jt_y.mul(&jt_y).sum(&[1], false).add_scalar(1e-12).sqrt()
}
// ANCHOR_END: path_lengths

/// Decay of the path-length target a (the official code's `pl_decay`).
pub const PATH_LENGTH_DECAY: f32 = 0.01;

/// The target a of the path-length penalty: a moving average of the path
/// lengths seen, a buffer so checkpoints carry it; it starts at 0.
pub struct PathLengthTarget {
    mean: Tensor, // [1]
}

impl PathLengthTarget {
    pub fn new() -> PathLengthTarget {
        PathLengthTarget { mean: Tensor::zeros(&[1]) }
    }

    /// The target a [1].
    pub fn mean(&self) -> &Tensor {
        &self.mean
    }

    // ANCHOR: path_length_penalty
    /// Moves a towards the batch's mean length by `PATH_LENGTH_DECAY`, then
    /// returns E[(|J^T y| - a)^2] over the batch's `lengths` [N], as the
    /// official code does (the updated a, held constant).
    pub fn penalty(&self, lengths: &Tensor) -> Tensor {
        no_grad(|| self.mean.lerp_(&lengths.detach().mean(&[0], true), PATH_LENGTH_DECAY));
        lengths.sub(&self.mean).powf(2.0).mean_all()
    }
    // ANCHOR_END: path_length_penalty
}

impl Default for PathLengthTarget {
    fn default() -> Self {
        PathLengthTarget::new()
    }
}

impl Module for PathLengthTarget {
    fn own_buffers(&self) -> Vec<(String, Tensor)> {
        vec![("mean".into(), self.mean.clone())]
    }
}

/// Instance noise (Sønderby et al., Arjovsky & Bottou): x + sigma * N(0, 1).
pub fn instance_noise(x: &Tensor, sigma: f32, rng: &mut impl Rng) -> Tensor {
    if sigma == 0.0 {
        return x.clone();
    }
    x.add(&Tensor::randn_from(x.shape(), rng).mul_scalar(sigma))
}

/// The instance-noise level annealed linearly from `start` to 0 over `steps`.
pub fn annealed_sigma(start: f32, step: usize, steps: usize) -> f32 {
    start * (1.0 - step as f32 / steps.max(1) as f32).max(0.0)
}

/// Feature matching (Salimans et al., 2016): the generator matches the mean
/// of an intermediate discriminator feature, ||E f(x) - E f(G(z))||^2, over
/// features [N, ...].
pub fn feature_matching(real_features: &Tensor, fake_features: &Tensor) -> Tensor {
    let real_mean = real_features.flatten(1).mean(&[0], false).detach();
    let fake_mean = fake_features.flatten(1).mean(&[0], false);
    let diff = real_mean.sub(&fake_mean);
    diff.mul(&diff).sum_all()
}
