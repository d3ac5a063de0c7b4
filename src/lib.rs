//! ganforge: a from-scratch GPU tensor engine (hand-written WGSL kernels run
//! through wgpu, reverse-mode autodiff with higher-order gradients) and, on top
//! of it, the GANs of the literature.
//!
//! Layers, each using only those below it:
//! - `gpu`: the wgpu device, pipeline cache, buffer pool, command batching;
//! - `tensor`: shape + GPU storage + optional graph node;
//! - `ops`: differentiable ops, forward dispatch and backward rule side by side;
//! - `autograd`: `backward`, `grad`, `no_grad`;
//! - `gradcheck`: finite-difference checks of every gradient;
//! - `nn`, `optim`: modules, layers, initialisers; optimisers, EMA, clipping;
//! - `checkpoint`: atomic safetensors checkpoints of modules and optimisers;
//! - `data`, `metrics`, `viz`: datasets, evaluation and pictures (CPU side);
//! - `gan`: objectives, penalties, models, the trainer;
//! - `explore`: looking inside a trained generator (inversion);
//! - `serve`: the tiny static web server of the browser playground.

pub mod autograd;
pub mod bench;
pub mod checkpoint;
pub mod data;
pub mod explore;
pub mod gan;
pub mod gpu;
pub mod gradcheck;
pub mod metrics;
pub mod nn;
pub mod ops;
pub mod optim;
pub mod serve;
pub mod tensor;
pub mod viz;

pub use autograd::{enable_grad, grad, is_grad_enabled, no_grad};
pub use tensor::Tensor;
