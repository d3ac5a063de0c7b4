//! An optimiser's update rule written with differentiable tensor ops.
//!
//! The fused kernels of `step` overwrite parameters in place and record no
//! graph: right for training, useless when the update itself must be
//! differentiated. Unrolled GAN (Metz et al., 2017) differentiates the
//! generator's loss through K updates of the discriminator, so it needs
//! theta_{k+1} = update(theta_k, g_k) as a function of theta_k and of g_k (a
//! gradient taken with `create_graph`, so of whatever the loss depended on).
//! `Optimizer::unrolled` gives such an update rule: it starts from a copy of
//! the optimiser's current state (moments, step counts) as constants, keeps
//! its own state from then on as tensors with graphs, and never changes the
//! optimiser or its parameters.

use crate::tensor::Tensor;

/// An optimiser's update rule as ops that record a graph.
pub trait UnrolledOptimizer {
    /// One update: the new values of `parameters` (the optimiser's, in its
    /// order, or values computed from them) given their gradients `grads`.
    /// The results are new tensors whose graphs reach both inputs.
    fn step(&mut self, parameters: &[Tensor], grads: &[Tensor]) -> Vec<Tensor>;
}

/// Added under the square roots of RMSprop and Adam: d sqrt(s) / ds is
/// infinite at s = 0 (an element whose gradients were all exactly zero), and
/// infinity times the zero gradient of s is NaN. As Adam's eps squared, it
/// moves sqrt(s) by at most eps.
pub(super) const SQRT_FLOOR: f32 = 1e-16;

/// g + weight_decay * p, the gradient every rule uses (L2 decay as in PyTorch).
pub(super) fn decayed(grad: &Tensor, parameter: &Tensor, weight_decay: f32) -> Tensor {
    if weight_decay == 0.0 {
        grad.clone()
    } else {
        grad.add(&parameter.mul_scalar(weight_decay))
    }
}

/// Copies of the optimiser's state tensors, constants for an unrolled rule to
/// start from: copies, so that the optimiser's next step, which overwrites
/// its state in place, cannot change values a recorded graph was built from.
pub(super) fn constants<'a>(states: impl Iterator<Item = &'a Tensor>) -> Vec<Tensor> {
    states.map(Tensor::copy).collect()
}

/// Panics unless an unrolled step got one gradient per parameter it tracks.
pub(super) fn check_lengths(optimizer: &str, tracked: usize, parameters: &[Tensor], grads: &[Tensor]) {
    assert!(
        parameters.len() == tracked && grads.len() == tracked,
        "unrolled {optimizer}: {} parameters and {} gradients for an optimiser of {tracked} parameters",
        parameters.len(),
        grads.len()
    );
}
