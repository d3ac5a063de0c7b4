//! The affine coupling layer (RealNVP, Dinh et al. 2017). The channels split
//! into two halves, x1 and x2. x1 passes unchanged; a small conv net reads x1
//! and gives a shift t and a scale s for x2:
//!
//!   y1 = x1,   y2 = (x2 + t(x1)) * s(x1),   log s = -sigmoid(-(h + 2)).
//!
//! Inverting needs no inverse of the net, since x1 = y1 is known:
//! x2 = y2 / s(y1) - t(y1). And the Jacobian is block triangular (y1 does not
//! depend on x2, and dy2/dx2 is the diagonal s), so
//! log |det J| = sum of log s over x2's values: the log-determinant costs
//! one sum, however deep the net is.
//!
//! The scale is bounded on both sides, s in (1/e, 1): the forward map can
//! never blow a value up, and neither can the inverse, which AlignFlow runs on
//! latents of the other domain's flow. Glow's sigmoid(h + 2) bounds only the
//! forward side; with it the inverse's 1/s grew without limit, and AlignFlow
//! on the full emoji set diverged to NaN within 120-220 steps. RealNVP bounds
//! both sides too, with exp of a scaled tanh. The + 2 starts the scales near
//! 0.89 (Glow's start); the net's last convolution starts at zero (as Glow's),
//! so each coupling starts as a fixed gentle contraction of x2.
use super::FlowLayer;
use crate::nn::{init, Conv2d, Layer, Module, Relu, Sequential};
use crate::Tensor;
use rand::Rng;

pub struct AffineCoupling {
    /// Channels of x1, which condition; the rest, x2, are transformed.
    kept: usize,
    /// x1 [N, kept, H, W] -> (t, h) [N, 2 (C - kept), H, W].
    net: Sequential,
}

impl AffineCoupling {
    /// A coupling on `channels` channels (at least 2) whose net has `hidden`
    /// maps: a 3x3 convolution, ReLU, a 1x1 convolution, ReLU, a 3x3 convolution.
    pub fn new(channels: usize, hidden: usize, rng: &mut impl Rng) -> AffineCoupling {
        assert!(channels >= 2, "a coupling layer splits its channels in two: it needs 2 or more, got {channels}");
        let kept = channels / 2;
        let last = Conv2d::new(hidden, 2 * (channels - kept), 3, 1, 1, rng);
        for (_, parameter) in last.named_parameters() {
            init::constant_(&parameter, 0.0);
        }
        let net = Sequential::new()
            .push(Conv2d::new(kept, hidden, 3, 1, 1, rng))
            .push(Relu)
            .push(Conv2d::new(hidden, hidden, 1, 1, 0, rng))
            .push(Relu)
            .push(last);
        AffineCoupling { kept, net }
    }

    /// The shift t and log s for x2, from x1.
    fn shift_and_log_scale(&self, x1: &Tensor) -> (Tensor, Tensor) {
        let h = self.net.forward(x1);
        let transformed = h.shape()[1] / 2;
        let shift = h.narrow(1, 0, transformed);
        let log_scale = h.narrow(1, transformed, 2 * transformed).affine(-1.0, -2.0).sigmoid().neg();
        (shift, log_scale)
    }
}

impl Module for AffineCoupling {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("net".into(), &self.net)]
    }
}

impl FlowLayer for AffineCoupling {
    fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let channels = x.shape()[1];
        let (x1, x2) = (x.narrow(1, 0, self.kept), x.narrow(1, self.kept, channels));
        let (shift, log_scale) = self.shift_and_log_scale(&x1);
        let y2 = x2.add(&shift).mul(&log_scale.exp());
        (Tensor::concat(&[&x1, &y2], 1), log_scale.sum(&[1, 2, 3], false))
    }

    fn inverse(&self, y: &Tensor) -> Tensor {
        let channels = y.shape()[1];
        let (y1, y2) = (y.narrow(1, 0, self.kept), y.narrow(1, self.kept, channels));
        let (shift, log_scale) = self.shift_and_log_scale(&y1);
        let x2 = y2.mul(&log_scale.neg().exp()).sub(&shift);
        Tensor::concat(&[&y1, &x2], 1)
    }
}
