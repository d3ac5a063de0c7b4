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
    /// A layer followed by a ReLU-family activation within the range runs
    /// fused with it where it can (`Layer::forward_activated`: batch norm in
    /// training mode), which gives the same numbers with fewer passes.
    pub fn forward_range(&self, x: &Tensor, range: Range<usize>) -> Tensor {
        let layers = &self.layers[range];
        let mut h = x.clone();
        let mut i = 0;
        while i < layers.len() {
            let slope = layers.get(i + 1).and_then(|next| next.negative_slope());
            match slope.and_then(|slope| layers[i].forward_activated(&h, slope)) {
                Some(activated) => {
                    h = activated;
                    i += 2;
                }
                None => {
                    h = layers[i].forward(&h);
                    i += 1;
                }
            }
        }
        h
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
