//! pix2pix's U-Net generator (Isola et al. 2017, after Ronneberger et al.
//! 2015): an encoder that halves the picture down to 1x1 and a decoder that
//! doubles it back, with a skip connection from each encoder level to the
//! decoder level of the same size. Low-level structure (edges, where the
//! outline is) crosses the net through the skips instead of squeezing
//! through the 1x1 bottleneck.
//!
//! Encoder: convolutions 4x4, stride 2, each after a leaky ReLU (0.2) but the
//! first, and batch norm after each but the first and the innermost, with
//! widths base, 2 base, 4 base, 8 base, 8 base, ... (the paper's
//! C64-C128-C256-C512-C512-...). Decoder: transposed convolutions 4x4, stride
//! 2, each after a ReLU, batch norm after each but the last, whose output
//! goes through tanh; from the second decoder block on, the input is the
//! previous block's output concatenated with the encoder's maps of that size.
//!
//! Noise: pix2pix has no z (the paper found G learned to ignore it); its only
//! noise is dropout (50%) after the first three decoder blocks, kept on at
//! test time as in the paper. So dropout here is the op, not the `Dropout`
//! layer that evaluation mode turns off. Training draws each forward's masks
//! from the net's seed stream (saved in checkpoints); pictures and
//! translations use `TEST_NOISE_SEED`, so they never move training's stream
//! and the same input gives the same picture at every step.

use super::Translator;
use crate::gan::family::Sampler;
use crate::gan::models::dcgan::{batch_norm, conv, conv_t};
use crate::nn::{numbered, Layer, LeakyRelu, Module, Relu, SeedStream, Sequential, Tanh};
use crate::Tensor;
use rand::Rng;

/// Probability of dropping a unit in the noisy decoder blocks (the paper's 50%).
pub const DROPOUT: f32 = 0.5;
/// Decoder blocks with dropout, from the innermost (the paper's three CD512).
const NOISY_BLOCKS: usize = 3;
/// The dropout seed of pictures and of `ganforge sample`.
pub const TEST_NOISE_SEED: u64 = 0;

pub struct UNet {
    /// Outermost first: block i maps size / 2^i to size / 2^(i+1).
    encoder: Vec<Sequential>,
    /// Innermost first: block j maps 2^j x 2^j to 2^(j+1) x 2^(j+1).
    decoder: Vec<Sequential>,
    noise: SeedStream,
    /// The pictures it translates, [C, H, W].
    input_shape: [usize; 3],
}

/// The encoder's width at `level` (0: the outermost): base * 2^level, at most 8 base.
fn width(base: usize, level: usize) -> usize {
    base << level.min(3)
}

/// The number of halvings from `height` x `width` down to 1x1, or why there is none.
///
/// Sizes that are not powers of two are refused rather than rounded: a 4x4
/// stride-2 convolution maps an odd side s to floor(s / 2), and the
/// transposed convolution going back gives an even side, so the decoder's
/// maps would miss a row and a column of the encoder's maps they must be
/// concatenated with.
pub fn depth(height: usize, width: usize) -> Result<usize, String> {
    if height != width || height < 4 || !height.is_power_of_two() {
        return Err(format!(
            "the U-Net halves its input down to 1x1 and doubles it back with skip connections between equal \
             sizes, so it needs square pictures whose side is a power of two, 4 or more (4, 8, ..., 32, 64, \
             256); got {height}x{width}"
        ));
    }
    Ok(height.trailing_zeros() as usize)
}

impl UNet {
    /// A U-Net from pictures [channels, size, size] to pictures of the same
    /// shape, with `base` maps in its outermost level; dropout masks follow
    /// from `noise_seed`.
    pub fn new(input_shape: [usize; 3], base: usize, noise_seed: u64, rng: &mut impl Rng) -> Result<UNet, String> {
        let [channels, height, side] = input_shape;
        let levels = depth(height, side)?;
        let innermost = levels - 1;
        let mut encoder = Vec::with_capacity(levels);
        for level in 0..levels {
            let input = if level == 0 { channels } else { width(base, level - 1) };
            let mut block = Sequential::new();
            if level > 0 {
                block = block.push(LeakyRelu(0.2));
            }
            block = block.push(conv(input, width(base, level), 4, 2, 1, rng));
            if level > 0 && level < innermost {
                block = block.push(batch_norm(width(base, level), rng));
            }
            encoder.push(block);
        }
        let mut decoder = Vec::with_capacity(levels);
        for block_index in 0..levels {
            // The encoder level whose size this block's input has.
            let level = innermost - block_index;
            let input = if block_index == 0 { width(base, level) } else { 2 * width(base, level) };
            let mut block = Sequential::new().push(Relu);
            if level == 0 {
                block = block.push(conv_t(input, channels, 4, 2, 1, rng)).push(Tanh);
            } else {
                let output = width(base, level - 1);
                block = block.push(conv_t(input, output, 4, 2, 1, rng)).push(batch_norm(output, rng));
            }
            decoder.push(block);
        }
        Ok(UNet { encoder, decoder, noise: SeedStream::new(noise_seed), input_shape })
    }

    /// Levels of the encoder (and blocks of the decoder): log2 of the side.
    pub fn levels(&self) -> usize {
        self.encoder.len()
    }

    /// The pictures it translates, [C, H, W].
    pub fn input_shape(&self) -> [usize; 3] {
        self.input_shape
    }

    /// G(x) with the dropout masks of `noise_seed` (one mask per noisy block,
    /// from seeds noise_seed, noise_seed + 1, ...).
    pub fn translate(&self, x: &Tensor, noise_seed: u64) -> Tensor {
        let shape = &x.shape()[1..];
        assert!(
            shape == self.input_shape,
            "UNet: input [N, {:?}] given to a net built for [N, {:?}]",
            shape,
            self.input_shape
        );
        self.decode(&self.encode(x), noise_seed)
    }

    /// Every encoder level's maps, outermost first (the last is 1x1).
    pub fn encode(&self, x: &Tensor) -> Vec<Tensor> {
        let mut maps: Vec<Tensor> = Vec::with_capacity(self.levels());
        for block in &self.encoder {
            let next = block.forward(maps.last().unwrap_or(x));
            maps.push(next);
        }
        maps
    }

    // ANCHOR: unet_decode
    /// The decoder on the encoder's maps: each block after the first takes
    /// the previous output joined (along channels) with the encoder's maps of
    /// its size.
    fn decode(&self, skips: &[Tensor], noise_seed: u64) -> Tensor {
        let innermost = skips.len() - 1;
        let mut h = skips[innermost].clone();
        for (index, block) in self.decoder.iter().enumerate() {
            let input = if index == 0 { h } else { Tensor::concat(&[&h, &skips[innermost - index]], 1) };
            h = block.forward(&input);
            if index < NOISY_BLOCKS.min(innermost) {
                h = h.dropout(DROPOUT, noise_seed.wrapping_add(index as u64), true);
            }
        }
        h
    }
    // ANCHOR_END: unet_decode
}

impl Module for UNet {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        let encoder = numbered("down", &self.encoder);
        let decoder = numbered("up", &self.decoder);
        encoder.chain(decoder).collect()
    }

    fn own_seed_streams(&self) -> Vec<(String, &SeedStream)> {
        vec![("noise".to_string(), &self.noise)]
    }
}

/// pix2pix's generator seen as a `Sampler`: its "z" is the picture to
/// translate, and it has no latent.
impl Sampler for UNet {
    fn generator(&self) -> &dyn Module {
        self
    }

    fn latent_dim(&self) -> usize {
        0
    }

    fn image_input(&self) -> Option<[usize; 3]> {
        Some(self.input_shape)
    }

    /// Pictures [N, C, H, W] to their translations, with the test noise.
    fn generate(&self, x: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.translate(x, TEST_NOISE_SEED)
    }
}

impl Translator for UNet {
    /// G(x) with the next dropout masks of the net's seed stream.
    fn forward(&self, x: &Tensor) -> Tensor {
        self.translate(x, self.noise.draw())
    }
}
