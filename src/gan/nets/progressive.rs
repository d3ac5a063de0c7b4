//! ProGAN's growing networks (Karras et al., 2018). Both nets hold a block
//! for every resolution from 4x4 up to the data's size, but run only those up
//! to the current level (level 0: 4x4, level l: 4 * 2^l); a new level's
//! block fades in while the previous level's output path still runs beside
//! it, and the two are blended with weight alpha rising from 0 to 1.
//!
//! - G: the pixel-normed latent, an equalized dense layer to 4x4 maps and a
//!   3x3 convolution; per further level a nearest 2x upsampling and two 3x3
//!   convolutions; leaky ReLU (0.2) and pixel norm after every layer; a 1x1
//!   "toRGB" convolution per level turns features into an image (no tanh, as
//!   in the paper).
//! - D mirrors it: a 1x1 "fromRGB" per level; per level two 3x3 convolutions
//!   and a 2x2 average pool; at 4x4 the minibatch standard deviation (groups
//!   of 4), a 3x3 convolution, a dense layer and a dense layer to one score.
//!
//! Every layer has an equalized learning rate. Widths: `features` maps at
//! 4x4 and 8x8, halved per doubling after that (at least 8), so each level
//! costs about as much as the last, as the paper halves its widths at the
//! high resolutions.

use crate::gan::family::Sampler;
use crate::nn::{numbered, AvgPool2d, EqualizedConv2d, EqualizedLinear, Flatten, Layer, LeakyRelu, Module, PixelNorm};
use crate::nn::{Reshape, Sequential, Upsample};
use crate::{no_grad, Tensor};
use rand::Rng;

/// The largest group of the minibatch standard deviation (the official code's).
const STDDEV_GROUP: usize = 4;
const SLOPE: f32 = 0.2;

/// Where the growth stands: the resolution level (0: 4x4) and how far that
/// level's block has faded in (1: fully, the stabilising phase).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stage {
    pub level: usize,
    pub alpha: f32,
}

/// The side of the images at `level`: 4, 8, 16, ...
pub fn resolution(level: usize) -> usize {
    4 << level
}

/// The level whose images are `size` x `size`, or None when `size` is not 4 times a power of two.
pub fn level_of(size: usize) -> Option<usize> {
    (size >= 4 && size.is_power_of_two()).then(|| (size / 4).trailing_zeros() as usize)
}

/// Feature maps at `level` for nets `features` wide at their coarsest levels.
pub fn width(features: usize, level: usize) -> usize {
    (features >> level.saturating_sub(1)).max(8).min(features)
}

// ANCHOR: fade
/// The fade-in's blend old * (1 - alpha) + new * alpha: exactly `old` at
/// alpha 0 and exactly `new` at alpha 1.
pub fn fade(old: &Tensor, new: &Tensor, alpha: f32) -> Tensor {
    old.mul_scalar(1.0 - alpha).add(&new.mul_scalar(alpha))
}
// ANCHOR_END: fade

/// Real images [N, C, S, S] as the nets see them at `stage`: average-pooled
/// down to its resolution and, during a fade, blended with their own coarser
/// version (pooled once more and upsampled), as the nets' outputs are.
pub fn real_at(x: &Tensor, stage: Stage) -> Tensor {
    let factor = x.shape()[2] / resolution(stage.level);
    let x = if factor > 1 { x.avg_pool2d(factor, factor, 0) } else { x.clone() };
    if stage.level == 0 || stage.alpha >= 1.0 {
        return x;
    }
    fade(&x.avg_pool2d(2, 2, 0).upsample_nearest2d(2), &x, stage.alpha)
}

/// 3x3 convolution, leaky ReLU, and pixel norm in the generator.
fn conv_layers(net: Sequential, input: usize, output: usize, pixel_norm: bool, rng: &mut impl Rng) -> Sequential {
    let net = net.push(EqualizedConv2d::new(input, output, 3, rng)).push(LeakyRelu(SLOPE));
    if pixel_norm {
        net.push(PixelNorm)
    } else {
        net
    }
}

pub struct ProgressiveGenerator {
    /// blocks[l] turns level l - 1's features into level l's (blocks[0]: the latent into 4x4 maps).
    blocks: Vec<Sequential>,
    to_rgb: Vec<EqualizedConv2d>,
    /// The stage `generate` draws at, [level, alpha]: a buffer, so the
    /// moving average and checkpoints carry it with the weights.
    stage: Tensor,
    latent: usize,
    image_size: usize,
}

impl ProgressiveGenerator {
    /// Up to `image_size` (4 times a power of two) with `channels` colours;
    /// the latent has as many values as the 4x4 maps have channels (the paper's choice).
    pub fn new(image_size: usize, channels: usize, features: usize, rng: &mut impl Rng) -> ProgressiveGenerator {
        let top = level_of(image_size).expect("the family checks the image size");
        let latent = width(features, 0);
        let first = Sequential::new()
            .push(EqualizedLinear::new(latent, latent * 16, rng))
            .push(Reshape::new(&[latent, 4, 4]))
            .push(LeakyRelu(SLOPE))
            .push(PixelNorm);
        let mut blocks = vec![conv_layers(first, latent, latent, true, rng)];
        for level in 1..=top {
            let (input, output) = (width(features, level - 1), width(features, level));
            let block = conv_layers(Sequential::new().push(Upsample::nearest(2)), input, output, true, rng);
            blocks.push(conv_layers(block, output, output, true, rng));
        }
        let to_rgb = (0..=top).map(|level| EqualizedConv2d::new(width(features, level), channels, 1, rng)).collect();
        let stage = Tensor::from_vec(vec![top as f32, 1.0], &[2]);
        ProgressiveGenerator { blocks, to_rgb, stage, latent, image_size }
    }

    /// The highest level: the data's resolution.
    pub fn top_level(&self) -> usize {
        self.blocks.len() - 1
    }

    // ANCHOR: generator_forward
    /// Images [N, C, r, r] at the stage's resolution r from latents [N, latent].
    pub fn forward(&self, z: &Tensor, stage: Stage) -> Tensor {
        let mut features = self.blocks[0].forward(&z.pixel_norm());
        for block in &self.blocks[1..stage.level.max(1)] {
            features = block.forward(&features);
        }
        if stage.level == 0 {
            return self.to_rgb[0].forward(&features);
        }
        let new = self.to_rgb[stage.level].forward(&self.blocks[stage.level].forward(&features));
        if stage.alpha >= 1.0 {
            return new;
        }
        let old = self.to_rgb[stage.level - 1].forward(&features).upsample_nearest2d(2);
        fade(&old, &new, stage.alpha)
    }
    // ANCHOR_END: generator_forward

    /// The stage `generate` draws at.
    pub fn stage(&self) -> Stage {
        let values = self.stage.to_vec();
        Stage { level: values[0] as usize, alpha: values[1] }
    }

    pub fn set_stage(&self, stage: Stage) {
        no_grad(|| self.stage.assign_(&Tensor::from_vec(vec![stage.level as f32, stage.alpha], &[2])));
    }
}

impl Module for ProgressiveGenerator {
    fn own_buffers(&self) -> Vec<(String, Tensor)> {
        vec![("stage".to_string(), self.stage.clone())]
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        let blocks = numbered("block", &self.blocks);
        let to_rgb = numbered("to_rgb", &self.to_rgb);
        blocks.chain(to_rgb).collect()
    }
}

impl Sampler for ProgressiveGenerator {
    fn generator(&self) -> &dyn Module {
        self
    }

    fn latent_dim(&self) -> usize {
        self.latent
    }

    /// Images at the data's full size: the current stage's output, upsampled
    /// (nearest) when the nets have not grown that far yet.
    fn generate(&self, z: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        let stage = self.stage();
        let images = self.forward(z, stage);
        let factor = self.image_size / resolution(stage.level);
        if factor > 1 {
            images.upsample_nearest2d(factor)
        } else {
            images
        }
    }
}

/// The discriminator's last block at 4x4 (ProGAN's, and StyleGAN2's after
/// its residual blocks): over `features` maps and the minibatch standard
/// deviation's channel beside them, a 3x3 convolution, a dense layer and a
/// dense layer to one score.
pub fn judge(features: usize, rng: &mut impl Rng) -> Sequential {
    conv_layers(Sequential::new(), features + 1, features, false, rng)
        .push(Flatten)
        .push(EqualizedLinear::new(features * 16, features, rng))
        .push(LeakyRelu(SLOPE))
        .push(EqualizedLinear::new(features, 1, rng))
}

/// Scores [N] from 4x4 features [N, C, 4, 4]: the minibatch standard
/// deviation appended (groups of up to 4 that divide N), then `judge`.
pub fn judged(judge: &Sequential, features: &Tensor) -> Tensor {
    let n = features.shape()[0];
    let group = (1..=STDDEV_GROUP.min(n)).rev().find(|g| n.is_multiple_of(*g)).unwrap_or(1);
    judge.forward(&features.minibatch_stddev_groups(group)).reshape(&[n])
}

pub struct ProgressiveDiscriminator {
    from_rgb: Vec<Sequential>,
    /// blocks[l] turns level l's features into level l - 1's (blocks[0]: 4x4 features into the score).
    blocks: Vec<Sequential>,
}

impl ProgressiveDiscriminator {
    pub fn new(image_size: usize, channels: usize, features: usize, rng: &mut impl Rng) -> ProgressiveDiscriminator {
        let top = level_of(image_size).expect("the family checks the image size");
        let from_rgb = (0..=top)
            .map(|level| {
                Sequential::new()
                    .push(EqualizedConv2d::new(channels, width(features, level), 1, rng))
                    .push(LeakyRelu(SLOPE))
            })
            .collect();
        let mut blocks = vec![judge(width(features, 0), rng)];
        for level in 1..=top {
            let (input, output) = (width(features, level), width(features, level - 1));
            let block = conv_layers(Sequential::new(), input, input, false, rng);
            blocks.push(conv_layers(block, input, output, false, rng).push(AvgPool2d::new(2, 2, 0)));
        }
        ProgressiveDiscriminator { from_rgb, blocks }
    }

    // ANCHOR: discriminator_forward
    /// Scores [N] of images [N, C, r, r] at the stage's resolution r.
    pub fn forward(&self, x: &Tensor, stage: Stage) -> Tensor {
        let level = stage.level;
        let mut features = self.from_rgb[level].forward(x);
        if level > 0 {
            features = self.blocks[level].forward(&features);
            if stage.alpha < 1.0 {
                let old = self.from_rgb[level - 1].forward(&x.avg_pool2d(2, 2, 0));
                features = fade(&old, &features, stage.alpha);
            }
        }
        for block in self.blocks[1..level.max(1)].iter().rev() {
            features = block.forward(&features);
        }
        judged(&self.blocks[0], &features)
    }
    // ANCHOR_END: discriminator_forward
}

impl Module for ProgressiveDiscriminator {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        let from_rgb = numbered("from_rgb", &self.from_rgb);
        let blocks = numbered("block", &self.blocks);
        from_rgb.chain(blocks).collect()
    }
}
