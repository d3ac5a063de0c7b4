//! Reductions over any set of axes (`shaders/reduce.wgsl`): sum and max run on
//! the kernel; mean and variance are built from them, so they are twice
//! differentiable for free.
//!
//! Every reduction is deterministic: the kernel's summation order depends only
//! on the shapes, never on timing. Long reductions take several passes: each
//! invocation reduces a chunk to one partial value, then the partials are
//! reduced the same way.

use super::{coalesce, contiguous_strides, normalize_axis};
use crate::gpu::{device, Params, Storage, REDUCE, WORKGROUP};
use crate::tensor::{numel, Tensor};

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Sum = 0,
    Max = 1,
}

/// About how many elements one invocation reduces before handing over to
/// another pass: long enough that the loop outweighs the invocation, short
/// enough that a long reduction still spreads over many invocations.
const CHUNK: usize = 64;
/// One pass, one invocation per output, when each reduces at most this many
/// elements or when there are this many outputs: a second dispatch would cost
/// more than it spreads (StyleGAN2's demodulation sums 72 values per output).
const ONE_PASS_REDUCE: usize = 256;
const ONE_PASS_OUTPUTS: usize = 4096;

/// Reduces `x` over `axes` (sorted, distinct); the result holds the kept
/// dimensions in order.
fn launch(x: &Tensor, axes: &[usize], op: Op) -> Storage {
    let strides = contiguous_strides(x.shape());
    let (mut kept_shape, mut kept_strides, mut red_shape, mut red_strides) = (vec![], vec![], vec![], vec![]);
    for (d, (&size, &stride)) in x.shape().iter().zip(&strides).enumerate() {
        if axes.contains(&d) {
            red_shape.push(size);
            red_strides.push(stride);
        } else {
            kept_shape.push(size);
            kept_strides.push(stride);
        }
    }
    let (out_count, red_count) = (numel(&kept_shape), numel(&red_shape));
    assert!(red_count > 0 || op == Op::Sum, "max over an empty axis of shape {:?}", x.shape());
    let (kept_shape, kept_strides) = coalesce(&kept_shape, &[kept_strides]);
    let (red_shape, red_strides) = coalesce(&red_shape, &[red_strides]);

    let one_pass = red_count <= ONE_PASS_REDUCE || out_count >= ONE_PASS_OUTPUTS;
    let chunks = if one_pass { 1 } else { red_count.div_ceil(CHUNK) };
    let out = Storage::new(out_count * chunks);
    let params = Params::strided(
        [out_count, red_count, 0, chunks],
        &[(&kept_shape, &kept_strides[0]), (&red_shape, &red_strides[0])],
    );
    let gpu = device();
    gpu.dispatch(
        REDUCE.kernel_for("reduce", op as u32),
        &params,
        &[x.buffer(), out.buffer()],
        gpu.grid(out_count * chunks, WORKGROUP),
    );
    if chunks == 1 {
        return out;
    }
    let partials = Tensor::from_storage(out, vec![out_count, chunks]);
    launch(&partials, &[1], op)
}

/// Sorted, distinct, non-negative axes; panics naming the shape when one is out of range.
fn resolve_axes(axes: &[isize], shape: &[usize]) -> Vec<usize> {
    assert!(
        !axes.is_empty(),
        "no axes given to reduce over shape {shape:?} (use sum_all / mean_all to reduce everything)"
    );
    let mut resolved: Vec<usize> = axes.iter().map(|&a| normalize_axis(a, shape)).collect();
    resolved.sort_unstable();
    resolved.dedup();
    resolved
}

/// The result shape: reduced axes become 1 (keepdim) or disappear.
fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Vec<usize> {
    let keep = |(d, &size): (usize, &usize)| match (axes.contains(&d), keepdim) {
        (false, _) => Some(size),
        (true, true) => Some(1),
        (true, false) => None,
    };
    shape.iter().enumerate().filter_map(keep).collect()
}

impl Tensor {
    /// Sum over `axes` (negative counts from the end).
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Tensor {
        let axes = resolve_axes(axes, self.shape());
        let shape = reduced_shape(self.shape(), &axes, keepdim);
        let kept = reduced_shape(self.shape(), &axes, true);
        // Each input element contributed once to its output: the gradient is
        // the output gradient copied back over the reduced axes.
        Tensor::from_op(launch(self, &axes, Op::Sum), shape, "sum", &[self], move |inputs, _, g| {
            vec![Some(g.reshape(&kept).expand(inputs[0].shape()))]
        })
    }

    /// Sum of all elements, as a scalar (shape `[]`).
    pub fn sum_all(&self) -> Tensor {
        match self.rank() {
            0 => self.clone(),
            rank => self.sum(&(0..rank as isize).collect::<Vec<_>>(), false),
        }
    }

    /// Mean over `axes`.
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Tensor {
        let count: usize = resolve_axes(axes, self.shape()).iter().map(|&a| self.shape()[a]).product();
        self.sum(axes, keepdim).div_scalar(count as f32)
    }

    /// Mean of all elements, as a scalar.
    pub fn mean_all(&self) -> Tensor {
        self.sum_all().div_scalar(self.numel() as f32)
    }

    /// Maximum over `axes`. The gradient is shared equally by tied maxima.
    pub fn max(&self, axes: &[isize], keepdim: bool) -> Tensor {
        let axes = resolve_axes(axes, self.shape());
        let shape = reduced_shape(self.shape(), &axes, keepdim);
        let kept = reduced_shape(self.shape(), &axes, true);
        let signed_axes: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
        Tensor::from_op(launch(self, &axes, Op::Max), shape, "max", &[self], move |inputs, out, g| {
            let x = &inputs[0];
            let is_max = x.eq_elementwise(&out.reshape(&kept));
            let ties = is_max.sum(&signed_axes, true);
            vec![Some(g.reshape(&kept).mul(&is_max).div(&ties))]
        })
    }

    /// Maximum of all elements, as a scalar.
    pub fn max_all(&self) -> Tensor {
        match self.rank() {
            0 => self.clone(),
            rank => self.max(&(0..rank as isize).collect::<Vec<_>>(), false),
        }
    }

    /// Population variance over `axes` (divides by the count, as batch norm
    /// does): the mean of squared deviations from the mean.
    pub fn var(&self, axes: &[isize], keepdim: bool) -> Tensor {
        let deviation = self.sub(&self.mean(axes, true));
        deviation.mul(&deviation).mean(axes, keepdim)
    }

    /// Sums a broadcast result back down to `shape` (the gradient of broadcasting).
    pub fn sum_to(&self, shape: &[usize]) -> Tensor {
        if self.shape() == shape {
            return self.clone();
        }
        let lead = self.rank().checked_sub(shape.len()).unwrap_or_else(|| {
            panic!("sum_to: shape {:?} cannot be reduced to the longer shape {shape:?}", self.shape())
        });
        let axes: Vec<isize> = (0..self.rank())
            .filter(|&d| d < lead || (shape[d - lead] == 1 && self.shape()[d] != 1))
            .map(|d| d as isize)
            .collect();
        let summed = if axes.is_empty() { self.clone() } else { self.sum(&axes, true) };
        summed.reshape(shape)
    }
}
