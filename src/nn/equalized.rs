//! The equalized-learning-rate layers (Karras et al., ProGAN, 2018): linear
//! and convolution.
//!
//! Adam divides each update by a running estimate of the gradient's scale, so
//! a weight's effective learning rate does not depend on its gradient's size
//! but does depend on the weight's own size. ProGAN therefore stores weights
//! drawn from N(0, 1) and multiplies them at run time by He's constant
//! c = sqrt(2 / fan_in): every weight then learns at the same speed.
//!
//! StyleGAN's mapping network adds a learning-rate multiplier m: weights are
//! stored as N(0, 1/m^2) and scaled by c * m, biases scaled by m, which slows
//! those layers' learning by m (0.01 in StyleGAN) at the same initial outputs.

use super::{init, linear, resolve, Layer, Module};
use crate::ops::conv::{conv2d_activated, Conv2dOptions};
use crate::tensor::Tensor;
use rand::Rng;
use std::f32::consts::FRAC_1_SQRT_2;

pub struct EqualizedLinear {
    weight: Tensor, // [out, in], stored N(0, 1 / lr_multiplier^2)
    bias: Tensor,   // [out], stored zero
    weight_scale: f32,
    lr_multiplier: f32,
}

impl EqualizedLinear {
    /// ProGAN's layer: runtime scale sqrt(2 / in_features), no multiplier.
    pub fn new(in_features: usize, out_features: usize, rng: &mut impl Rng) -> EqualizedLinear {
        EqualizedLinear::with_lr_multiplier(in_features, out_features, 1.0, rng)
    }

    /// StyleGAN's variant: the learning rate of this layer scaled by `lr_multiplier`.
    pub fn with_lr_multiplier(
        in_features: usize,
        out_features: usize,
        lr_multiplier: f32,
        rng: &mut impl Rng,
    ) -> EqualizedLinear {
        assert!(
            in_features > 0 && out_features > 0,
            "EqualizedLinear({in_features}, {out_features}): sizes must be positive"
        );
        assert!(lr_multiplier > 0.0, "EqualizedLinear: the lr multiplier must be positive, got {lr_multiplier}");
        let weight = Tensor::zeros(&[out_features, in_features]).requires_grad_();
        init::normal_(&weight, 0.0, 1.0 / lr_multiplier, rng);
        let he_constant = (2.0 / in_features as f32).sqrt();
        EqualizedLinear {
            weight,
            bias: Tensor::zeros(&[out_features]).requires_grad_(),
            weight_scale: he_constant * lr_multiplier,
            lr_multiplier,
        }
    }

    /// The factor applied to the stored weight in every forward pass.
    pub fn weight_scale(&self) -> f32 {
        self.weight_scale
    }
}

impl Module for EqualizedLinear {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".to_string(), self.weight.clone()), ("bias".to_string(), self.bias.clone())]
    }
}

impl Layer for EqualizedLinear {
    fn forward(&self, x: &Tensor) -> Tensor {
        let weight = resolve(&self.weight).mul_scalar(self.weight_scale);
        // Scaled only where the multiplier is not 1: each scaling is a
        // dispatch forward and another backward, per layer and pass.
        let bias = resolve(&self.bias);
        let bias = if self.lr_multiplier == 1.0 { bias } else { bias.mul_scalar(self.lr_multiplier) };
        linear(x, &weight, Some(&bias))
    }
}

/// A convolution with the same runtime scaling: weight [O, C, K, K] stored
/// N(0, 1), multiplied by sqrt(2 / (C K K)) in every forward pass; bias zero
/// (or none, `linear_without_bias`).
pub struct EqualizedConv2d {
    weight: Tensor,       // [O, C, K, K], stored N(0, 1)
    bias: Option<Tensor>, // [O]
    weight_scale: f32,
    options: Conv2dOptions,
}

impl EqualizedConv2d {
    /// A square kernel with "same" padding, as ProGAN uses (kernel 3, padding 1; kernel 1, padding 0).
    pub fn new(input: usize, output: usize, kernel: usize, rng: &mut impl Rng) -> EqualizedConv2d {
        assert!(
            input > 0 && output > 0 && kernel % 2 == 1,
            "EqualizedConv2d({input}, {output}, {kernel}): sizes must be positive and the kernel odd"
        );
        let weight = Tensor::zeros(&[output, input, kernel, kernel]).requires_grad_();
        init::normal_(&weight, 0.0, 1.0, rng);
        let padding = kernel / 2;
        EqualizedConv2d {
            weight,
            bias: Some(Tensor::zeros(&[output]).requires_grad_()),
            weight_scale: (2.0 / (input * kernel * kernel) as f32).sqrt(),
            options: Conv2dOptions { padding: (padding, padding), ..Conv2dOptions::default() },
        }
    }

    /// The same layer unpadded and moved by `stride`: StyleGAN2's
    /// downsampling convolution, whose input is padded and low-pass filtered
    /// first (`Tensor::smooth2d`).
    pub fn strided_unpadded(mut self, stride: usize) -> EqualizedConv2d {
        self.options = Conv2dOptions { stride: (stride, stride), ..Conv2dOptions::default() };
        self
    }

    /// The same layer for a place no activation follows (StyleGAN2's
    /// residual skip): runtime scale 1 / sqrt(fan_in), which keeps
    /// unit-variance input at unit variance (He's sqrt(2) makes up for a
    /// leaky ReLU's loss), and no bias.
    pub fn linear_without_bias(mut self) -> EqualizedConv2d {
        self.weight_scale *= FRAC_1_SQRT_2;
        self.bias = None;
        self
    }

    /// The factor applied to the stored weight in every forward pass.
    pub fn weight_scale(&self) -> f32 {
        self.weight_scale
    }
}

impl Module for EqualizedConv2d {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        let mut parameters = vec![("weight".to_string(), self.weight.clone())];
        parameters.extend(self.bias.iter().map(|bias| ("bias".to_string(), bias.clone())));
        parameters
    }
}

impl EqualizedConv2d {
    /// The convolution with the runtime-scaled weight, followed by a leaky
    /// ReLU of `negative_slope` applied by its kernel (1: none).
    fn convolve(&self, x: &Tensor, negative_slope: f32) -> Tensor {
        let weight = resolve(&self.weight).mul_scalar(self.weight_scale);
        let bias = self.bias.as_ref().map(resolve);
        conv2d_activated(x, &weight, bias.as_ref(), self.options, negative_slope)
    }
}

impl Layer for EqualizedConv2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.convolve(x, 1.0)
    }

    /// Fused: the convolution's kernel applies the activation as it stores.
    fn forward_activated(&self, x: &Tensor, negative_slope: f32) -> Option<Tensor> {
        (negative_slope >= 0.0).then(|| self.convolve(x, negative_slope))
    }
}
