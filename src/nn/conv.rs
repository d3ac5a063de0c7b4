//! Convolution layers: `Conv2d` (weight [O, C/groups, KH, KW]) and
//! `ConvTranspose2d` (weight [C, O/groups, KH, KW], as in PyTorch), both with
//! a bias and PyTorch's default initialisation U(-1/sqrt(fan_in), 1/sqrt(fan_in)).

use super::{init, resolve, Layer, Module, WeightLayer};
use crate::ops::conv::{conv2d, conv2d_activated, conv_transpose2d, Conv2dOptions};
use crate::tensor::Tensor;
use rand::Rng;

/// A weight [rows, cols/groups, KH, KW] and a bias [bias_len], both drawn from
/// U(-b, b) with b = 1/sqrt(fan_in) and fan_in = cols/groups * KH * KW (PyTorch
/// takes it from the weight's second axis for both layers). Panics, naming
/// the layer, when the channels do not split into the groups.
fn parameters(
    layer: &str,
    (rows, cols): (usize, usize),
    kernel: (usize, usize),
    groups: usize,
    bias_len: usize,
    rng: &mut impl Rng,
) -> (Tensor, Tensor) {
    assert!(
        rows > 0
            && cols > 0
            && kernel.0 > 0
            && kernel.1 > 0
            && rows.is_multiple_of(groups)
            && cols.is_multiple_of(groups),
        "{layer}: {rows} and {cols} channels with kernel {kernel:?} do not split into {groups} groups"
    );
    let fan_in = cols / groups * kernel.0 * kernel.1;
    let bound = 1.0 / (fan_in as f32).sqrt();
    let weight = Tensor::zeros(&[rows, cols / groups, kernel.0, kernel.1]).requires_grad_();
    let bias = Tensor::zeros(&[bias_len]).requires_grad_();
    init::uniform_(&weight, -bound, bound, rng);
    init::uniform_(&bias, -bound, bound, rng);
    (weight, bias)
}

/// The parameters as a module names them.
fn named(weight: &Tensor, bias: &Tensor) -> Vec<(String, Tensor)> {
    vec![("weight".into(), weight.clone()), ("bias".into(), bias.clone())]
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
        let (weight, bias) = parameters("Conv2d", (output, input), kernel, options.groups, output, rng);
        Conv2d { weight, bias, options }
    }
}

impl Module for Conv2d {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        named(&self.weight, &self.bias)
    }
}

impl Layer for Conv2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.forward_with_weight(x, &resolve(&self.weight))
    }

    /// Fused: the convolution's kernel applies the activation as it stores.
    fn forward_activated(&self, x: &Tensor, negative_slope: f32) -> Option<Tensor> {
        (negative_slope >= 0.0).then(|| {
            conv2d_activated(x, &resolve(&self.weight), Some(&resolve(&self.bias)), self.options, negative_slope)
        })
    }
}

impl WeightLayer for Conv2d {
    fn weight(&self) -> &Tensor {
        &self.weight
    }

    fn forward_with_weight(&self, x: &Tensor, weight: &Tensor) -> Tensor {
        conv2d(x, weight, Some(&resolve(&self.bias)), self.options)
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
        let (weight, bias) = parameters("ConvTranspose2d", (input, output), kernel, options.groups, output, rng);
        ConvTranspose2d { weight, bias, options, output_padding }
    }
}

impl Module for ConvTranspose2d {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        named(&self.weight, &self.bias)
    }
}

impl Layer for ConvTranspose2d {
    fn forward(&self, x: &Tensor) -> Tensor {
        let (weight, bias) = (resolve(&self.weight), resolve(&self.bias));
        conv_transpose2d(x, &weight, Some(&bias), self.options, self.output_padding)
    }
}

impl ConvTranspose2d {
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }
}
