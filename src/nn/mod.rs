//! Neural-network building blocks: the `Module` trait, layers, initialisers.
//!
//! Layers own their parameters (leaf tensors that require gradients); a model
//! is a module whose children are layers. `Layer::forward` builds the graph
//! that `backward()` differentiates; the optimisers in `crate::optim` then
//! update the parameters in place.

mod activation;
mod batch_norm;
mod conv;
mod embedding;
mod equalized;
pub mod init;
mod linear;
mod module;
mod reshape;
mod sequential;
mod spectral_norm;

pub use activation::{LeakyRelu, Relu, Sigmoid, Tanh};
pub use batch_norm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv::{Conv2d, ConvTranspose2d};
pub use embedding::Embedding;
pub use equalized::EqualizedLinear;
pub use linear::{linear, Linear};
pub use module::{Layer, Module, TrainingFlag, WeightLayer};
pub use reshape::{Flatten, Reshape};
pub use sequential::Sequential;
pub use spectral_norm::{spectral_normalize, spectral_sigma, SpectralNorm};
