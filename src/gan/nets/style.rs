//! StyleGAN's generator (Karras, Laine and Aila, 2019): the mapping network
//! z -> w (`mapping.rs`) feeding one w per layer of a synthesis network, and
//! the tracked mean of w that the truncation trick pulls towards. The
//! synthesis network is StyleGAN's AdaIN network (`synthesis.rs`, the
//! default) or StyleGAN2's skip network of modulated convolutions
//! (`skip.rs`): both are [`Synthesis`], so mapping, mixing, truncation and
//! w_avg are this one file's for both.
//!
//! - Style mixing: layers before a crossover take w1, the rest w2
//!   ([`mixed`]), so no layer can count on its neighbours' styles agreeing
//!   with its own (training mixes 90% of batches, the paper's rate).
//! - Truncation: w' = w_avg + psi (w - w_avg). psi = 1 is the generator as
//!   trained, psi = 0 the "average" image for every z, negative psi the
//!   "opposite" of each image. The paper truncates only the coarse layers;
//!   here every layer is (as in StyleGAN2).
//! - w_avg: a moving average (decay 0.995, the official code's) of the batch
//!   mean of w, updated at every generator step; a buffer, so checkpoints
//!   and the trainer's EMA carry it.

use super::mapping::MappingNetwork;
use super::synthesis::SynthesisNetwork;
use crate::gan::family::Sampler;
use crate::nn::Module;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// A synthesis network the style generator can drive: one w per style
/// layer to images. Both kinds have two style layers per resolution from
/// 4x4 up, layer i drawing at side `SynthesisNetwork::layer_resolution(i)`,
/// and take noise images [N, 1, r, r] per layer in that order.
pub trait Synthesis: Module + Sized {
    /// The network for `shape`; the noise of layer i follows from the seed `noise_seed + i`.
    fn new(shape: StyleShape, noise_seed: u64, rng: &mut StdRng) -> Self;
    /// One w [N, W] per layer to images [N, C, S, S]; `noise` gives every
    /// layer's noise images (else each layer draws its own).
    fn forward(&self, ws: &[Tensor], noise: Option<&[Tensor]>) -> Tensor;
    /// The number of style layers (of w's a forward pass takes).
    fn layer_count(&self) -> usize;
}

/// Decay of the moving average of w (the official code's `dlatent_avg_beta`).
pub const W_AVG_DECAY: f32 = 0.995;

/// The sizes of a style generator.
#[derive(Clone, Copy, Debug)]
pub struct StyleShape {
    /// Side of the square images (4 times a power of two) and their colours.
    pub image_size: usize,
    pub channels: usize,
    /// Feature maps at 4x4 and 8x8, halved per doubling after.
    pub features: usize,
    /// Values of z and of w, and width of the mapping layers.
    pub width: usize,
    pub mapping_layers: usize,
}

pub struct StyleGenerator<S: Synthesis = SynthesisNetwork> {
    mapping: MappingNetwork,
    synthesis: S,
    w_avg: Tensor, // [width], a buffer; starts at 0
    width: usize,
}

impl<S: Synthesis> StyleGenerator<S> {
    /// Weights from `seed`; the noise layers' seed streams from it too.
    pub fn new(shape: StyleShape, seed: u64) -> StyleGenerator<S> {
        let rng = &mut StdRng::seed_from_u64(seed);
        let mapping = MappingNetwork::new(shape.width, shape.mapping_layers, rng);
        let synthesis = S::new(shape, seed ^ 0x4015E, rng);
        StyleGenerator { mapping, synthesis, w_avg: Tensor::zeros(&[shape.width]), width: shape.width }
    }

    /// z [N, width] -> w [N, width].
    pub fn map(&self, z: &Tensor) -> Tensor {
        self.mapping.forward(z)
    }

    /// One w [N, width] per style layer (see [`repeated`], [`mixed`]) to
    /// images; `noise` as in `SynthesisNetwork::forward`.
    pub fn synthesize(&self, ws: &[Tensor], noise: Option<&[Tensor]>) -> Tensor {
        self.synthesis.forward(ws, noise)
    }

    pub fn synthesis(&self) -> &S {
        &self.synthesis
    }

    /// The number of style layers (of w's a forward pass takes).
    pub fn layer_count(&self) -> usize {
        self.synthesis.layer_count()
    }

    /// The tracked mean of w [width].
    pub fn w_avg(&self) -> &Tensor {
        &self.w_avg
    }

    /// w [N, width] pulled towards the mean w: w_avg + psi (w - w_avg).
    pub fn truncate(&self, w: &Tensor, psi: f32) -> Tensor {
        let w_avg = self.w_avg.reshape(&[1, self.width]);
        w_avg.add(&w.sub(&w_avg).mul_scalar(psi))
    }

    /// One moving-average step of w_avg towards the batch mean of w [N, width].
    pub fn track_average(&self, w: &Tensor) {
        no_grad(|| self.w_avg.lerp_(&w.detach().mean(&[0], false), 1.0 - W_AVG_DECAY));
    }

    /// Images of latents z [N, width] with truncation psi (1: none).
    pub fn generate_truncated(&self, z: &Tensor, psi: f32) -> Tensor {
        let w = self.truncate(&self.map(z), psi);
        self.synthesize(&repeated(&w, self.layer_count()), None)
    }
}

/// The same w for every one of `layers` layers.
pub fn repeated(w: &Tensor, layers: usize) -> Vec<Tensor> {
    vec![w.clone(); layers]
}

// ANCHOR: mixing
/// Style mixing: w1 for the layers before `crossover`, w2 from it on.
pub fn mixed(w1: &Tensor, w2: &Tensor, crossover: usize, layers: usize) -> Vec<Tensor> {
    (0..layers).map(|i| if i < crossover { w1.clone() } else { w2.clone() }).collect()
}
// ANCHOR_END: mixing

impl<S: Synthesis> Module for StyleGenerator<S> {
    fn own_buffers(&self) -> Vec<(String, Tensor)> {
        vec![("w_avg".into(), self.w_avg.clone())]
    }

    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![("mapping".into(), &self.mapping as &dyn Module), ("synthesis".into(), &self.synthesis)]
    }
}

impl<S: Synthesis> Sampler for StyleGenerator<S> {
    fn generator(&self) -> &dyn Module {
        self
    }

    fn latent_dim(&self) -> usize {
        self.width
    }

    /// Untruncated images of latents z [N, width], fresh noise.
    fn generate(&self, z: &Tensor, _labels: Option<&[usize]>) -> Tensor {
        self.generate_truncated(z, 1.0)
    }
}
