//! StyleGAN2's synthesis network (Karras et al., 2020): modulated and
//! demodulated convolutions in place of AdaIN, and the "skip" output
//! architecture in place of one toRGB at the end.
//!
//! Each style layer (the paper's revised block, its Figure 2c) runs:
//!
//! 1. at the first layer of a new resolution, 2x upsampling through the
//!    [1, 3, 3, 1] low-pass filter (`Tensor::upsample_smooth2d`);
//! 2. a 3x3 modulated convolution with demodulation (`modulated.rs`): the
//!    style s = 1 + A(w) scales the input channels, and each output channel
//!    is rescaled so that its per-sample weights have unit norm. This
//!    replaces AdaIN's instance normalisation, which measured the actual
//!    feature maps and so let the generator hide a signal in one strong
//!    blob (the "droplet") that dominates the statistics; demodulation
//!    normalises by the weights' expected effect instead;
//! 3. per-pixel noise (one learned strength per layer, starting at 0) and
//!    then the bias, both after the demodulation, so neither is scaled by it.
//!    StyleGAN's per-channel scales would let the generator line up each
//!    channel's noise with the toRGB weights that read it: under Adam, whose
//!    steps have about the same size for every scale, the noise in the image
//!    would grow about sqrt(C) times faster than with one strength;
//! 4. leaky ReLU (0.2) times sqrt(2), the official code's gain: demodulated
//!    weights have unit norm, so without the gain every layer would shrink
//!    its signal by the activation's loss of variance.
//!
//! Skip architecture: after the second layer of every resolution a toRGB
//! (a 1x1 modulated convolution without demodulation, plus a bias, taking
//! that layer's w) turns the features into a picture, and the running
//! picture is upsampled through the same filter and summed with it.
//! Nearest upsampling here would copy every coarse pixel into a 2x2 block
//! (an 8x8 one from 4x4 to 32x32), and the coarse pictures, which carry
//! most of the image early in training, would draw the image in squares. Every resolution
//! adds its own detail to the image, which is how StyleGAN2 keeps the
//! coarse-to-fine emphasis of progressive growing without growing.
//!
//! The layer layout is StyleGAN's (two style layers per resolution, the
//! first taking the learned 4x4 constant as its input), so mixing,
//! truncation and the style pictures work unchanged. Differences from the
//! official code: a second 3x3 convolution at 4x4 (the official network has
//! one there), toRGB taking its resolution's last w instead of the next
//! one's, the filter
//! before the 3x3 convolution where the official layer convolves a
//! zero-interleaved map and filters after.

use super::modulated::modulated_conv2d;
use super::progressive::{level_of, width};
use super::style::{StyleShape, Synthesis};
use super::synthesis::check_layer_inputs;
use crate::nn::{init, numbered, resolve, EqualizedLinear, Layer, Module, NoiseInjection};
use crate::Tensor;
use rand::rngs::StdRng;
use rand::Rng;
use std::f32::consts::{FRAC_1_SQRT_2, SQRT_2};

const SLOPE: f32 = 0.2;

/// The affine map's gain on top of `EqualizedLinear`'s sqrt(2 / fan_in):
/// together 1 / sqrt(fan_in), the official affine layer's. He's sqrt(2) is
/// for a layer that a leaky ReLU follows; the style is used as it is, so
/// with it the styles of unit-variance w would spread by sqrt(2) around 1
/// instead of by 1.
const AFFINE_GAIN: f32 = FRAC_1_SQRT_2;

/// A modulated convolution's weights and its style: the weight stored
/// N(0, 1) and scaled by 1 / sqrt(fan_in) at run time (equalized learning
/// rate; demodulation undoes the scale, toRGB keeps it), the style an
/// affine map of w whose output starts around 1.
struct Modulated {
    weight: Tensor, // [O, C, K, K]
    weight_scale: f32,
    /// w [N, W] -> s - 1 [N, C].
    style: EqualizedLinear,
}

impl Modulated {
    fn new(input: usize, output: usize, kernel: usize, w_width: usize, rng: &mut impl Rng) -> Modulated {
        let weight = Tensor::zeros(&[output, input, kernel, kernel]).requires_grad_();
        init::normal_(&weight, 0.0, 1.0, rng);
        let weight_scale = 1.0 / ((input * kernel * kernel) as f32).sqrt();
        Modulated { weight, weight_scale, style: EqualizedLinear::new(w_width, input, rng) }
    }

    /// The style s [N, C] of w [N, W]: 1 + A(w), A with the official gain.
    fn style(&self, w: &Tensor) -> Tensor {
        self.style.forward(w).affine(AFFINE_GAIN, 1.0)
    }

    fn forward(&self, x: &Tensor, w: &Tensor, demodulate: bool) -> Tensor {
        modulated_conv2d(x, &self.style(w), &resolve(&self.weight).mul_scalar(self.weight_scale), demodulate)
    }
}

impl Module for Modulated {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".into(), self.weight.clone())]
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("style".into(), &self.style as &dyn Module)]
    }
}

/// `x` [N, C, H, W] plus a per-channel bias [C].
fn with_bias(x: &Tensor, bias: &Tensor) -> Tensor {
    x.add(&resolve(bias).reshape(&[1, bias.numel(), 1, 1]))
}

/// One style layer: (upsampling,) modulated 3x3 convolution, noise, bias, activation.
pub struct ModulatedLayer {
    conv: Modulated,
    upsample: bool,
    noise: NoiseInjection,
    bias: Tensor, // [O], starts at 0
}

impl ModulatedLayer {
    /// x [N, C, r, r] (r / 2 with upsampling) and this layer's w [N, W] to
    /// [N, O, r, r]; `demodulate` false only for the droplet comparison.
    pub fn forward(&self, x: &Tensor, w: &Tensor, noise: Option<&Tensor>, demodulate: bool) -> Tensor {
        let x = if self.upsample { x.upsample_smooth2d() } else { x.clone() };
        let x = self.conv.forward(&x, w, demodulate);
        let x = match noise {
            Some(noise) => self.noise.forward_with_noise(&x, noise),
            None => self.noise.forward(&x),
        };
        with_bias(&x, &self.bias).leaky_relu(SLOPE).mul_scalar(SQRT_2)
    }

    /// The style s [N, C] that scales this layer's input channels for w [N, W].
    pub fn style(&self, w: &Tensor) -> Tensor {
        self.conv.style(w)
    }

    /// The learned noise strength [1] of the layer.
    pub fn noise_scale(&self) -> &Tensor {
        self.noise.weight()
    }
}

impl Module for ModulatedLayer {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("bias".into(), self.bias.clone())]
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("conv".into(), &self.conv as &dyn Module), ("noise".into(), &self.noise)]
    }
}

/// toRGB: a 1x1 modulated convolution without demodulation, plus a bias.
struct ToRgb {
    conv: Modulated,
    bias: Tensor, // [channels]
}

impl ToRgb {
    fn forward(&self, x: &Tensor, w: &Tensor) -> Tensor {
        with_bias(&self.conv.forward(x, w, false), &self.bias)
    }
}

impl Module for ToRgb {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("bias".into(), self.bias.clone())]
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("conv".into(), &self.conv as &dyn Module)]
    }
}

pub struct SkipSynthesis {
    constant: Tensor, // [1, C, 4, 4], N(0, 1) as in the official code
    layers: Vec<ModulatedLayer>,
    /// One per resolution, after its second layer.
    to_rgb: Vec<ToRgb>,
}

/// What one forward pass drew: every style layer's output features, every
/// resolution's toRGB picture [N, C, r, r], and the image, their running
/// sum, upsampled smoothly (`Tensor::upsample_smooth2d`) at each doubling.
pub struct Drawn {
    pub features: Vec<Tensor>,
    pub pictures: Vec<Tensor>,
    pub image: Tensor,
}

impl SkipSynthesis {
    pub fn layers(&self) -> &[ModulatedLayer] {
        &self.layers
    }

    /// The forward pass, keeping each layer's features; `demodulate` false
    /// runs the same weights without demodulation (the droplet check).
    pub fn draw(&self, ws: &[Tensor], noise: Option<&[Tensor]>, demodulate: bool) -> Drawn {
        check_layer_inputs(self.layers.len(), ws, noise);
        let n = ws[0].shape()[0];
        let c = self.constant.shape()[1];
        let mut x = resolve(&self.constant).expand(&[n, c, 4, 4]);
        let mut features = Vec::new();
        let mut pictures = Vec::new();
        let mut image: Option<Tensor> = None;
        for (index, (layer, w)) in self.layers.iter().zip(ws).enumerate() {
            x = layer.forward(&x, w, noise.map(|noise| &noise[index]), demodulate);
            features.push(x.clone());
            if index % 2 == 1 {
                let rgb = self.to_rgb[index / 2].forward(&x, w);
                image = Some(match image {
                    Some(previous) => previous.upsample_smooth2d().add(&rgb),
                    None => rgb.clone(),
                });
                pictures.push(rgb);
            }
        }
        Drawn { features, pictures, image: image.expect("a synthesis network has at least one resolution") }
    }
}

impl Synthesis for SkipSynthesis {
    fn new(shape: StyleShape, noise_seed: u64, rng: &mut StdRng) -> SkipSynthesis {
        let levels = level_of(shape.image_size).expect("the family checks the image size") + 1;
        let constant = Tensor::zeros(&[1, width(shape.features, 0), 4, 4]).requires_grad_();
        init::normal_(&constant, 0.0, 1.0, rng);
        let mut layers = Vec::new();
        let mut to_rgb = Vec::new();
        let mut input = width(shape.features, 0);
        for index in 0..2 * levels {
            let output = width(shape.features, index / 2);
            layers.push(ModulatedLayer {
                conv: Modulated::new(input, output, 3, shape.width, rng),
                upsample: index > 0 && index % 2 == 0,
                noise: NoiseInjection::per_layer(noise_seed.wrapping_add(index as u64)),
                bias: Tensor::zeros(&[output]).requires_grad_(),
            });
            if index % 2 == 1 {
                to_rgb.push(ToRgb {
                    conv: Modulated::new(output, shape.channels, 1, shape.width, rng),
                    bias: Tensor::zeros(&[shape.channels]).requires_grad_(),
                });
            }
            input = output;
        }
        SkipSynthesis { constant, layers, to_rgb }
    }

    fn forward(&self, ws: &[Tensor], noise: Option<&[Tensor]>) -> Tensor {
        self.draw(ws, noise, true).image
    }

    fn layer_count(&self) -> usize {
        self.layers.len()
    }
}

impl Module for SkipSynthesis {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("constant".into(), self.constant.clone())]
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        let layers = numbered("layer", &self.layers);
        let to_rgb = numbered("to_rgb", &self.to_rgb);
        layers.chain(to_rgb).collect()
    }
}
