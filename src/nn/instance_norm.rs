//! Instance normalisation as layers (`Tensor::instance_norm2d`, `Tensor::adain`
//! in `ops/norm.rs`): every (sample, channel) plane of a [N, C, H, W] map is
//! normalised over its own pixels, so one image's contrast does not depend on
//! the rest of the batch (style transfer's and CycleGAN's choice over batch
//! norm). Neither layer depends on training mode: with no running statistics
//! (PyTorch's default `track_running_stats=False`) both modes compute the same.
//!
//! - `InstanceNorm2d` optionally follows with a learned per-channel affine,
//!   off by default as in PyTorch.
//! - `AdaIN` (Huang & Belongie, 2017; StyleGAN) takes the per-plane scale and
//!   shift from a style instead: one pair per sample and channel, computed
//!   elsewhere (StyleGAN maps the latent through a linear layer), so it has no
//!   parameters of its own and three inputs.

use super::module::present_named;
use super::{resolve, Layer, Module};
use crate::tensor::Tensor;

/// Added to the variance before the square root (PyTorch's default).
const EPS: f32 = 1e-5;

pub struct InstanceNorm2d {
    channels: usize,
    weight: Option<Tensor>, // [C], starts at ones
    bias: Option<Tensor>,   // [C], starts at zeros
}

impl InstanceNorm2d {
    /// Normalisation only (PyTorch's `InstanceNorm2d(channels)`, affine=False).
    pub fn new(channels: usize) -> InstanceNorm2d {
        assert!(channels > 0, "InstanceNorm2d({channels}): the channel count must be positive");
        InstanceNorm2d { channels, weight: None, bias: None }
    }

    /// Normalisation followed by a learned scale "weight" [C] (ones) and shift
    /// "bias" [C] (zeros), so the layer starts as plain normalisation.
    pub fn with_affine(channels: usize) -> InstanceNorm2d {
        InstanceNorm2d {
            weight: Some(Tensor::ones(&[channels]).requires_grad_()),
            bias: Some(Tensor::zeros(&[channels]).requires_grad_()),
            ..InstanceNorm2d::new(channels)
        }
    }

    pub fn weight(&self) -> Option<&Tensor> {
        self.weight.as_ref()
    }

    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }

    fn check_input(&self, x: &Tensor) {
        assert!(
            x.rank() == 4 && x.shape()[1] == self.channels,
            "InstanceNorm2d({}): input must be [N, {}, H, W], got shape {:?}",
            self.channels,
            self.channels,
            x.shape()
        );
    }
}

impl Module for InstanceNorm2d {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        present_named(&[("weight", self.weight.as_ref()), ("bias", self.bias.as_ref())])
    }
}

impl Layer for InstanceNorm2d {
    /// x [N, C, H, W] -> [N, C, H, W].
    fn forward(&self, x: &Tensor) -> Tensor {
        self.check_input(x);
        let (weight, bias) = (self.weight.as_ref().map(resolve), self.bias.as_ref().map(resolve));
        x.instance_norm2d(weight.as_ref(), bias.as_ref(), EPS)
    }

    /// Fused without an affine (the activation would have to follow the
    /// affine), for a slope of 0 or more.
    fn forward_activated(&self, x: &Tensor, negative_slope: f32) -> Option<Tensor> {
        let plain = self.weight.is_none() && self.bias.is_none();
        (plain && negative_slope >= 0.0).then(|| {
            self.check_input(x);
            x.instance_norm2d_activated(EPS, negative_slope)
        })
    }
}

/// Adaptive instance normalisation: no parameters, three inputs.
pub struct AdaIN;

impl AdaIN {
    /// content [N, C, H, W], style_scale [N, C], style_bias [N, C] -> [N, C, H, W]:
    /// each plane instance-normalised, then multiplied by its style scale and
    /// shifted by its style bias. All three inputs get gradients.
    pub fn forward(&self, content: &Tensor, style_scale: &Tensor, style_bias: &Tensor) -> Tensor {
        content.adain(style_scale, style_bias, EPS)
    }
}

impl Module for AdaIN {}
