//! The fully connected layer: y = x W^T + b, with W stored [out, in] as in
//! PyTorch, so each row of W holds one output's weights. The product is one
//! `matmul_t` reading W transposed in place, and its gradient is again matmuls,
//! so the layer is twice differentiable (what a gradient penalty needs).

use super::{init, resolve, Layer, Module, WeightLayer};
use crate::tensor::Tensor;
use rand::Rng;

/// x W^T + b for x [..., in], W [out, in], b [out]: the result is [..., out].
pub fn linear(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>) -> Tensor {
    assert!(
        weight.rank() == 2 && x.rank() >= 2 && x.shape()[x.rank() - 1] == weight.shape()[1],
        "linear: input {:?} needs rank >= 2 and last dimension equal to the in-features of weight {:?} ([out, in])",
        x.shape(),
        weight.shape()
    );
    let y = x.matmul_t(weight, false, true);
    match bias {
        Some(b) => {
            assert_eq!(
                b.shape(),
                &weight.shape()[..1],
                "linear: bias {:?} must be [out] for weight {:?}",
                b.shape(),
                weight.shape()
            );
            y.add(b)
        }
        None => y,
    }
}

pub struct Linear {
    weight: Tensor,       // [out, in]
    bias: Option<Tensor>, // [out]
}

impl Linear {
    /// A layer with PyTorch's default initialisation: weight and bias drawn
    /// from U(-1/sqrt(in), 1/sqrt(in)) (its `kaiming_uniform_(a = sqrt(5))`).
    pub fn new(in_features: usize, out_features: usize, rng: &mut impl Rng) -> Linear {
        let mut layer = Linear::without_bias(in_features, out_features, rng);
        let bias = Tensor::zeros(&[out_features]).requires_grad_();
        let bound = 1.0 / (in_features as f32).sqrt();
        init::uniform_(&bias, -bound, bound, rng);
        layer.bias = Some(bias);
        layer
    }

    /// A layer with no bias (y = x W^T), weight initialised as in `new`.
    pub fn without_bias(in_features: usize, out_features: usize, rng: &mut impl Rng) -> Linear {
        assert!(in_features > 0 && out_features > 0, "Linear({in_features}, {out_features}): sizes must be positive");
        let weight = Tensor::zeros(&[out_features, in_features]).requires_grad_();
        let bound = 1.0 / (in_features as f32).sqrt();
        init::uniform_(&weight, -bound, bound, rng);
        Linear { weight, bias: None }
    }

    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }
}

impl Module for Linear {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        let mut own = vec![("weight".to_string(), self.weight.clone())];
        own.extend(self.bias.iter().map(|b| ("bias".to_string(), b.clone())));
        own
    }
}

impl Layer for Linear {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.forward_with_weight(x, &resolve(&self.weight))
    }
}

impl WeightLayer for Linear {
    fn weight(&self) -> &Tensor {
        &self.weight
    }

    fn forward_with_weight(&self, x: &Tensor, weight: &Tensor) -> Tensor {
        linear(x, weight, self.bias.as_ref().map(resolve).as_ref())
    }
}
