//! Activation functions as layers (no parameters), so `Sequential` can chain them.

use super::{Layer, Module};
use crate::tensor::Tensor;

/// max(x, 0).
pub struct Relu;

/// x for x > 0, else `negative_slope * x` (DCGAN's discriminator uses 0.2).
pub struct LeakyRelu(pub f32);

/// tanh(x): a generator's output in [-1, 1].
pub struct Tanh;

/// 1 / (1 + exp(-x)).
pub struct Sigmoid;

impl Module for Relu {}
impl Module for LeakyRelu {}
impl Module for Tanh {}
impl Module for Sigmoid {}

impl Layer for Relu {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.relu()
    }

    fn negative_slope(&self) -> Option<f32> {
        Some(0.0)
    }
}

impl Layer for LeakyRelu {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.leaky_relu(self.0)
    }

    fn negative_slope(&self) -> Option<f32> {
        Some(self.0)
    }
}

impl Layer for Tanh {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.tanh()
    }
}

impl Layer for Sigmoid {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.sigmoid()
    }
}
