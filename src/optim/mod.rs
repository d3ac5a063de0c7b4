//! Optimisers, learning-rate schedules, weight clipping and weight averaging.
//!
//! Each optimiser keeps, for every parameter, state tensors of the same shape
//! (momentum, running averages), and each `step` is ONE fused kernel per
//! parameter tensor (`shaders/optim.wgsl`): it reads the gradient and
//! overwrites the state and the parameter in their own buffers. Unfused, an
//! Adam step would be a dozen elementwise ops per parameter, each writing a new
//! tensor; fused, it reads and writes every value once, and the parameter
//! `Tensor` stays the same object, so a module and its optimiser share it.
//!
//! Updates in place are only safe outside recorded graphs: call `step` after
//! `backward()` and before the next forward pass (see `inplace.rs`).
//!
//! Parameters without a gradient (not reached by the last backward) are
//! skipped, and their state is untouched, as in PyTorch.

mod adam;
mod ema;
mod inplace;
mod kernel;
mod rmsprop;
mod schedule;
mod sgd;
mod unrolled;

pub use adam::Adam;
pub use ema::Ema;
pub use rmsprop::RmsProp;
pub use schedule::LrSchedule;
pub use sgd::Sgd;
pub use unrolled::UnrolledOptimizer;

use crate::checkpoint::Stateful;
use crate::tensor::Tensor;
use std::collections::HashSet;

/// What the training loop needs of an optimiser. Its `Stateful` side lists
/// the state a checkpoint saves (per-parameter tensors named "{index}.{name}").
pub trait Optimizer: Stateful {
    /// Updates every parameter that has a gradient, in place.
    fn step(&mut self);

    /// The parameters, in the order they were given.
    fn parameters(&self) -> Vec<Tensor>;

    fn learning_rate(&self) -> f32;

    /// Changes the learning rate for the following steps (schedules).
    fn set_learning_rate(&mut self, lr: f32);

    /// The update rule as differentiable ops, starting from a copy of the
    /// current state (Unrolled GAN's look-ahead; see `unrolled.rs`).
    fn unrolled(&self) -> Box<dyn UnrolledOptimizer + '_>;

    /// Forgets every parameter's gradient (call before the next backward).
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }
}

// ANCHOR: clip_weights
/// Clamps every value of every parameter to [-c, c] in place: the weight
/// clipping with which the WGAN paper keeps its critic Lipschitz.
pub fn clip_weights(parameters: &[Tensor], c: f32) {
    assert!(c > 0.0, "clip_weights: the clipping bound must be positive, got {c}");
    for p in parameters {
        p.clamp_(-c, c);
    }
}
// ANCHOR_END: clip_weights

/// One parameter and the optimiser's state for it, zero at the start.
struct Slot {
    param: Tensor,
    state: Vec<Tensor>,
}

/// Slots for `parameters`, each with `states` zero tensors of its shape.
/// Panics when a parameter does not require a gradient or appears twice.
fn slots(optimizer: &str, parameters: Vec<Tensor>, states: usize) -> Vec<Slot> {
    let mut seen = HashSet::new();
    parameters
        .into_iter()
        .map(|param| {
            assert!(
                param.requires_grad(),
                "{optimizer}: a parameter of shape {:?} does not require a gradient (make it with requires_grad_())",
                param.shape()
            );
            assert!(seen.insert(param.id()), "{optimizer}: a parameter of shape {:?} is listed twice", param.shape());
            let state = (0..states).map(|_| param.zeros_like()).collect();
            Slot { param, state }
        })
        .collect()
}

/// The slots' state tensors named "{index}.{state name}".
fn named_state(slots: &[Slot], names: &[&str]) -> Vec<(String, Tensor)> {
    slots
        .iter()
        .enumerate()
        .flat_map(|(i, slot)| names.iter().zip(&slot.state).map(move |(name, t)| (format!("{i}.{name}"), t.clone())))
        .collect()
}

/// The slots' parameters, in order.
fn slot_parameters(slots: &[Slot]) -> Vec<Tensor> {
    slots.iter().map(|slot| slot.param.clone()).collect()
}
