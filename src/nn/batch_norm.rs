//! Batch normalisation (Ioffe and Szegedy, 2015) as a layer: in training mode
//! each channel is normalised with the batch's own mean and variance, and
//! running averages of those statistics are kept; in eval mode the running
//! averages are used instead. `BatchNorm2d` works on [N, C, H, W],
//! `BatchNorm1d` on [N, C]; both are this one struct (the op handles either).
//!
//! `BatchNorm::without_affine` leaves out the learned scale and shift: the
//! parameter-free normalisation that SPADE (`spade.rs`) modulates instead.
//!
//! The running statistics are buffers (saved in checkpoints, not trained);
//! they are updated in place so the tensors a checkpoint holds stay the same.

use super::module::present_named;
use super::{resolve, Layer, Module, TrainingFlag};
use crate::ops::batch_norm::RunningStats;
use crate::tensor::Tensor;

pub struct BatchNorm {
    weight: Option<Tensor>, // [C], starts at 1
    bias: Option<Tensor>,   // [C], starts at 0
    running: RunningStats,
    momentum: f32,
    eps: f32,
    training: TrainingFlag,
}

/// The same layer on [N, C, H, W] and on [N, C]; two names as in PyTorch.
pub type BatchNorm2d = BatchNorm;
pub type BatchNorm1d = BatchNorm;

impl BatchNorm {
    /// PyTorch's defaults: affine, momentum 0.1, eps 1e-5.
    pub fn new(channels: usize) -> BatchNorm {
        BatchNorm {
            weight: Some(Tensor::ones(&[channels]).requires_grad_()),
            bias: Some(Tensor::zeros(&[channels]).requires_grad_()),
            ..BatchNorm::without_affine(channels)
        }
    }

    /// Normalisation only, no learned scale and shift (PyTorch's `affine=False`).
    pub fn without_affine(channels: usize) -> BatchNorm {
        BatchNorm {
            weight: None,
            bias: None,
            running: RunningStats::new(channels),
            momentum: 0.1,
            eps: 1e-5,
            training: TrainingFlag::default(),
        }
    }

    /// The learned scale, None without an affine.
    pub fn weight(&self) -> Option<&Tensor> {
        self.weight.as_ref()
    }

    pub fn running_stats(&self) -> &RunningStats {
        &self.running
    }
}

impl Module for BatchNorm {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        present_named(&[("weight", self.weight.as_ref()), ("bias", self.bias.as_ref())])
    }

    fn own_buffers(&self) -> Vec<(String, Tensor)> {
        vec![("running_mean".into(), self.running.mean.clone()), ("running_var".into(), self.running.var.clone())]
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
    }
}

impl BatchNorm {
    /// The learned scale and shift as this forward pass uses them.
    fn affine(&self) -> (Option<Tensor>, Option<Tensor>) {
        (self.weight.as_ref().map(resolve), self.bias.as_ref().map(resolve))
    }

    /// Training mode: normalise with the batch's statistics, then the leaky
    /// ReLU of `negative_slope` (1: none) in the same op, and update the
    /// running statistics.
    fn forward_train(&self, x: &Tensor, negative_slope: f32) -> Tensor {
        let (weight, bias) = self.affine();
        let (y, batch) = x.batch_norm_train_activated(weight.as_ref(), bias.as_ref(), self.eps, negative_slope);
        self.running.update(&batch, self.momentum);
        y
    }
}

impl Layer for BatchNorm {
    fn forward(&self, x: &Tensor) -> Tensor {
        if !self.training.get() {
            let (weight, bias) = self.affine();
            return x.batch_norm_eval(&self.running, weight.as_ref(), bias.as_ref(), self.eps);
        }
        self.forward_train(x, 1.0)
    }

    /// Fused in training mode (the kernels apply the activation as they
    /// store); eval mode is a per-channel affine, and leaves the activation
    /// to its own layer.
    fn forward_activated(&self, x: &Tensor, negative_slope: f32) -> Option<Tensor> {
        (self.training.get() && negative_slope >= 0.0).then(|| self.forward_train(x, negative_slope))
    }
}
