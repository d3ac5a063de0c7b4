//! ProGAN's pixel norm as a layer (`Tensor::pixel_norm` in `ops/norm.rs`;
//! Karras et al., 2018): after each convolution of the generator, every
//! pixel's feature vector is divided by its root mean square over the
//! channels. It keeps the generator's activations from growing out of hand
//! when the two networks compete, with no parameters and no batch statistics.

use super::{Layer, Module};
use crate::tensor::Tensor;

/// x [N, C, ...] -> x / sqrt(mean over C of x^2 + 1e-8), the same shape.
pub struct PixelNorm;

impl Module for PixelNorm {}

impl Layer for PixelNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.pixel_norm()
    }
}
