//! StyleGAN2's residual discriminator (Karras et al., 2020, Figure 7c).
//!
//! A 1x1 fromRGB at the image's size, then per resolution a residual block
//! down to 4x4, then ProGAN's last block (`progressive::judge`: minibatch
//! standard deviation, a 3x3 convolution, two dense layers). A block, as
//! the official network builds it:
//!
//! - main path: a 3x3 convolution with leaky ReLU (0.2), then the
//!   downsampling one: the map zero-padded by 2 and low-pass filtered with
//!   [1, 3, 3, 1] (`Tensor::smooth2d`), a 3x3 convolution moved by 2, leaky
//!   ReLU;
//! - skip path: 2x downsampling through the same filter
//!   (`Tensor::downsample_smooth2d`), then a 1x1 convolution to the new
//!   width, linear: no bias and the gain 1 / sqrt(fan_in);
//! - output (main + skip) / sqrt(2), which keeps the sum's variance that of
//!   one path when the two are independent.
//!
//! The filter matters because halving a map folds every frequency above
//! half its Nyquist limit onto a lower one (aliasing). A 2x2 average pool
//! ([1, 1] on each axis) keeps much of that band: a pattern with a period of
//! 3 pixels keeps half its amplitude and comes out as a coarser one, so
//! grain in the image reaches the coarse features as structure, which a
//! discriminator can learn to reward. [1, 3, 3, 1] is the 2-tap box three
//! times over, so its response is the box's cubed: the same pattern keeps
//! an eighth.
//!
//! The skip connections give every resolution a short path to the score,
//! as the skip generator gives every resolution a short path to the image.
//! Every layer has an equalized learning rate (`EqualizedConv2d`); widths
//! follow ProGAN's (`progressive::width`).

use super::progressive::{judge, judged, level_of, width};
use crate::nn::{numbered, EqualizedConv2d, Layer, Module, Sequential};
use crate::Tensor;
use rand::Rng;
use std::f32::consts::FRAC_1_SQRT_2;

const SLOPE: f32 = 0.2;

/// One residual block: [N, C, r, r] -> [N, O, r / 2, r / 2].
pub struct ResidualBlock {
    first: EqualizedConv2d,  // C -> C, 3x3
    second: EqualizedConv2d, // C -> O, 3x3, stride 2 over the filtered map
    skip: EqualizedConv2d,   // C -> O, 1x1, linear
}

impl ResidualBlock {
    pub fn new(input: usize, output: usize, rng: &mut impl Rng) -> ResidualBlock {
        ResidualBlock {
            first: EqualizedConv2d::new(input, input, 3, rng),
            second: EqualizedConv2d::new(input, output, 3, rng).strided_unpadded(2),
            skip: EqualizedConv2d::new(input, output, 1, rng).linear_without_bias(),
        }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        let main = self.first.forward(x).leaky_relu(SLOPE);
        // Padding 2 = the 3x3 convolution's 1 + the filter's 1: the official layout.
        let main = self.second.forward(&main.smooth2d(2, 1)).leaky_relu(SLOPE);
        let skip = self.skip.forward(&x.downsample_smooth2d());
        main.add(&skip).mul_scalar(FRAC_1_SQRT_2)
    }
}

impl Module for ResidualBlock {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("first".into(), &self.first as &dyn Module), ("second".into(), &self.second), ("skip".into(), &self.skip)]
    }
}

pub struct ResidualDiscriminator {
    from_rgb: EqualizedConv2d,
    /// From the image's size down: blocks[0] halves the full resolution.
    blocks: Vec<ResidualBlock>,
    judge: Sequential,
}

impl ResidualDiscriminator {
    /// For `channels`-colour images `image_size` square (4 times a power of
    /// two), `features` maps at 4x4 and 8x8, halved per doubling after.
    pub fn new(image_size: usize, channels: usize, features: usize, rng: &mut impl Rng) -> ResidualDiscriminator {
        let top = level_of(image_size).expect("the family checks the image size");
        let from_rgb = EqualizedConv2d::new(channels, width(features, top), 1, rng);
        let blocks = (1..=top)
            .rev()
            .map(|level| ResidualBlock::new(width(features, level), width(features, level - 1), rng))
            .collect();
        ResidualDiscriminator { from_rgb, blocks, judge: judge(width(features, 0), rng) }
    }

    pub fn blocks(&self) -> &[ResidualBlock] {
        &self.blocks
    }

    /// Scores [N] of images [N, C, S, S].
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let features = self.from_rgb.forward(x).leaky_relu(SLOPE);
        let features = self.blocks.iter().fold(features, |features, block| block.forward(&features));
        judged(&self.judge, &features)
    }
}

impl Module for ResidualDiscriminator {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        let mut children: Vec<(String, &dyn Module)> = vec![("from_rgb".into(), &self.from_rgb as &dyn Module)];
        children.extend(numbered("block", &self.blocks));
        children.push(("judge".into(), &self.judge));
        children
    }
}
