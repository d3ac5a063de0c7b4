//! A fixed random permutation of the channels (RealNVP's and Glow's
//! "shuffle"), so that successive coupling layers split the channels
//! differently and every channel gets transformed. Glow learns the mixing as
//! an invertible 1x1 convolution; here the matrix is a fixed permutation,
//! applied as a 1x1 convolution whose weight holds one 1 per row: output
//! channel i is input channel `order[i]`. Its inverse is the transposed
//! matrix. A permutation preserves volume: log |det J| = 0.

use super::{zero_log_det, FlowLayer};
use crate::nn::Module;
use crate::ops::conv::{conv2d, Conv2dOptions};
use crate::Tensor;
use rand::seq::SliceRandom;
use rand::Rng;

pub struct ChannelPermutation {
    /// [C, C, 1, 1]: row i picks input channel order[i].
    forward_weight: Tensor,
    /// [C, C, 1, 1]: the transpose, which undoes it.
    inverse_weight: Tensor,
}

impl ChannelPermutation {
    /// A permutation of `channels` channels drawn from `rng`.
    pub fn new(channels: usize, rng: &mut impl Rng) -> ChannelPermutation {
        let mut order: Vec<usize> = (0..channels).collect();
        order.shuffle(rng);
        let matrix = |transposed: bool| {
            let mut values = vec![0.0; channels * channels];
            for (row, &column) in order.iter().enumerate() {
                let (r, c) = if transposed { (column, row) } else { (row, column) };
                values[r * channels + c] = 1.0;
            }
            Tensor::from_vec(values, &[channels, channels, 1, 1])
        };
        ChannelPermutation { forward_weight: matrix(false), inverse_weight: matrix(true) }
    }
}

impl Module for ChannelPermutation {}

impl FlowLayer for ChannelPermutation {
    fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        (conv2d(x, &self.forward_weight, None, Conv2dOptions::default()), zero_log_det(x.shape()[0]))
    }

    fn inverse(&self, y: &Tensor) -> Tensor {
        conv2d(y, &self.inverse_weight, None, Conv2dOptions::default())
    }
}
