//! StyleGAN2's modulated convolution with weight demodulation (Karras et
//! al., 2020), written without per-sample weights.
//!
//! The paper's definition gives every sample its own weights: the style s
//! [N, C] scales the input channels of the shared weight w [O, C, K, K],
//!   w'[n, o, c, k] = w[o, c, k] s[n, c],
//! and demodulation rescales each output channel of each sample to unit norm,
//!   w''[n, o, c, k] = w'[n, o, c, k] / sqrt(sum over c, k of w'[n, o, c, k]^2 + eps).
//! Convolving sample n with w''[n] needs N weight tensors (a grouped
//! convolution with groups = N, or a fused kernel). But a convolution is
//! linear in its input, and both factors act per input or per output channel:
//! the same result comes from scaling x's channels by s, convolving with the
//! shared w, and scaling output channel o of sample n by
//!   d[n, o] = 1 / sqrt(sum over c of s[n, c]^2 (sum over k of w[o, c, k]^2) + eps),
//! a [N, C] x [C, O] matrix product. This is the paper's "non-fused" form:
//! existing, twice-differentiable ops only, and one shared-weight convolution.

use crate::ops::conv::{conv2d, Conv2dOptions};
use crate::Tensor;

/// Added under the square root of the demodulation (the paper's epsilon).
pub const DEMODULATION_EPS: f32 = 1e-8;

// ANCHOR: modulated
/// x [N, C, H, W], style s [N, C], weight [O, C, K, K] (K odd, "same"
/// padding) -> [N, O, H, W]: the convolution of each sample with its
/// modulated (and, with `demodulate`, demodulated) weights.
pub fn modulated_conv2d(x: &Tensor, style: &Tensor, weight: &Tensor, demodulate: bool) -> Tensor {
    let &[n, c, _, _] = x.shape() else { panic!("modulated_conv2d: x must be [N, C, H, W], got {:?}", x.shape()) };
    let &[o, wc, kh, kw] = weight.shape() else {
        panic!("modulated_conv2d: the weight must be [O, C, K, K], got {:?}", weight.shape())
    };
    assert!(
        wc == c && style.shape() == [n, c] && kh == kw && kh % 2 == 1,
        "modulated_conv2d: x {:?}, style {:?} and weight {:?} must be [N, C, H, W], [N, C], [O, C, K, K] with K odd",
        x.shape(),
        style.shape(),
        weight.shape()
    );
    let options = Conv2dOptions { padding: (kh / 2, kw / 2), ..Conv2dOptions::default() };
    let y = conv2d(&x.mul(&style.reshape(&[n, c, 1, 1])), weight, None, options); // [N, O, H, W]
    if !demodulate {
        return y;
    }
    let tap_energy = weight.mul(weight).sum(&[2, 3], false); // [O, C]
    let energy = style.mul(style).matmul(&tap_energy.transpose(0, 1)); // [N, O]
    y.div(&energy.add_scalar(DEMODULATION_EPS).sqrt().reshape(&[n, o, 1, 1]))
}
// ANCHOR_END: modulated
