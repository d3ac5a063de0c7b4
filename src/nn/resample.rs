//! Resampling layers over [N, C, H, W] maps (the ops in `ops/resample.rs`):
//! nearest upsampling (a generator doubling its resolution before a
//! convolution, as in ProGAN and StyleGAN, which avoids transposed
//! convolutions' checkerboard artefacts), average pooling (a discriminator
//! halving it) and reflection padding (CycleGAN's border, which gives a
//! convolution no artificial zero edge). No parameters, no training mode; the
//! geometry is checked against the input's shape by the ops.

use super::{Layer, Module};
use crate::tensor::Tensor;

/// Nearest-neighbour upsampling by an integer factor:
/// [N, C, H, W] -> [N, C, H * factor, W * factor].
pub struct Upsample {
    factor: usize,
}

impl Upsample {
    /// PyTorch's `Upsample(scale_factor=factor, mode="nearest")`.
    pub fn nearest(factor: usize) -> Upsample {
        Upsample { factor }
    }
}

/// Average pooling of `kernel` x `kernel` windows moved by `stride` over the
/// map zero-padded by `padding`, the padding counted in every average:
/// [N, C, H, W] -> [N, C, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1].
pub struct AvgPool2d {
    kernel: usize,
    stride: usize,
    padding: usize,
}

impl AvgPool2d {
    /// PyTorch's `AvgPool2d(kernel, stride, padding)`.
    pub fn new(kernel: usize, stride: usize, padding: usize) -> AvgPool2d {
        AvgPool2d { kernel, stride, padding }
    }
}

/// Reflection padding, the border mirroring the interior without repeating
/// the edge: [N, C, H, W] -> [N, C, top + H + bottom, left + W + right].
pub struct ReflectionPad2d {
    padding: [(usize, usize); 2], // [(top, bottom), (left, right)]
}

impl ReflectionPad2d {
    /// The same padding on all four sides (PyTorch's `ReflectionPad2d(padding)`).
    pub fn new(padding: usize) -> ReflectionPad2d {
        ReflectionPad2d::with_sides([(padding, padding), (padding, padding)])
    }

    /// Padding `[(top, bottom), (left, right)]`. (PyTorch's tuple form lists
    /// the same four numbers as (left, right, top, bottom).)
    pub fn with_sides(padding: [(usize, usize); 2]) -> ReflectionPad2d {
        ReflectionPad2d { padding }
    }
}

impl Module for Upsample {}
impl Module for AvgPool2d {}
impl Module for ReflectionPad2d {}

impl Layer for Upsample {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.upsample_nearest2d(self.factor)
    }
}

impl Layer for AvgPool2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.avg_pool2d(self.kernel, self.stride, self.padding)
    }
}

impl Layer for ReflectionPad2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.reflection_pad2d(self.padding)
    }
}
