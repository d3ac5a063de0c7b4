//! Matrix multiplication (`shaders/matmul.wgsl`): 2-D or batched, with either
//! operand read transposed (no copy: the kernel just swaps its strides).
//!
//! With op(X) meaning X or its transpose, C = op(A) op(B) has
//! dop(A) = G op(B)^T and dop(B) = op(A)^T G. Undoing the transposes turns both
//! into further `matmul_t` calls, so the gradient of a matmul is two matmuls,
//! and is itself differentiable.

use super::broadcast_shapes;
use crate::gpu::{device, Params, Storage, MATMUL};
use crate::tensor::{numel, Tensor};

/// The kernel's output block per workgroup (see the shader).
const BLOCK: usize = 64;

/// Rows and columns of op(X) for an operand of shape [..., r, c].
fn op_dims(x: &Tensor, transposed: bool) -> (usize, usize) {
    let s = x.shape();
    let (r, c) = (s[s.len() - 2], s[s.len() - 1]);
    if transposed {
        (c, r)
    } else {
        (r, c)
    }
}

/// The batch stride of an operand: one matrix after another when it has the
/// full batch, 0 when one matrix serves every batch element. Other partial
/// broadcasts are expanded first.
fn batched(x: &Tensor, batch: &[usize]) -> (Tensor, usize) {
    let own = &x.shape()[..x.rank() - 2];
    let matrix = numel(&x.shape()[x.rank() - 2..]);
    if own == batch {
        (x.clone(), matrix)
    } else if numel(own) == 1 {
        (x.clone(), 0)
    } else {
        let mut full = batch.to_vec();
        full.extend_from_slice(&x.shape()[x.rank() - 2..]);
        (x.expand(&full), matrix)
    }
}

impl Tensor {
    /// Matrix product of the last two dimensions, batch dimensions broadcast.
    pub fn matmul(&self, other: &Tensor) -> Tensor {
        self.matmul_t(other, false, false)
    }

    /// op(self) x op(other), where op transposes the last two dimensions when
    /// its flag is set.
    pub fn matmul_t(&self, other: &Tensor, transpose_a: bool, transpose_b: bool) -> Tensor {
        assert!(
            self.rank() >= 2 && other.rank() >= 2,
            "matmul needs two matrices (rank >= 2), got shapes {:?} and {:?}",
            self.shape(),
            other.shape()
        );
        let (m, k) = op_dims(self, transpose_a);
        let (k2, n) = op_dims(other, transpose_b);
        assert_eq!(
            k,
            k2,
            "matmul: inner dimensions differ: {:?}{} x {:?}{} ({k} vs {k2})",
            self.shape(),
            if transpose_a { "^T" } else { "" },
            other.shape(),
            if transpose_b { "^T" } else { "" }
        );
        let batch = broadcast_shapes(&self.shape()[..self.rank() - 2], &other.shape()[..other.rank() - 2]);
        let count = numel(&batch);
        let (a, a_batch) = batched(self, &batch);
        let (b, b_batch) = batched(other, &batch);
        // Element (row, col) of op(A) sits at row * a_row + col * a_col.
        let (a_row, a_col) = if transpose_a { (1, m) } else { (k, 1) };
        let (b_row, b_col) = if transpose_b { (1, k) } else { (n, 1) };
        let out = Storage::new(count * m * n);
        let params = Params::new()
            .size(m)
            .size(n)
            .size(k)
            .u32(0)
            .size(a_row)
            .size(a_col)
            .size(a_batch)
            .size(b_row)
            .size(b_col)
            .size(b_batch)
            .u32(0)
            .u32(0);
        let gpu = device();
        let max = gpu.limits.max_compute_workgroups_per_dimension as usize;
        assert!(count <= max, "matmul: a batch of {count} matrices exceeds this GPU's dispatch limit of {max}");
        let groups = [n.div_ceil(BLOCK).max(1) as u32, m.div_ceil(BLOCK).max(1) as u32, count.max(1) as u32];
        if !out.is_empty() {
            gpu.dispatch(MATMUL.kernel("main"), &params, &[a.buffer(), b.buffer(), out.buffer()], groups);
        }
        let mut shape = batch;
        shape.extend([m, n]);
        Tensor::from_op(out, shape, "matmul", &[&a, &b], move |inputs, _, g| {
            let (a, b) = (&inputs[0], &inputs[1]);
            let grad_a =
                if transpose_a { b.matmul_t(g, transpose_b, true) } else { g.matmul_t(b, false, !transpose_b) };
            let grad_b =
                if transpose_b { g.matmul_t(a, true, transpose_a) } else { a.matmul_t(g, !transpose_a, false) };
            vec![Some(grad_a.sum_to(a.shape())), Some(grad_b.sum_to(b.shape()))]
        })
    }
}
