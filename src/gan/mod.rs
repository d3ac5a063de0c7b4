//! The GAN layer: objectives, regularisers, models and the training loop.
//! It only uses tensors and ops, never the GPU directly.

pub mod fgan;
pub mod losses;
pub mod penalties;

pub use fgan::Divergence;
pub use losses::Objective;
