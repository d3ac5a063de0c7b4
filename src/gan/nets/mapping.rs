//! StyleGAN's mapping network (Karras, Laine and Aila, 2019): z -> w.
//!
//! The latent z is pixel-normed (divided by its root mean square, so only
//! its direction matters) and passed through a perceptron of equalized
//! dense layers, each followed by leaky ReLU (0.2), the last one too. Its
//! output w is what the synthesis network's styles are computed from.
//!
//! Why a mapping at all: z is drawn from a fixed Gaussian, so a generator fed
//! z directly must warp that sphere onto the data's factors of variation,
//! whatever their true proportions; a factor combination that is rare in the
//! data must still occupy its share of the sphere. The mapping network is
//! free to produce a w distribution of any shape, so W can stay closer to
//! linear in the factors ("less entangled", the paper's perceptual path
//! length and linear separability measure exactly this).
//!
//! Every layer learns 100 times slower than the rest of the generator (the
//! paper's learning-rate multiplier 0.01, built into `EqualizedLinear`).

use crate::nn::{EqualizedLinear, Layer, Module};
use crate::Tensor;
use rand::Rng;

/// The paper's learning-rate multiplier of the mapping layers.
pub const MAPPING_LR_MULTIPLIER: f32 = 0.01;
const SLOPE: f32 = 0.2;

pub struct MappingNetwork {
    layers: Vec<EqualizedLinear>,
}

impl MappingNetwork {
    /// `layers` dense layers (the paper: 8), all `width` wide: z and w both have `width` values.
    pub fn new(width: usize, layers: usize, rng: &mut impl Rng) -> MappingNetwork {
        assert!(layers > 0, "MappingNetwork: at least one layer, got {layers}");
        let layers = (0..layers)
            .map(|_| EqualizedLinear::with_lr_multiplier(width, width, MAPPING_LR_MULTIPLIER, rng))
            .collect();
        MappingNetwork { layers }
    }

    /// z [N, width] -> w [N, width].
    pub fn forward(&self, z: &Tensor) -> Tensor {
        self.layers.iter().fold(z.pixel_norm(), |x, layer| layer.forward(&x).leaky_relu(SLOPE))
    }
}

impl Module for MappingNetwork {
    fn children(&self) -> Vec<(String, &dyn Module)> {
        self.layers.iter().enumerate().map(|(i, layer)| (i.to_string(), layer as &dyn Module)).collect()
    }
}
