//! pix2pix's PatchGAN discriminator (Isola et al. 2017, section 3.2.2): a
//! fully convolutional net on the pair (input, output) joined along the
//! channels (CycleGAN's: on one picture), whose every output pixel is one real/fake logit for the patch
//! of the pair it sees. Its receptive field sets the scale of the structure
//! D judges; the L1 term takes care of the low frequencies, so D only needs
//! local texture and sharpness.
//!
//! The variants of the paper's Figure 6, by receptive field:
//! - 1x1 ("PixelGAN"): three 1x1 convolutions, C64-C128 then one logit;
//!   it judges colours alone.
//! - 16x16, 34x34, 70x70 (the paper's default): 1, 2 or 3 convolutions 4x4
//!   with stride 2 (C64, C128, C256), then one 4x4 with stride 1 (the next
//!   width) and a last 4x4 with stride 1 to one logit. Leaky ReLU (0.2)
//!   after each hidden layer, batch norm after each but the first.
//!
//! The receptive field is computed from the layer list (`receptive_field`),
//! not written down, and the tests check it against gradients.

use crate::gan::models::dcgan::{batch_norm, conv};
use crate::nn::{Layer, LeakyRelu, Module, Sequential};
use crate::Tensor;
use rand::Rng;

/// The receptive fields built here, in pixels on each side.
pub const RECEPTIVE_FIELDS: [usize; 4] = [1, 16, 34, 70];

/// Where one convolution reads: kernel, stride and padding, equal on both axes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvGeometry {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

// ANCHOR: receptive_field
/// The side of the input square one output pixel of a chain of
/// convolutions depends on: walking back from one pixel, a layer with
/// kernel k and stride s widens a span of r pixels to s (r - 1) + k.
pub fn receptive_field(layers: &[ConvGeometry]) -> usize {
    layers.iter().rev().fold(1, |span, layer| layer.stride * (span - 1) + layer.kernel)
}
// ANCHOR_END: receptive_field

pub struct PatchGan {
    net: Sequential,
    layers: Vec<ConvGeometry>,
}

impl PatchGan {
    /// A PatchGAN on inputs of `input_channels` channels (pix2pix: a pair of
    /// pictures joined, 2C; CycleGAN: one picture, C), seeing `field` x `field` patches (one of
    /// `RECEPTIVE_FIELDS`), with `base` maps in its first layer.
    pub fn new(input_channels: usize, field: usize, base: usize, rng: &mut impl Rng) -> Result<PatchGan, String> {
        let Some(strided) = RECEPTIVE_FIELDS.iter().position(|&f| f == field) else {
            return Err(format!("--patch {field}: the PatchGAN sees 1, 16, 34 or 70 pixels (the paper's default)"));
        };
        let pixel = ConvGeometry { kernel: 1, stride: 1, padding: 0 };
        let halving = ConvGeometry { kernel: 4, stride: 2, padding: 1 };
        let keeping = ConvGeometry { kernel: 4, stride: 1, padding: 1 };
        let layers = match strided {
            0 => vec![pixel; 3],
            n => [vec![halving; n], vec![keeping; 2]].concat(),
        };
        // Maps into each layer and out of the last: the input's, base, 2 base, ... (at most 8 base), then one logit.
        let hidden = (0..layers.len() - 1).map(|i| base << i.min(3));
        let widths: Vec<usize> = std::iter::once(input_channels).chain(hidden).chain([1]).collect();
        let mut net = Sequential::new();
        for (i, layer) in layers.iter().enumerate() {
            net = net.push(conv(widths[i], widths[i + 1], layer.kernel, layer.stride, layer.padding, rng));
            if i + 1 < layers.len() {
                if i > 0 {
                    net = net.push(batch_norm(widths[i + 1], rng));
                }
                net = net.push(LeakyRelu(0.2));
            }
        }
        Ok(PatchGan { net, layers })
    }

    /// Logits [N, 1, h, w], one per patch, of inputs [N, input_channels, H, W].
    pub fn forward(&self, input: &Tensor) -> Tensor {
        self.net.forward(input)
    }

    /// The convolutions, input side first.
    pub fn layers(&self) -> &[ConvGeometry] {
        &self.layers
    }

    /// The side of the patch one logit sees.
    pub fn receptive_field(&self) -> usize {
        receptive_field(&self.layers)
    }

    /// The first input row (or column) that output row `output` sees, which
    /// can lie in the padding before the picture: each layer walked back
    /// maps a first position o to s * o - padding.
    pub fn first_input(&self, output: usize) -> isize {
        self.layers.iter().rev().fold(output as isize, |o, l| l.stride as isize * o - l.padding as isize)
    }

    /// The side of the logit map for pictures of side `size`; None when a
    /// layer would have nothing left to read.
    pub fn output_side(&self, size: usize) -> Option<usize> {
        self.layers.iter().try_fold(size, |side, l| {
            let padded = side + 2 * l.padding;
            (padded >= l.kernel).then(|| (padded - l.kernel) / l.stride + 1)
        })
    }
}

impl Module for PatchGan {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("net".to_string(), &self.net)]
    }
}
