//! Normalizing flows: invertible layers that map a picture x to a latent z of
//! the same size, each reporting the log-absolute-determinant of its Jacobian,
//! so that the change of variables gives the exact density of x:
//!
//!   log p(x) = log p_Z(f(x)) + sum over layers of log |det J_layer|.
//!
//! The layers are those of RealNVP (Dinh et al. 2017) and Glow (Kingma and
//! Dhariwal 2018): `squeeze.rs` (space to depth), `actnorm.rs` (a per-channel
//! affine map with a data-dependent start), `permutation.rs` (a fixed shuffle
//! of the channels) and `coupling.rs` (the affine coupling layer, the only one
//! that learns a nonlinear map). `chain.rs` stacks them into a multi-scale
//! flow and `likelihood.rs` turns (z, log-det) into bits per dimension.
//!
//! Every layer has a forward (x -> z) and an inverse (z -> x), both built from
//! differentiable tensor ops, so gradients flow through either direction
//! (AlignFlow's generator loss differentiates through an inverse).

mod actnorm;
mod chain;
mod coupling;
mod likelihood;
mod permutation;
mod squeeze;

pub use actnorm::ActNorm;
pub use chain::Flow;
pub use coupling::AffineCoupling;
pub use likelihood::{bits_per_dim, dequantize, nll_nats, standard_normal_log_density};
pub use permutation::ChannelPermutation;
pub use squeeze::Squeeze;

use super::Module;
use crate::Tensor;

/// One invertible layer of a flow, on pictures [N, C, H, W].
pub trait FlowLayer: Module {
    /// y = f(x) and log |det df/dx| of each example, [N].
    fn forward(&self, x: &Tensor) -> (Tensor, Tensor);

    /// x = f^-1(y).
    fn inverse(&self, y: &Tensor) -> Tensor;

    /// The shape [C, H, W] of the output for an input of shape `input`.
    fn output_shape(&self, input: [usize; 3]) -> [usize; 3] {
        input
    }

    /// Sets data-dependent parameters from a first batch (actnorm); most layers have none.
    fn initialize(&self, _x: &Tensor) {}
}

/// A log-determinant of zero for each of the `n` examples: what volume-preserving layers report.
pub(crate) fn zero_log_det(n: usize) -> Tensor {
    Tensor::zeros(&[n])
}
