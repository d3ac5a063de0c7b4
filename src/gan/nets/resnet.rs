//! The ResNet-block generator of Johnson, Alahi and Fei-Fei (2016), as
//! CycleGAN (Zhu et al. 2017) uses it, and pix2pix's alternative to the
//! U-Net (`--generator resnet`): two stride-2 convolutions down, residual
//! blocks at a quarter of the size, two transposed convolutions back up.
//!
//! Layers, in the CycleGAN paper's notation with widths base = 64 there:
//! c7s1-base (reflection padding 3, a 7x7 convolution), d2base, d4base (3x3,
//! stride 2), R4base x blocks (each: reflection padding 1, 3x3 convolution,
//! norm, ReLU, and again without the ReLU, added to its input), u2base,
//! ubase (3x3 transposed, stride 2), c7s1-C with tanh. Every hidden layer is
//! followed by instance norm (no learned affine) and a ReLU. Reflection
//! padding mirrors the picture into its border, so the borders carry no
//! artificial zero frame into the output. 6 blocks for pictures up to
//! 128x128, 9 above (the CycleGAN code's choice).
//!
//! It has no dropout (CycleGAN's default), so it is deterministic: the same
//! input always gives the same output.

use super::Translator;
use crate::gan::family::Sampler;
use crate::gan::models::dcgan::conv;
use crate::nn::init::normal_;
use crate::nn::{ConvTranspose2d, InstanceNorm2d, Layer, Module, ReflectionPad2d, Relu, Sequential, Tanh};
use crate::ops::conv::Conv2dOptions;
use crate::Tensor;
use rand::Rng;

/// x + body(x): a residual block.
struct Residual {
    body: Sequential,
}

impl Module for Residual {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("body".to_string(), &self.body)]
    }
}

impl Layer for Residual {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.add(&self.body.forward(x))
    }
}

pub struct ResnetGenerator {
    net: Sequential,
    input_shape: [usize; 3],
}

impl ResnetGenerator {
    /// A generator from pictures [channels, size, size] to pictures of the
    /// same shape, `base` maps at full size; the side must be a multiple of 4
    /// (two halvings there and two doublings back).
    pub fn new(input_shape: [usize; 3], base: usize, rng: &mut impl Rng) -> Result<ResnetGenerator, String> {
        let [channels, height, width] = input_shape;
        if height != width || height < 8 || !height.is_multiple_of(4) {
            return Err(format!(
                "the ResNet generator halves its input twice and doubles it back, so it needs square pictures \
                 whose side is a multiple of 4, 8 or more; got {height}x{width}"
            ));
        }
        let blocks = if height <= 128 { 6 } else { 9 };
        let (wide, widest) = (2 * base, 4 * base);
        let mut net = Sequential::new()
            .push(ReflectionPad2d::new(3))
            .push(conv(channels, base, 7, 1, 0, rng))
            .push(InstanceNorm2d::new(base))
            .push(Relu)
            .push(conv(base, wide, 3, 2, 1, rng))
            .push(InstanceNorm2d::new(wide))
            .push(Relu)
            .push(conv(wide, widest, 3, 2, 1, rng))
            .push(InstanceNorm2d::new(widest))
            .push(Relu);
        for _ in 0..blocks {
            let body = Sequential::new()
                .push(ReflectionPad2d::new(1))
                .push(conv(widest, widest, 3, 1, 0, rng))
                .push(InstanceNorm2d::new(widest))
                .push(Relu)
                .push(ReflectionPad2d::new(1))
                .push(conv(widest, widest, 3, 1, 0, rng))
                .push(InstanceNorm2d::new(widest));
            net = net.push(Residual { body });
        }
        for (from, to) in [(widest, wide), (wide, base)] {
            net = net.push(doubling(from, to, rng)).push(InstanceNorm2d::new(to)).push(Relu);
        }
        net = net.push(ReflectionPad2d::new(3)).push(conv(base, channels, 7, 1, 0, rng)).push(Tanh);
        Ok(ResnetGenerator { net, input_shape })
    }
}

/// A 3x3 transposed convolution, stride 2, padding 1 and output padding 1:
/// exactly twice the side.
fn doubling(from: usize, to: usize, rng: &mut impl Rng) -> ConvTranspose2d {
    let options = Conv2dOptions { stride: (2, 2), padding: (1, 1), ..Conv2dOptions::default() };
    let layer = ConvTranspose2d::with_options(from, to, (3, 3), options, (1, 1), rng);
    normal_(layer.weight(), 0.0, 0.02, rng); // DCGAN's initialisation, as `conv`'s
    layer
}

impl Module for ResnetGenerator {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("net".to_string(), &self.net)]
    }
}

impl Sampler for ResnetGenerator {
    fn generator(&self) -> &dyn Module {
        self
    }

    fn latent_dim(&self) -> usize {
        0
    }

    fn image_input(&self) -> Option<[usize; 3]> {
        Some(self.input_shape)
    }

    /// Pictures [N, C, H, W] to their translations.
    fn generate(&self, x: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.net.forward(x)
    }
}

impl Translator for ResnetGenerator {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.net.forward(x)
    }
}
