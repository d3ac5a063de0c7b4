//! `Sequential`: layers applied one after another. Its children are named by
//! position, so the parameters of the first layer are "0.weight", "0.bias".

use super::{Layer, Module};
use crate::tensor::Tensor;
use std::ops::Range;

#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Layer>>,
}

impl Sequential {
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Appends a layer (builder style: `Sequential::new().push(a).push(b)`).
    pub fn push(mut self, layer: impl Layer + 'static) -> Sequential {
        self.layers.push(Box::new(layer));
        self
    }

    pub fn layers(&self) -> &[Box<dyn Layer>] {
        &self.layers
    }

    /// Runs only the layers in `range` on `x`: `forward_range(z, 0..l)` then
    /// `forward_range(h, l..len)` is `forward(z)` cut in two after layer l - 1.
    pub fn forward_range(&self, x: &Tensor, range: Range<usize>) -> Tensor {
        self.layers[range].iter().fold(x.clone(), |h, layer| layer.forward(&h))
    }
}

impl Module for Sequential {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        self.layers.iter().enumerate().map(|(i, layer)| (i.to_string(), layer.as_ref() as &dyn Module)).collect()
    }
}

impl Layer for Sequential {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.forward_range(x, 0..self.layers.len())
    }
}
