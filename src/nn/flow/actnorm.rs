//! Actnorm (Glow, section 3.1): a per-channel affine map
//! y = (x + bias) * exp(log_scale), whose parameters start from the first
//! batch so that each channel of y has mean 0 and variance 1 on it, then
//! train as any others. It stands in for batch norm, which would make each
//! example's z depend on the rest of its batch.
//!
//! The Jacobian is diagonal: each of the H*W pixels of channel c is scaled by
//! exp(log_scale[c]), so log |det J| = H * W * sum over c of log_scale[c],
//! the same for every example.

use super::FlowLayer;
use crate::nn::{resolve, Module};
use crate::{no_grad, Tensor};

/// Keeps the data-dependent start away from a division by zero on constant channels.
const EPS: f32 = 1e-6;

pub struct ActNorm {
    /// [1, C, 1, 1]
    log_scale: Tensor,
    /// [1, C, 1, 1]
    bias: Tensor,
}

impl ActNorm {
    /// The identity on `channels` channels, until `initialize` sees data.
    pub fn new(channels: usize) -> ActNorm {
        let param = || Tensor::zeros(&[1, channels, 1, 1]).requires_grad_();
        ActNorm { log_scale: param(), bias: param() }
    }
}

impl Module for ActNorm {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("log_scale".into(), self.log_scale.clone()), ("bias".into(), self.bias.clone())]
    }
}

impl FlowLayer for ActNorm {
    fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let (log_scale, bias) = (resolve(&self.log_scale), resolve(&self.bias));
        let y = x.add(&bias).mul(&log_scale.exp());
        let pixels = (x.shape()[2] * x.shape()[3]) as f32;
        let log_det = log_scale.sum_all().mul_scalar(pixels).reshape(&[1]).expand(&[x.shape()[0]]);
        (y, log_det)
    }

    fn inverse(&self, y: &Tensor) -> Tensor {
        let (log_scale, bias) = (resolve(&self.log_scale), resolve(&self.bias));
        y.mul(&log_scale.neg().exp()).sub(&bias)
    }

    /// bias = -mean and log_scale = -log(std) of each channel over the batch and the pixels.
    fn initialize(&self, x: &Tensor) {
        no_grad(|| {
            let mean = x.mean(&[0, 2, 3], true);
            let std = x.var(&[0, 2, 3], true).add_scalar(EPS).sqrt();
            self.bias.assign_(&mean.neg());
            self.log_scale.assign_(&std.log().neg());
        });
    }
}
