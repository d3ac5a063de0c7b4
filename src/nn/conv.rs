//! Convolution layers: `Conv2d` (weight [O, C/groups, KH, KW]) and
//! `ConvTranspose2d` (weight [C, O/groups, KH, KW], as in PyTorch), both with
//! a bias and PyTorch's default initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

use super::{init, Layer, Module, WeightLayer};
use crate::ops::conv::{conv2d, conv_transpose2d, Conv2dOptions};
use crate::tensor::Tensor;
use rand::Rng;

/// A weight and a bias drawn from U(-b, b), b = 1/sqrt(fan_in).
fn parameters(weight_shape: [usize; 4], fan_in: usize, bias_len: usize, rng: &mut impl Rng) -> (Tensor, Tensor) {
    assert!(weight_shape.iter().all(|&d| d > 0), "convolution weight {weight_shape:?}: sizes must be positive");
    let bound = 1.0 / (fan_in as f32).sqrt();
    let weight = Tensor::zeros(&weight_shape).requires_grad_();
    let bias = Tensor::zeros(&[bias_len]).requires_grad_();
    init::uniform_(&weight, -bound, bound, rng);
    init::uniform_(&bias, -bound, bound, rng);
    (weight, bias)
}

pub struct Conv2d {
    weight: Tensor, // [O, C/groups, KH, KW]
    bias: Tensor,   // [O]
    options: Conv2dOptions,
}

impl Conv2d {
    /// A square kernel with the same stride and padding on both axes.
    pub fn new(
        input: usize,
        output: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        rng: &mut impl Rng,
    ) -> Conv2d {
        Conv2d::with_options(
            input,
            output,
            (kernel, kernel),
            Conv2dOptions { stride: (stride, stride), padding: (padding, padding), ..Conv2dOptions::default() },
            rng,
        )
    }

    pub fn with_options(
        input: usize,
        output: usize,
        kernel: (usize, usize),
        options: Conv2dOptions,
        rng: &mut impl Rng,
    ) -> Conv2d {
        let g = options.groups;
        assert!(
            input.is_multiple_of(g) && output.is_multiple_of(g),
            "Conv2d({input}, {output}): channels must divide into {g} groups"
        );
        let (weight, bias) =
            parameters([output, input / g, kernel.0, kernel.1], input / g * kernel.0 * kernel.1, output, rng);
        Conv2d { weight, bias, options }
    }
}

impl Module for Conv2d {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".into(), self.weight.clone()), ("bias".into(), self.bias.clone())]
    }
}

impl Layer for Conv2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.forward_with_weight(x, &self.weight)
    }
}

impl WeightLayer for Conv2d {
    fn weight(&self) -> &Tensor {
        &self.weight
    }

    fn forward_with_weight(&self, x: &Tensor, weight: &Tensor) -> Tensor {
        conv2d(x, weight, Some(&self.bias), self.options)
    }
}

pub struct ConvTranspose2d {
    weight: Tensor, // [C, O/groups, KH, KW]
    bias: Tensor,   // [O]
    options: Conv2dOptions,
    output_padding: (usize, usize),
}

impl ConvTranspose2d {
    /// A square kernel with the same stride and padding on both axes.
    pub fn new(
        input: usize,
        output: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        rng: &mut impl Rng,
    ) -> ConvTranspose2d {
        let options =
            Conv2dOptions { stride: (stride, stride), padding: (padding, padding), ..Conv2dOptions::default() };
        ConvTranspose2d::with_options(input, output, (kernel, kernel), options, (0, 0), rng)
    }

    pub fn with_options(
        input: usize,
        output: usize,
        kernel: (usize, usize),
        options: Conv2dOptions,
        output_padding: (usize, usize),
        rng: &mut impl Rng,
    ) -> ConvTranspose2d {
        let g = options.groups;
        assert!(
            input.is_multiple_of(g) && output.is_multiple_of(g),
            "ConvTranspose2d({input}, {output}): channels must divide into {g} groups"
        );
        // PyTorch takes the fan-in from the weight's second axis: O/groups * KH * KW.
        let (weight, bias) =
            parameters([input, output / g, kernel.0, kernel.1], output / g * kernel.0 * kernel.1, output, rng);
        ConvTranspose2d { weight, bias, options, output_padding }
    }
}

impl Module for ConvTranspose2d {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".into(), self.weight.clone()), ("bias".into(), self.bias.clone())]
    }
}

impl Layer for ConvTranspose2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        conv_transpose2d(x, &self.weight, Some(&self.bias), self.options, self.output_padding)
    }
}

impl ConvTranspose2d {
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}
