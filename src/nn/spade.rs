//! SPADE, spatially-adaptive normalisation (Park, Liu, Wang and Zhu 2019):
//! a normalisation whose scale and shift vary from pixel to pixel, computed
//! from a segmentation map.
//!
//! Why: a generator fed a label map through ordinary layers loses it. Batch
//! or instance norm subtracts each channel's mean, so a map that is one class
//! over a region (or everywhere) comes out of the normalisation as zeros: the
//! label is "washed away" (the paper's section 3). SPADE hands the label map
//! to every normalisation instead:
//!
//! ```text
//! out = norm(x) * (1 + gamma(m)) + beta(m)
//! ```
//!
//! where norm is batch norm without a learned affine (the paper's choice:
//! synchronised batch norm, which on one device is plain batch norm), and
//! gamma(m), beta(m) [N, C, H, W] come from the label map m [N, K, H0, W0]
//! (one channel per class) resized by nearest neighbour to x's H x W, then a
//! shared 3x3 convolution with a ReLU and two 3x3 convolutions, one for each.
//! The `1 +` makes a fresh layer (gamma near 0) start near plain normalisation.

use super::{BatchNorm, Conv2d, Layer, Module};
use crate::Tensor;
use rand::Rng;

pub struct Spade {
    norm: BatchNorm,
    shared: Conv2d, // [hidden, K, 3, 3]
    gamma: Conv2d,  // [C, hidden, 3, 3]
    beta: Conv2d,   // [C, hidden, 3, 3]
    channels: usize,
    classes: usize,
}

impl Spade {
    /// A SPADE layer over `channels` maps, modulated by label maps of
    /// `classes` channels through `hidden` maps (the paper: 128).
    pub fn new(channels: usize, classes: usize, hidden: usize, rng: &mut impl Rng) -> Spade {
        Spade {
            norm: BatchNorm::without_affine(channels),
            shared: Conv2d::new(classes, hidden, 3, 1, 1, rng),
            gamma: Conv2d::new(hidden, channels, 3, 1, 1, rng),
            beta: Conv2d::new(hidden, channels, 3, 1, 1, rng),
            channels,
            classes,
        }
    }

    // ANCHOR: spade_forward
    /// x [N, C, H, W] and label maps [N, K, H0, W0] (H0, W0 multiples of H,
    /// W) -> [N, C, H, W].
    pub fn forward(&self, x: &Tensor, labels: &Tensor) -> Tensor {
        assert!(
            x.rank() == 4 && x.shape()[1] == self.channels,
            "Spade: input must be [N, {}, H, W], got {:?}",
            self.channels,
            x.shape()
        );
        let (gamma, beta) = self.modulation(labels, [x.shape()[2], x.shape()[3]]);
        self.norm.forward(x).mul(&gamma.add_scalar(1.0)).add(&beta)
    }
    // ANCHOR_END: spade_forward

    /// gamma and beta [N, C, height, width] of label maps [N, K, H0, W0].
    pub fn modulation(&self, labels: &Tensor, [height, width]: [usize; 2]) -> (Tensor, Tensor) {
        assert!(
            labels.rank() == 4 && labels.shape()[1] == self.classes,
            "Spade: label maps must be [N, {}, H, W], got {:?}",
            self.classes,
            labels.shape()
        );
        let hidden = self.shared.forward(&nearest_downsample(labels, [height, width])).relu();
        (self.gamma.forward(&hidden), self.beta.forward(&hidden))
    }

    /// The parameter-free normalisation, alone.
    pub fn norm(&self) -> &BatchNorm {
        &self.norm
    }
}

impl Module for Spade {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![
            ("norm".to_string(), &self.norm),
            ("mlp_shared".to_string(), &self.shared),
            ("mlp_gamma".to_string(), &self.gamma),
            ("mlp_beta".to_string(), &self.beta),
        ]
    }
}

// ANCHOR: nearest_downsample
/// Maps [N, K, H0, W0] resized to [N, K, height, width] by nearest neighbour,
/// where H0 = f * height and W0 = g * width: output pixel (i, j) is input
/// pixel (f i, g j), the top-left of its f x g block (PyTorch's
/// `interpolate(mode="nearest")`). As shapes: split each side into
/// (blocks, offset) and keep offset 0, one copy kernel.
pub fn nearest_downsample(maps: &Tensor, [height, width]: [usize; 2]) -> Tensor {
    let &[n, k, tall, wide] = maps.shape() else {
        panic!("nearest_downsample: maps must be [N, K, H, W], got {:?}", maps.shape())
    };
    assert!(
        height > 0 && width > 0 && tall.is_multiple_of(height) && wide.is_multiple_of(width),
        "nearest_downsample: {tall}x{wide} maps do not shrink to {height}x{width} by whole factors"
    );
    let (f, g) = (tall / height, wide / width);
    if (f, g) == (1, 1) {
        return maps.clone();
    }
    maps.reshape(&[n, k, height, f, width, g])
        .slice(&[(0, n), (0, k), (0, height), (0, 1), (0, width), (0, 1)])
        .reshape(&[n, k, height, width])
}
// ANCHOR_END: nearest_downsample
