//! ProGAN's minibatch standard deviation as a layer
//! (`Tensor::minibatch_stddev` in `ops/feature_maps.rs`; Karras et al., 2018):
//! near the end of the discriminator, one channel is appended holding how
//! much the batch varies, averaged over features and pixels. A generator that
//! collapses onto a few outputs makes that number small, and the
//! discriminator can tell. No parameters; the statistic is of the batch at
//! hand in both training and evaluation mode.

use super::{Layer, Module};
use crate::tensor::Tensor;

/// x [N, C, H, W] -> [N, C + 1, H, W].
pub struct MinibatchStdDev;

impl Module for MinibatchStdDev {}

impl Layer for MinibatchStdDev {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.minibatch_stddev()
    }
}
