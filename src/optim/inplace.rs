//! In-place writes: the only operations in the crate that change the values of
//! an existing tensor instead of making a new one (`shaders/optim.wgsl`).
//!
//! Optimisers, weight clipping, EMA, initialisers, spectral norm's power
//! iteration and checkpoint loading all need them: a parameter `Tensor` must
//! stay the same object for a module's whole life, so that an optimiser built
//! over it keeps pointing at the values the module uses.
//!
//! **Graph safety.** The engine has no version counters. A backward rule may
//! read the values of its op's inputs and output later, when the graph is
//! differentiated; if a tensor is overwritten in between, that gradient is
//! silently wrong. So write in place only outside recorded graphs: after
//! `backward()` (an optimiser step), or before the next forward. Every tensor
//! that shares storage with the written one (`detach`, `reshape`,
//! `requires_grad_`) sees the new values too. None of these writes is recorded
//! in any graph.

use super::kernel::launch;
use crate::gpu::device;
use crate::tensor::Tensor;

impl Tensor {
    /// Overwrites the values with `values` (uploaded into the same buffer).
    pub fn write_(&self, values: &[f32]) {
        assert_eq!(
            values.len(),
            self.numel(),
            "write_: {} values cannot fill a tensor of shape {:?}",
            values.len(),
            self.shape()
        );
        device().upload(self.buffer(), bytemuck::cast_slice(values));
    }

    /// Overwrites the values with those of `src` (same shape).
    pub fn assign_(&self, src: &Tensor) {
        check_same_shape("assign_", self, src);
        launch("assign", &[], &[self, src]);
    }

    /// Clamps every value to [min, max] in place (WGAN's weight clipping).
    pub fn clamp_(&self, min: f32, max: f32) {
        assert!(min <= max, "clamp_: min {min} is greater than max {max}");
        launch("clamp_in_place", &[min, max], &[self]);
    }

    /// self += weight * (end - self), in place. With weight = 1 - decay this is
    /// an exponential moving average step toward `end`.
    pub fn lerp_(&self, end: &Tensor, weight: f32) {
        check_same_shape("lerp_", self, end);
        launch("lerp", &[weight], &[self, end]);
    }
}

fn check_same_shape(op: &str, dst: &Tensor, src: &Tensor) {
    assert_eq!(
        dst.shape(),
        src.shape(),
        "{op}: cannot write a tensor of shape {:?} into one of shape {:?}",
        src.shape(),
        dst.shape()
    );
}
