//! The GAN layer: objectives, regularisers, models and the training loop.
//! It only uses tensors, ops and nn modules, never the GPU directly.

pub mod config;
pub mod digits_session;
pub mod families;
pub mod family;
pub mod fgan;
pub mod growth;
pub mod image_pool;
pub mod live_run;
pub mod losses;
pub mod models;
pub mod nets;
pub mod pack;
pub mod penalties;
pub mod prior;
pub mod session;
pub mod trainer;

pub use config::TrainConfig;
pub use fgan::Divergence;
pub use losses::Objective;
pub use trainer::Trainer;
