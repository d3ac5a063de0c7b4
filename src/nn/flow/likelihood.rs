//! From a flow's (z, log |det J|) to the likelihood of pictures.
//!
//! Pictures hold 8-bit values v in {0, ..., 255}, shown to the nets as
//! x = v / 127.5 - 1. A density on continuous x says nothing useful about
//! discrete values (it can pile up without bound on them), so training adds
//! uniform noise of one quantisation bin, u ~ U[0, 1/127.5) per value
//! (`dequantize`; Theis et al. 2016): the density of x + u then bounds the
//! probability of the discrete picture. In units of the 8-bit values, each of
//! the D dimensions is stretched by 127.5, so
//!
//!   -log p(v + 127.5 u) = -log p_Z(z) - log |det J| + D log 127.5   (nats),
//!
//! and bits per dimension are that over D ln 2: 8 for a uniform guess.

use crate::Tensor;
use rand::Rng;
use std::f32::consts::{LN_2, PI};

/// The width of one 8-bit quantisation bin in the [-1, 1] pixel scale.
const BIN: f32 = 1.0 / 127.5;

/// log N(z; 0, I) of each example of z [N, ...], [N].
pub fn standard_normal_log_density(z: &Tensor) -> Tensor {
    let dims = (z.numel() / z.shape()[0]) as f32;
    let axes: Vec<isize> = (1..z.rank() as isize).collect();
    z.mul(z).sum(&axes, false).affine(-0.5, -0.5 * dims * (2.0 * PI).ln())
}

/// The mean negative log-likelihood of 8-bit pictures, in nats per picture,
/// from the latents z [N, ...] of their dequantized values and the flow's log-determinants [N].
pub fn nll_nats(z: &Tensor, log_det: &Tensor) -> Tensor {
    let dims = (z.numel() / z.shape()[0]) as f32;
    standard_normal_log_density(z).add(log_det).mean_all().affine(-1.0, dims * 127.5f32.ln())
}

/// `nll_nats` in bits per dimension.
pub fn bits_per_dim(nll_nats: &Tensor, dims: usize) -> Tensor {
    nll_nats.div_scalar(dims as f32 * LN_2)
}

/// Pictures x plus uniform noise of one quantisation bin, drawn from `rng`.
pub fn dequantize(x: &Tensor, rng: &mut impl Rng) -> Tensor {
    x.add(&Tensor::rand_from(x.shape(), rng).mul_scalar(BIN))
}
