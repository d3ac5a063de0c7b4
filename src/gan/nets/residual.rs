//! StyleGAN2's residual discriminator (Karras et al., 2020, Figure 7c).
//!
//! A 1x1 fromRGB at the image's size, then per resolution a residual block
//! down to 4x4, then ProGAN's last block (`progressive::judge`: minibatch
//! standard deviation, a 3x3 convolution, two dense layers). A block:
//!
//! - main path: two 3x3 convolutions with leaky ReLU (0.2), then a 2x2
//!   average pool;
//! - skip path: the 2x2 average pool, then a 1x1 convolution to the new width;
//! - output (main + skip) / sqrt(2), which keeps the sum's variance that of
//!   one path when the two are independent.
//!
//! The skip connections give every resolution a short path to the score,
//! as the skip generator gives every resolution a short path to the image.
//! Every layer has an equalized learning rate (`EqualizedConv2d`); widths
//! follow ProGAN's (`progressive::width`). The official skip convolution has
//! no bias and no He gain; ours is the equalized layer (a bias starting at 0
//! and the sqrt(2 / fan_in) scale) like every other.

use super::progressive::{judge, judged, level_of, width};
use crate::nn::{numbered, EqualizedConv2d, Layer, Module, Sequential};
use crate::Tensor;
use rand::Rng;
use std::f32::consts::FRAC_1_SQRT_2;

const SLOPE: f32 = 0.2;

/// One residual block: [N, C, r, r] -> [N, O, r / 2, r / 2].
pub struct ResidualBlock {
    first: EqualizedConv2d,  // C -> C, 3x3
    second: EqualizedConv2d, // C -> O, 3x3
    skip: EqualizedConv2d,   // C -> O, 1x1
}

impl ResidualBlock {
    pub fn new(input: usize, output: usize, rng: &mut impl Rng) -> ResidualBlock {
        ResidualBlock {
            first: EqualizedConv2d::new(input, input, 3, rng),
            second: EqualizedConv2d::new(input, output, 3, rng),
            skip: EqualizedConv2d::new(input, output, 1, rng),
        }
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        let main = self.first.forward(x).leaky_relu(SLOPE);
        let main = self.second.forward(&main).leaky_relu(SLOPE).avg_pool2d(2, 2, 0);
        let skip = self.skip.forward(&x.avg_pool2d(2, 2, 0));
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
