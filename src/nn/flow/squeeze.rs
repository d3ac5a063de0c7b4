//! Squeeze (RealNVP section 3.6): space to depth. Each 2x2 block of pixels
//! of each channel becomes four channels of one pixel, [N, C, H, W] ->
//! [N, 4C, H/2, W/2]. It only moves values, so its Jacobian is a permutation
//! matrix and its log-determinant is 0. It lets a coupling layer that splits
//! channels mix values that were neighbours in space, and halves the side at
//! which the next couplings work.
//!
//! Written with reshape and permute: output channel 4c + 2i + j at (h, w) is
//! input channel c at (2h + i, 2w + j).

use super::{zero_log_det, FlowLayer};
use crate::nn::Module;
use crate::Tensor;

pub struct Squeeze;

impl Module for Squeeze {}

impl FlowLayer for Squeeze {
    fn forward(&self, x: &Tensor) -> (Tensor, Tensor) {
        let &[n, c, h, w] = x.shape() else { panic!("squeeze takes pictures [N, C, H, W], got {:?}", x.shape()) };
        assert!(h % 2 == 0 && w % 2 == 0, "squeeze needs an even height and width, got {h}x{w}");
        // [n, c, h/2, i, w/2, j] -> [n, c, i, j, h/2, w/2]
        let y = x.reshape(&[n, c, h / 2, 2, w / 2, 2]).permute(&[0, 1, 3, 5, 2, 4]).reshape(&[n, 4 * c, h / 2, w / 2]);
        (y, zero_log_det(n))
    }

    fn inverse(&self, y: &Tensor) -> Tensor {
        let &[n, c4, h, w] = y.shape() else { panic!("unsqueeze takes pictures [N, C, H, W], got {:?}", y.shape()) };
        assert!(c4 % 4 == 0, "unsqueeze needs a multiple of 4 channels, got {c4}");
        // [n, c, i, j, h, w] -> [n, c, h, i, w, j]
        y.reshape(&[n, c4 / 4, 2, 2, h, w]).permute(&[0, 1, 4, 2, 5, 3]).reshape(&[n, c4 / 4, 2 * h, 2 * w])
    }

    fn output_shape(&self, [c, h, w]: [usize; 3]) -> [usize; 3] {
        [4 * c, h / 2, w / 2]
    }
}
