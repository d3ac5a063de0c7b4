//! Shape layers: `Flatten` between convolutions and a linear head, `Reshape`
//! between a linear stem and convolutions (DCGAN's generator). Both keep the
//! batch dimension and share storage with their input (no copy).

use super::{Layer, Module};
use crate::tensor::{numel, Tensor};

/// [N, d1, d2, ...] -> [N, d1 * d2 * ...].
pub struct Flatten;

/// [N, ...] -> [N, shape...], e.g. `Reshape::new(&[128, 7, 7])` turns [N, 6272]
/// into [N, 128, 7, 7].
pub struct Reshape {
    shape: Vec<usize>,
}

impl Reshape {
    pub fn new(shape: &[usize]) -> Reshape {
        Reshape { shape: shape.to_vec() }
    }
}

impl Module for Flatten {}
impl Module for Reshape {}

impl Layer for Flatten {
    fn forward(&self, x: &Tensor) -> Tensor {
        assert!(x.rank() >= 1, "Flatten needs a batch dimension, got a scalar");
        x.flatten(1)
    }
}

impl Layer for Reshape {
    fn forward(&self, x: &Tensor) -> Tensor {
        assert!(
            x.rank() >= 1 && x.numel() == x.shape()[0] * numel(&self.shape),
            "Reshape: input {:?} does not hold [N, {:?}]",
            x.shape(),
            self.shape
        );
        let mut shape = vec![x.shape()[0]];
        shape.extend_from_slice(&self.shape);
        x.reshape(&shape)
    }
}
