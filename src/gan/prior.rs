//! The latent prior p(z) a generator maps to data: N(0, I), the common
//! choice, or U(-1, 1) per coordinate, as in Goodfellow et al. (2014) and
//! the DCGAN paper.

use crate::Tensor;
use rand::Rng;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prior {
    Normal,
    Uniform,
}

impl Prior {
    /// `normal` or `uniform` (the config's `prior`).
    pub fn parse(name: &str) -> Result<Prior, String> {
        match name {
            "normal" => Ok(Prior::Normal),
            "uniform" => Ok(Prior::Uniform),
            _ => Err(format!("unknown prior {name:?}: use normal or uniform")),
        }
    }

    /// n latent vectors [n, dim].
    pub fn sample(&self, n: usize, dim: usize, rng: &mut impl Rng) -> Tensor {
        match self {
            Prior::Normal => Tensor::randn_from(&[n, dim], rng),
            // U(0, 1) stretched to U(-1, 1).
            Prior::Uniform => Tensor::rand_from(&[n, dim], rng).mul_scalar(2.0).sub_scalar(1.0),
        }
    }
}
