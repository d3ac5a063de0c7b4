//! Spectral normalisation (Miyato et al., 2018): divide a layer's weight by its
//! largest singular value sigma, so the layer is 1-Lipschitz, which keeps a
//! discriminator smooth without the cost of a gradient penalty.
//!
//! sigma is estimated by power iteration. With the weight seen as a matrix W
//! [out, rest] and a persistent unit vector u [out]:
//!   v = W^T u / |W^T u|,   u = W v / |W v|,   sigma = u^T W v.
//! Repeating the first two steps turns u and v into the leading left and right
//! singular vectors, and then u^T W v is the leading singular value. Because W
//! changes little per training step, one iteration per forward pass, starting
//! from the previous u, is enough to track it (the paper's Algorithm 1).
//!
//! The iteration runs without recording a graph, and u, v are buffers updated
//! in place; sigma = u^T W v is then computed with recording on, so the gradient
//! flows through W (u and v are constants to it, as in the paper and PyTorch).
//! That sigma is computed from the iteration's fresh result tensors, not from
//! the buffers: a discriminator called on a real and then a fake batch before
//! one backward pass overwrites the buffers in between, and the first graph
//! must still see the u, v it was built with (PyTorch clones them for the same
//! reason). In evaluation mode the vectors are frozen and no iteration runs.

use super::{resolve, Layer, Module, TrainingFlag, WeightLayer};
use crate::autograd::no_grad;
use crate::tensor::Tensor;
use rand::Rng;
use rand_distr::StandardNormal;

/// Smallest norm divided by in the power iteration (PyTorch's `normalize` eps).
const EPS: f32 = 1e-12;

/// A weight layer whose weight is divided by its spectral norm before each use.
/// Its parameters and buffers keep the wrapped layer's names; it adds the
/// buffers "weight_u" [out] and "weight_v" [rest].
pub struct SpectralNorm<L> {
    layer: L,
    u: Tensor, // [out]
    v: Tensor, // [rest]
    training: TrainingFlag,
}

/// The weight [out, ...] as the matrix [out, rest] whose spectrum is normalised.
fn as_matrix(weight: &Tensor) -> Tensor {
    assert!(weight.rank() >= 2, "spectral norm needs a weight of rank >= 2, got shape {:?}", weight.shape());
    let out = weight.shape()[0];
    weight.reshape(&[out, weight.numel() / out])
}

/// x / max(|x|, eps).
fn normalize(x: &Tensor) -> Tensor {
    x.div(&x.mul(x).sum_all().sqrt().clamp(EPS, f32::MAX))
}

/// A random unit vector of `len` values.
fn random_unit(len: usize, rng: &mut impl Rng) -> Tensor {
    let values: Vec<f32> = (0..len).map(|_| rng.sample(StandardNormal)).collect();
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt().max(EPS);
    Tensor::from_vec(values.iter().map(|v| v / norm).collect(), &[len])
}

/// sigma = u^T W v, a scalar differentiable in `weight` ([out, ...]; u [out], v [rest]).
pub fn spectral_sigma(weight: &Tensor, u: &Tensor, v: &Tensor) -> Tensor {
    let w = as_matrix(weight);
    let (out, rest) = (w.shape()[0], w.shape()[1]);
    assert!(
        u.shape() == [out] && v.shape() == [rest],
        "spectral_sigma: u {:?} and v {:?} must be [{out}] and [{rest}] for weight {:?}",
        u.shape(),
        v.shape(),
        weight.shape()
    );
    u.reshape(&[1, out]).matmul(&w).matmul(&v.reshape(&[rest, 1])).reshape(&[])
}

/// W / (u^T W v): the weight with its spectral norm (as estimated by u, v) divided out.
pub fn spectral_normalize(weight: &Tensor, u: &Tensor, v: &Tensor) -> Tensor {
    weight.div(&spectral_sigma(weight, u, v))
}

impl<L: WeightLayer> SpectralNorm<L> {
    /// Wraps `layer`, starting the power iteration from random unit vectors.
    pub fn new(layer: L, rng: &mut impl Rng) -> SpectralNorm<L> {
        let w = as_matrix(layer.weight());
        let (u, v) = (random_unit(w.shape()[0], rng), random_unit(w.shape()[1], rng));
        SpectralNorm { layer, u, v, training: TrainingFlag::default() }
    }

    pub fn layer(&self) -> &L {
        &self.layer
    }

    /// The current estimate of the weight's largest singular value.
    pub fn sigma(&self) -> Tensor {
        spectral_sigma(&resolve(self.layer.weight()), &self.u, &self.v)
    }

    /// The weight divided by its spectral norm; in training mode one power
    /// iteration first refines u and v.
    pub fn normalized_weight(&self) -> Tensor {
        let weight = resolve(self.layer.weight());
        if self.training.get() {
            let (u, v) = self.power_iteration(&weight);
            spectral_normalize(&weight, &u, &v)
        } else {
            spectral_normalize(&weight, &self.u, &self.v)
        }
    }

    /// One step of power iteration on `weight` (the layer's, or its
    /// substitute): returns the new (u, v), also written into the buffers.
    fn power_iteration(&self, weight: &Tensor) -> (Tensor, Tensor) {
        no_grad(|| {
            let w = as_matrix(weight);
            let (out, rest) = (w.shape()[0], w.shape()[1]);
            let v = normalize(&w.matmul_t(&self.u.reshape(&[out, 1]), true, false).reshape(&[rest]));
            let u = normalize(&w.matmul(&v.reshape(&[rest, 1])).reshape(&[out]));
            self.v.assign_(&v);
            self.u.assign_(&u);
            (u, v)
        })
    }
}

impl<L: WeightLayer> Module for SpectralNorm<L> {
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        self.layer.named_parameters()
    }

    fn own_buffers(&self) -> Vec<(String, Tensor)> {
        let mut own = self.layer.named_buffers();
        own.push(("weight_u".to_string(), self.u.clone()));
        own.push(("weight_v".to_string(), self.v.clone()));
        own
    }

    fn set_training(&self, training: bool) {
        self.training.set(training);
        self.layer.set_training(training);
    }
}

impl<L: WeightLayer> Layer for SpectralNorm<L> {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.layer.forward_with_weight(x, &self.normalized_weight())
    }
}
