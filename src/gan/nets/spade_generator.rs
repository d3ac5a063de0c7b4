//! SPADE's generator (Park et al. 2019, appendix A), sized for small
//! pictures: a latent z through a linear layer to a 4x4 map, then one SPADE
//! residual block per resolution with nearest upsampling between them, up to
//! the picture's side, then a 3x3 convolution to RGB and tanh. Every block
//! sees the label map, resized to its own resolution by its SPADE layers;
//! z chooses what the label map does not fix (the colours).
//!
//! The paper can also start from z given by an encoder of a style picture
//! (its VAE variant); this one draws z from N(0, I) only, without the encoder.
//!
//! A SPADE residual block (the paper's Figure 4), from `fin` to `fout` maps:
//!
//! ```text
//! dx   = conv3x3(lrelu(SPADE(x, m)))            fin -> min(fin, fout)
//! dx   = conv3x3(lrelu(SPADE(dx, m)))           -> fout
//! skip = x, or conv1x1(SPADE(x, m)) when fin != fout
//! out  = skip + dx
//! ```
//!
//! with leaky ReLU (0.2) and spectral norm on the block's convolutions, as in
//! the paper's code. Widths: `base` maps at the picture's side, doubled per
//! halving of the side, at most 8 `base`.

use crate::data::avatars::{one_hot, CLASSES};
use crate::gan::family::Sampler;
use crate::nn::{Conv2d, Layer, Linear, Module, Spade, SpectralNorm};
use crate::ops::conv::Conv2dOptions;
use crate::Tensor;
use rand::Rng;

/// Values of z.
pub const LATENT: usize = 64;
/// The side of the first map.
const FIRST_SIDE: usize = 4;
/// The seed of the latents `Sampler::generate` translates with.
const SAMPLE_SEED: u64 = 0x5BADE;

/// A spectrally normalised `kernel` x `kernel` convolution keeping the size (3x3 or 1x1).
fn conv(from: usize, to: usize, kernel: usize, rng: &mut impl Rng) -> SpectralNorm<Conv2d> {
    let options = Conv2dOptions { padding: (kernel / 2, kernel / 2), ..Conv2dOptions::default() };
    SpectralNorm::new(Conv2d::with_options(from, to, (kernel, kernel), options, rng), rng)
}

/// One SPADE residual block (see the module doc).
pub struct SpadeResBlock {
    norm_0: Spade,
    conv_0: SpectralNorm<Conv2d>,
    norm_1: Spade,
    conv_1: SpectralNorm<Conv2d>,
    /// The learned shortcut, where the widths differ.
    shortcut: Option<(Spade, SpectralNorm<Conv2d>)>,
}

impl SpadeResBlock {
    pub fn new(fin: usize, fout: usize, classes: usize, hidden: usize, rng: &mut impl Rng) -> SpadeResBlock {
        let middle = fin.min(fout);
        let shortcut = (fin != fout).then(|| (Spade::new(fin, classes, hidden, rng), conv(fin, fout, 1, rng)));
        SpadeResBlock {
            norm_0: Spade::new(fin, classes, hidden, rng),
            conv_0: conv(fin, middle, 3, rng),
            norm_1: Spade::new(middle, classes, hidden, rng),
            conv_1: conv(middle, fout, 3, rng),
            shortcut,
        }
    }

    /// x [N, fin, H, W], label maps [N, K, H0, W0] -> [N, fout, H, W].
    pub fn forward(&self, x: &Tensor, labels: &Tensor) -> Tensor {
        let dx = self.conv_0.forward(&self.norm_0.forward(x, labels).leaky_relu(0.2));
        let dx = self.conv_1.forward(&self.norm_1.forward(&dx, labels).leaky_relu(0.2));
        let skip = match &self.shortcut {
            Some((norm, conv)) => conv.forward(&norm.forward(x, labels)),
            None => x.clone(),
        };
        skip.add(&dx)
    }
}

impl Module for SpadeResBlock {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        let mut children: Vec<(String, &dyn Module)> = vec![
            ("norm_0".into(), &self.norm_0),
            ("conv_0".into(), &self.conv_0),
            ("norm_1".into(), &self.norm_1),
            ("conv_1".into(), &self.conv_1),
        ];
        if let Some((norm, conv)) = &self.shortcut {
            children.push(("norm_s".into(), norm));
            children.push(("conv_s".into(), conv));
        }
        children
    }
}

pub struct SpadeGenerator {
    fc: Linear,
    blocks: Vec<SpadeResBlock>,
    to_image: Conv2d,
    first_width: usize,
    side: usize,
}

impl SpadeGenerator {
    /// A generator of RGB pictures `side` x `side` (a power of two, 32 or
    /// more, so the multi-scale discriminator has room) from label maps of
    /// the avatar classes, `base` maps at full size, SPADE layers with
    /// `base` hidden maps (the paper: 128 with base 64; their convolutions
    /// at full size are most of the generator's work).
    pub fn new(side: usize, base: usize, rng: &mut impl Rng) -> Result<SpadeGenerator, String> {
        if !side.is_power_of_two() || side < 32 {
            return Err(format!(
                "SPADE grows its pictures from 4x4 by doublings, and its discriminator also judges them at half \
                 size: it needs square pictures whose side is a power of two, 32 or more; got {side}x{side}"
            ));
        }
        let levels = (side / FIRST_SIDE).trailing_zeros() as usize + 1; // 4, 8, ..., side
        let width = |level: usize| base << (levels - 1 - level).min(3);
        let hidden = base;
        let blocks = (0..levels)
            .map(|l| SpadeResBlock::new(width(l.saturating_sub(1)), width(l), CLASSES, hidden, rng))
            .collect();
        Ok(SpadeGenerator {
            fc: Linear::new(LATENT, width(0) * FIRST_SIDE * FIRST_SIDE, rng),
            blocks,
            to_image: Conv2d::new(width(levels - 1), 3, 3, 1, 1, rng),
            first_width: width(0),
            side,
        })
    }

    /// Latents [N, LATENT] and one-hot label maps [N, CLASSES, side, side]
    /// -> pictures [N, 3, side, side] in [-1, 1].
    pub fn forward(&self, z: &Tensor, labels: &Tensor) -> Tensor {
        let n = z.shape()[0];
        assert!(
            labels.shape() == [n, CLASSES, self.side, self.side],
            "SpadeGenerator: label maps must be [{n}, {CLASSES}, {}, {}], got {:?}",
            self.side,
            self.side,
            labels.shape()
        );
        let mut x = self.fc.forward(z).reshape(&[n, self.first_width, FIRST_SIDE, FIRST_SIDE]);
        for (level, block) in self.blocks.iter().enumerate() {
            if level > 0 {
                x = x.upsample_nearest2d(2);
            }
            x = block.forward(&x, labels);
        }
        self.to_image.forward(&x.leaky_relu(0.2)).tanh()
    }

    /// The same latents as `generate` uses for `n` pictures: N(0, I) from a fixed seed.
    pub fn sample_latents(n: usize) -> Tensor {
        Tensor::randn(&[n, LATENT], SAMPLE_SEED)
    }
}

impl Module for SpadeGenerator {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        let mut children: Vec<(String, &dyn Module)> = vec![("fc".into(), &self.fc)];
        for (i, block) in self.blocks.iter().enumerate() {
            children.push((format!("block_{i}"), block));
        }
        children.push(("conv_img".into(), &self.to_image));
        children
    }
}

impl Sampler for SpadeGenerator {
    fn generator(&self) -> &dyn Module {
        self
    }

    fn latent_dim(&self) -> usize {
        0
    }

    /// It takes label maps as palette pictures (`data/avatars.rs`).
    fn image_input(&self) -> Option<[usize; 3]> {
        Some([3, self.side, self.side])
    }

    /// Palette label pictures [N, 3, side, side] to avatars, at the latents
    /// of `sample_latents`.
    fn generate(&self, label_pictures: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        let z = SpadeGenerator::sample_latents(label_pictures.shape()[0]);
        self.forward(&z, &one_hot(label_pictures))
    }
}
