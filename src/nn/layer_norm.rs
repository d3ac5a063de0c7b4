//! Layer normalisation as a layer (`Tensor::layer_norm` in `ops/norm.rs`;
//! Ba, Kiros and Hinton, 2016): each sample is normalised over its trailing
//! dimensions, the `normalized_shape`, with no statistics shared across the
//! batch. That is why WGAN-GP's critic uses it in place of batch norm: the
//! gradient penalty is taken per sample, and batch statistics would couple the
//! samples. As in PyTorch, the affine is elementwise: "weight" and "bias" have
//! the normalised shape itself, one scale and shift per normalised element.
//! No running statistics, so training mode changes nothing.

use super::module::present_named;
use super::{resolve, Layer, Module};
use crate::tensor::Tensor;

/// Added to the variance before the square root (PyTorch's default).
const EPS: f32 = 1e-5;

pub struct LayerNorm {
    normalized_shape: Vec<usize>, // the trailing dims [D1, ..., Dk]
    weight: Option<Tensor>,       // [D1, ..., Dk], starts at ones
    bias: Option<Tensor>,         // [D1, ..., Dk], starts at zeros
}

impl LayerNorm {
    /// Normalises over the trailing dims `normalized_shape`, then applies the
    /// learned elementwise affine (PyTorch's default, elementwise_affine=True).
    pub fn new(normalized_shape: &[usize]) -> LayerNorm {
        LayerNorm {
            weight: Some(Tensor::ones(normalized_shape).requires_grad_()),
            bias: Some(Tensor::zeros(normalized_shape).requires_grad_()),
            ..LayerNorm::without_affine(normalized_shape)
        }
    }

    /// Normalisation only, no parameters.
    pub fn without_affine(normalized_shape: &[usize]) -> LayerNorm {
        assert!(
            !normalized_shape.is_empty() && normalized_shape.iter().all(|&d| d > 0),
            "LayerNorm: the normalised shape {normalized_shape:?} must have at least one dimension, none of them 0"
        );
        LayerNorm { normalized_shape: normalized_shape.to_vec(), weight: None, bias: None }
    }

    pub fn weight(&self) -> Option<&Tensor> {
        self.weight.as_ref()
    }

    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
}

impl Module for LayerNorm {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        present_named(&[("weight", self.weight.as_ref()), ("bias", self.bias.as_ref())])
    }
}

impl Layer for LayerNorm {
    /// x [..., D1, ..., Dk] -> the same shape.
    fn forward(&self, x: &Tensor) -> Tensor {
        assert!(
            x.shape().ends_with(&self.normalized_shape),
            "LayerNorm({:?}): input shape {:?} does not end with the normalised shape",
            self.normalized_shape,
            x.shape()
        );
        let (weight, bias) = (self.weight.as_ref().map(resolve), self.bias.as_ref().map(resolve));
        x.layer_norm(self.normalized_shape.len(), weight.as_ref(), bias.as_ref(), EPS)
    }
}
