//! StyleGAN's synthesis network (Karras, Laine and Aila, 2019): images drawn
//! from a learned constant, with the latent entering only as styles.
//!
//! The input is a learned 4x4 constant, the same for every sample. Each
//! resolution from 4x4 up to the image size has two style layers (at 4x4 the
//! constant stands in for the first convolution). A layer runs, in order:
//!
//! 1. at the first layer of a new resolution, nearest 2x upsampling;
//! 2. a 3x3 equalized convolution (with its bias);
//! 3. per-pixel noise: one N(0, 1) image per sample, added to every channel
//!    scaled by a learned per-channel factor that starts at 0;
//! 4. leaky ReLU (0.2);
//! 5. AdaIN: each (sample, channel) plane normalised, then multiplied by
//!    1 + a and shifted by b, where [a, b] = A(w) is the layer's own learned
//!    affine map of its w (the "+ 1" is the official code's: the scale's
//!    bias starts at 1, so a new layer begins as plain instance norm).
//!
//! A 1x1 "toRGB" convolution turns the last features into the image (no
//! tanh, as in the paper). Each layer takes its own w, which is what style
//! mixing and the pictures of `explore/style.rs` vary per layer.
//!
//! Left out from the official code: the [1, 2, 1] blur after each
//! upsampling, and the bias of the constant's layer (a bias added to a
//! learned constant is that constant shifted, so it learns nothing new).
//! Widths follow ProGAN's nets (`progressive::width`).

use super::progressive::width;
use super::style::{StyleShape, Synthesis};
use crate::nn::{numbered, AdaIN, EqualizedConv2d, EqualizedLinear, Layer, Module, NoiseInjection};
use crate::Tensor;
use rand::rngs::StdRng;
use rand::Rng;

const SLOPE: f32 = 0.2;

/// One style layer: convolution, noise, leaky ReLU and AdaIN.
pub struct StyleLayer {
    /// None for the first layer, whose input is the learned constant.
    conv: Option<EqualizedConv2d>,
    upsample: bool,
    noise: NoiseInjection,
    /// w [N, W] -> [a, b] [N, 2C]: the AdaIN scale 1 + a and bias b.
    style: EqualizedLinear,
    channels: usize,
}

impl StyleLayer {
    /// The layer up to AdaIN: x [N, C_in, r, r] (r / 2 with `upsample`) to
    /// [N, C, r, r], convolved, with noise (the images [N, 1, r, r] drawn
    /// from the layer's seed stream unless given) and leaky ReLU. These
    /// unnormalised maps are where StyleGAN's droplets show.
    pub fn unnormalised(&self, x: &Tensor, noise: Option<&Tensor>) -> Tensor {
        let x = if self.upsample { x.upsample_nearest2d(2) } else { x.clone() };
        let x = match &self.conv {
            Some(conv) => conv.forward(&x),
            None => x,
        };
        let x = match noise {
            Some(noise) => self.noise.forward_with_noise(&x, noise),
            None => self.noise.forward(&x),
        };
        x.leaky_relu(SLOPE)
    }

    /// AdaIN of the unnormalised maps with the style of this layer's w [N, W].
    pub fn stylise(&self, x: &Tensor, w: &Tensor) -> Tensor {
        let style = self.style.forward(w); // [N, 2C]
        let c = self.channels;
        AdaIN.forward(x, &style.narrow(1, 0, c).add_scalar(1.0), &style.narrow(1, c, 2 * c))
    }

    /// The learned per-channel noise scales [C].
    pub fn noise_scale(&self) -> &Tensor {
        self.noise.weight()
    }
}

impl Module for StyleLayer {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        let mut children: Vec<(String, &dyn Module)> =
            vec![("noise".into(), &self.noise as &dyn Module), ("style".into(), &self.style)];
        if let Some(conv) = &self.conv {
            children.push(("conv".into(), conv));
        }
        children
    }
}

pub struct SynthesisNetwork {
    constant: Tensor, // [1, C, 4, 4], starts at ones
    layers: Vec<StyleLayer>,
    to_rgb: EqualizedConv2d,
}

impl SynthesisNetwork {
    /// Up to `image_size` x `image_size` (4 times a power of two) with
    /// `channels` colours, `features` maps at 4x4 and 8x8 (halved per
    /// doubling after), styles from w of `w_width` values; the noise images
    /// of layer i follow from the seed `noise_seed + i`.
    pub fn new(
        image_size: usize,
        channels: usize,
        features: usize,
        w_width: usize,
        noise_seed: u64,
        rng: &mut impl Rng,
    ) -> SynthesisNetwork {
        let levels = super::progressive::level_of(image_size).expect("the family checks the image size") + 1;
        let mut layers = Vec::new();
        let mut input = width(features, 0);
        for index in 0..2 * levels {
            let output = width(features, index / 2);
            let first = index == 0;
            layers.push(StyleLayer {
                conv: (!first).then(|| EqualizedConv2d::new(input, output, 3, rng)),
                upsample: index > 0 && index % 2 == 0,
                noise: NoiseInjection::new(output, noise_seed.wrapping_add(index as u64)),
                style: EqualizedLinear::new(w_width, 2 * output, rng),
                channels: output,
            });
            input = output;
        }
        SynthesisNetwork {
            constant: Tensor::ones(&[1, width(features, 0), 4, 4]).requires_grad_(),
            layers,
            to_rgb: EqualizedConv2d::new(input, channels, 1, rng),
        }
    }

    pub fn layers(&self) -> &[StyleLayer] {
        &self.layers
    }

    /// The side of the features style layer `index` draws: 4, 4, 8, 8, 16, ...
    pub fn layer_resolution(index: usize) -> usize {
        4 << (index / 2)
    }

    /// The forward pass (see `Synthesis::forward`), keeping every layer's
    /// unnormalised maps: (those maps, the images).
    pub fn draw(&self, ws: &[Tensor], noise: Option<&[Tensor]>) -> (Vec<Tensor>, Tensor) {
        check_layer_inputs(self.layers.len(), ws, noise);
        let n = ws[0].shape()[0];
        let c = self.constant.shape()[1];
        let mut x = crate::nn::resolve(&self.constant).expand(&[n, c, 4, 4]);
        let mut features = Vec::new();
        for (index, (layer, w)) in self.layers.iter().zip(ws).enumerate() {
            let unnormalised = layer.unnormalised(&x, noise.map(|noise| &noise[index]));
            x = layer.stylise(&unnormalised, w);
            features.push(unnormalised);
        }
        (features, self.to_rgb.forward(&x))
    }
}

/// Checks that `ws` (and `noise`, when given) hold one entry per style layer.
pub fn check_layer_inputs(layers: usize, ws: &[Tensor], noise: Option<&[Tensor]>) {
    assert_eq!(ws.len(), layers, "synthesis: one w per style layer ({layers}), got {}", ws.len());
    if let Some(noise) = noise {
        assert_eq!(noise.len(), layers, "synthesis: one noise image batch per layer ({layers}), got {}", noise.len());
    }
}

impl Synthesis for SynthesisNetwork {
    fn new(shape: StyleShape, noise_seed: u64, rng: &mut StdRng) -> SynthesisNetwork {
        SynthesisNetwork::new(shape.image_size, shape.channels, shape.features, shape.width, noise_seed, rng)
    }

    /// Two per resolution, each taking its own w.
    fn layer_count(&self) -> usize {
        self.layers.len()
    }

    fn forward(&self, ws: &[Tensor], noise: Option<&[Tensor]>) -> Tensor {
        self.draw(ws, noise).1
    }
}

impl Module for SynthesisNetwork {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("constant".into(), self.constant.clone())]
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        let mut children: Vec<(String, &dyn Module)> = numbered("layer", &self.layers).collect();
        children.push(("to_rgb".into(), &self.to_rgb));
        children
    }
}
