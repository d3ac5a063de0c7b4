//! `Tensor`: a shape, f32 values in GPU storage, and, when it was computed by a
//! differentiable op while gradients were being recorded, the graph node that
//! made it.
//!
//! A `Tensor` is a cheap handle (an `Arc`): cloning it shares the same values.
//! Storage is always contiguous row-major, which keeps every kernel simple;
//! permute, slice and friends copy (see `ops/shape.rs`). `reshape` alone shares
//! storage, since a contiguous buffer reads the same under any shape of its size.

use crate::gpu::Storage;
use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::StandardNormal;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A backward rule: given the op's inputs, its output and the gradient of the
/// loss with respect to that output, return the gradient with respect to each
/// input (`None` where an input gets none). Rules are written with tensor ops,
/// so when gradients are recorded while they run, their results can be
/// differentiated again.
pub type BackwardFn = Box<dyn Fn(&[Tensor], &Tensor, &Tensor) -> Vec<Option<Tensor>> + Send + Sync>;

// ANCHOR: node
/// How a tensor was computed: the op, its inputs, and its backward rule.
pub(crate) struct Node {
    pub op: &'static str,
    pub inputs: Vec<Tensor>,
    pub backward: BackwardFn,
}
// ANCHOR_END: node

// ANCHOR: tensor
struct Inner {
    id: u64,
    shape: Vec<usize>,
    storage: Arc<Storage>,
    requires_grad: bool,
    node: Option<Node>,
    grad: Mutex<Option<Tensor>>,
}

#[derive(Clone)]
pub struct Tensor(Arc<Inner>);
// ANCHOR_END: tensor

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Number of elements of a shape (1 for the scalar shape `[]`).
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

impl Tensor {
    fn build(storage: Arc<Storage>, shape: Vec<usize>, requires_grad: bool, node: Option<Node>) -> Tensor {
        debug_assert_eq!(storage.len(), numel(&shape), "storage length does not match shape {shape:?}");
        Tensor(Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            shape,
            storage,
            requires_grad,
            node,
            grad: Mutex::new(None),
        }))
    }

    /// A tensor with no history over freshly computed storage.
    pub(crate) fn from_storage(storage: Storage, shape: Vec<usize>) -> Tensor {
        Tensor::build(Arc::new(storage), shape, false, None)
    }

    /// The result of a differentiable op. The graph node is kept only while
    /// gradients are recorded and some input needs a gradient.
    pub(crate) fn from_op(
        storage: Storage,
        shape: Vec<usize>,
        op: &'static str,
        inputs: &[&Tensor],
        backward: impl Fn(&[Tensor], &Tensor, &Tensor) -> Vec<Option<Tensor>> + Send + Sync + 'static,
    ) -> Tensor {
        Tensor::with_node(Arc::new(storage), shape, op, inputs, backward)
    }

    // ANCHOR: from_op
    /// Like `from_op`, over storage that may be shared with another tensor.
    pub(crate) fn with_node(
        storage: Arc<Storage>,
        shape: Vec<usize>,
        op: &'static str,
        inputs: &[&Tensor],
        backward: impl Fn(&[Tensor], &Tensor, &Tensor) -> Vec<Option<Tensor>> + Send + Sync + 'static,
    ) -> Tensor {
        let record = crate::autograd::is_grad_enabled() && inputs.iter().any(|t| t.tracks_grad());
        let node = record.then(|| Node {
            op,
            inputs: inputs.iter().map(|&t| t.clone()).collect(),
            backward: Box::new(backward),
        });
        Tensor::build(storage, shape, false, node)
    }
    // ANCHOR_END: from_op

    /// A tensor holding `values` with the given shape.
    /// Panics when the number of values does not match the shape.
    pub fn from_vec(values: Vec<f32>, shape: &[usize]) -> Tensor {
        Tensor::from_slice(&values, shape)
    }

    /// A tensor holding a copy of `values` with the given shape.
    pub fn from_slice(values: &[f32], shape: &[usize]) -> Tensor {
        assert_eq!(
            values.len(),
            numel(shape),
            "from_vec: {} values cannot fill shape {shape:?} ({} elements)",
            values.len(),
            numel(shape)
        );
        Tensor::from_storage(Storage::from_slice(values), shape.to_vec())
    }

    /// A scalar (shape `[]`).
    pub fn scalar(value: f32) -> Tensor {
        Tensor::from_slice(&[value], &[])
    }

    /// A tensor with every element equal to `value`.
    pub fn full(shape: &[usize], value: f32) -> Tensor {
        Tensor::from_storage(crate::ops::shape::filled(numel(shape), value), shape.to_vec())
    }

    pub fn zeros(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 0.0)
    }

    pub fn ones(shape: &[usize]) -> Tensor {
        Tensor::full(shape, 1.0)
    }

    /// Samples of N(0, 1) from a generator seeded with `seed` (same seed, same values).
    pub fn randn(shape: &[usize], seed: u64) -> Tensor {
        Tensor::randn_from(shape, &mut StdRng::seed_from_u64(seed))
    }

    /// Samples of U[0, 1) from a generator seeded with `seed`.
    pub fn rand(shape: &[usize], seed: u64) -> Tensor {
        Tensor::rand_from(shape, &mut StdRng::seed_from_u64(seed))
    }

    /// Samples of N(0, 1) drawn from `rng` (for a training loop's own generator).
    pub fn randn_from(shape: &[usize], rng: &mut impl Rng) -> Tensor {
        let values: Vec<f32> = (0..numel(shape)).map(|_| rng.sample(StandardNormal)).collect();
        Tensor::from_vec(values, shape)
    }

    /// Samples of U[0, 1) drawn from `rng`.
    pub fn rand_from(shape: &[usize], rng: &mut impl Rng) -> Tensor {
        let values: Vec<f32> = (0..numel(shape)).map(|_| rng.random::<f32>()).collect();
        Tensor::from_vec(values, shape)
    }

    /// A zero tensor of the same shape.
    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(self.shape())
    }

    /// A tensor of ones of the same shape.
    pub fn ones_like(&self) -> Tensor {
        Tensor::ones(self.shape())
    }

    /// Copies the values to the CPU (row-major). Submits pending GPU work.
    pub fn to_vec(&self) -> Vec<f32> {
        self.0.storage.read()
    }

    /// Copies the values to the CPU without blocking: what a web page must use,
    /// since it cannot wait for the GPU (natively it waits like `to_vec`).
    pub async fn to_vec_async(&self) -> Vec<f32> {
        self.0.storage.read_async().await
    }

    /// The value of a one-element tensor.
    pub fn item(&self) -> f32 {
        assert_eq!(self.numel(), 1, "item() needs a tensor with one element, got shape {:?}", self.shape());
        self.to_vec()[0]
    }

    pub fn shape(&self) -> &[usize] {
        &self.0.shape
    }

    pub fn rank(&self) -> usize {
        self.0.shape.len()
    }

    pub fn numel(&self) -> usize {
        numel(&self.0.shape)
    }

    /// A unique number for this handle's tensor (graph bookkeeping).
    pub fn id(&self) -> u64 {
        self.0.id
    }

    pub(crate) fn shared_storage(&self) -> Arc<Storage> {
        self.0.storage.clone()
    }

    /// The GPU buffer holding the values (for kernels; it may be larger than the tensor).
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.0.storage.buffer()
    }

    pub(crate) fn node(&self) -> Option<&Node> {
        self.0.node.as_ref()
    }

    /// Whether this is a leaf that collects a gradient in `.grad()`.
    pub fn requires_grad(&self) -> bool {
        self.0.requires_grad
    }

    /// Whether gradients flow through this tensor (a leaf that requires them,
    /// or a result computed from one).
    pub fn tracks_grad(&self) -> bool {
        self.0.requires_grad || self.0.node.is_some()
    }

    /// A leaf over the same values that requires a gradient (PyTorch's
    /// `requires_grad_()`). Any history of `self` is not part of the new leaf.
    pub fn requires_grad_(self) -> Tensor {
        Tensor::build(self.shared_storage(), self.0.shape.clone(), true, None)
    }

    /// A tensor over the same values with no history: gradients stop here.
    pub fn detach(&self) -> Tensor {
        Tensor::build(self.shared_storage(), self.0.shape.clone(), false, None)
    }

    /// The gradient accumulated by `backward()` calls, if any.
    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.lock().unwrap().clone()
    }

    pub(crate) fn set_grad(&self, grad: Option<Tensor>) {
        *self.0.grad.lock().unwrap() = grad;
    }

    /// Forgets the accumulated gradient.
    pub fn zero_grad(&self) {
        self.set_grad(None);
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor(shape={:?}", self.shape())?;
        if self.requires_grad() {
            write!(f, ", requires_grad")?;
        }
        if let Some(node) = self.node() {
            write!(f, ", op={}", node.op)?;
        }
        write!(f, ")")
    }
}
