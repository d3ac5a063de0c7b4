//! Neural-network building blocks: the `Module` trait, layers, initialisers.
//!
//! Layers own their parameters (leaf tensors that require gradients); a model
//! is a module whose children are layers. `Layer::forward` builds the graph
//! that `backward()` differentiates; the optimisers in `crate::optim` then
//! update the parameters in place.

mod activation;
mod batch_norm;
mod conv;
mod dropout;
mod embedding;
mod equalized;
pub mod flow;
pub mod init;
mod instance_norm;
mod layer_norm;
mod linear;
mod minibatch_stddev;
mod module;
mod noise_injection;
mod pixel_norm;
mod resample;
mod reshape;
mod seed_stream;
mod sequential;
mod spade;
mod spectral_norm;
mod substitution;

pub use activation::{LeakyRelu, Relu, Sigmoid, Tanh};
pub use batch_norm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv::{Conv2d, ConvTranspose2d};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use equalized::{EqualizedConv2d, EqualizedLinear};
pub use instance_norm::{AdaIN, InstanceNorm2d};
pub use layer_norm::LayerNorm;
pub use linear::{linear, Linear};
pub use minibatch_stddev::MinibatchStdDev;
pub use module::{numbered, Layer, Module, TrainingFlag, WeightLayer};
pub use noise_injection::NoiseInjection;
pub use pixel_norm::PixelNorm;
pub use resample::{AvgPool2d, ReflectionPad2d, Upsample};
pub use reshape::{Flatten, Reshape};
pub use seed_stream::SeedStream;
pub use sequential::Sequential;
pub use spade::{nearest_downsample, Spade};
pub use spectral_norm::{spectral_normalize, spectral_sigma, SpectralNorm};
pub use substitution::{resolve, with_substitutes};
