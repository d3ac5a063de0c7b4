//! Matrix multiplication (`shaders/matmul.wgsl` on the tiled core
//! `shaders/gemm.wgsl`): 2-D or batched, with either operand read transposed
//! (no copy: the kernel just swaps its strides).
//!
//! With op(X) meaning X or its transpose, C = op(A) op(B) has
//! dop(A) = G op(B)^T and dop(B) = op(A)^T G. Undoing the transposes turns both
//! into further `matmul_t` calls, so the gradient of a matmul is two matmuls,
//! and is itself differentiable.

use super::broadcast_shapes;
use super::gemm::{pack_a, Blocking};
use crate::gpu::{device, Params, Storage, Work, MATMUL};
use crate::tensor::{numel, Tensor};

/// (row, column, batch) strides of X^T, given those of X.
fn swapped([row, col, batch]: [usize; 3]) -> [usize; 3] {
    [col, row, batch]
}

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
        self.matmul_blocked(other, transpose_a, transpose_b, None)
    }

    /// `matmul_t` with the kernel's blocking chosen by the caller (benchmarks
    /// and tests compare them); `None` lets `Blocking::for_problem` choose.
    pub fn matmul_blocked(
        &self,
        other: &Tensor,
        transpose_a: bool,
        transpose_b: bool,
        blocking: Option<Blocking>,
    ) -> Tensor {
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
        // Element (row, col) of op(A) sits at row * a_row + col * a_col, and
        // alike for op(B) and C.
        let a_strides = if transpose_a { [1, m, a_batch] } else { [k, 1, a_batch] };
        let b_strides = if transpose_b { [1, k, b_batch] } else { [n, 1, b_batch] };
        // A product with at most 4 columns but more rows runs as
        // C^T = op(B)^T op(A)^T, so that it gets the thin tile (4 rows): the
        // kernel then reads op(B) as its A with row and column strides
        // swapped, op(A) as its B, and writes its rows as C's columns.
        let swap = n <= 4 && m > 4;
        let (first, second, (rows, cols), c_strides) = if swap {
            ((&b, swapped(b_strides)), (&a, swapped(a_strides)), (n, m), [1, n])
        } else {
            ((&a, a_strides), (&b, b_strides), (m, n), [n, 1])
        };
        let params = [rows, cols, k, 0].into_iter().chain(first.1).chain(second.1).chain(c_strides);
        let params = params.fold(Params::new(), Params::size);
        let out = Storage::new(count * m * n);
        // C's rows are whole vec4s when stored unswapped with N a multiple of 4.
        let c_in_vec4 = !swap && n.is_multiple_of(4);
        let blocking = blocking.unwrap_or_else(|| Blocking::for_problem(rows, cols));
        if !out.is_empty() {
            // Checked first: the grid refuses a batch the device cannot dispatch.
            let grid = blocking.grid(rows, cols, count);
            // One packed A serves every problem where A's batch stride is 0.
            let packed_problems = if first.1[2] == 0 { 1 } else { count };
            let packed = pack_a(&MATMUL, blocking, 0, &params, first.0.buffer(), (rows, k, packed_problems));
            let packed_a = packed.as_ref().map_or(first.0.buffer(), Storage::buffer);
            device().dispatch_with_work(
                MATMUL.kernel_for("main", blocking.op(0, c_in_vec4)),
                &params,
                &[first.0.buffer(), second.0.buffer(), out.buffer(), packed_a],
                grid,
                Some(Work::gemm(rows, cols, k, count)),
            );
        }
        let mut shape = batch;
        shape.extend([m, n]);
        // ANCHOR: matmul_backward
        Tensor::from_op(out, shape, "matmul", &[&a, &b], move |inputs, _, g| {
            let (a, b) = (&inputs[0], &inputs[1]);
            let grad_a = a.tracks_grad().then(|| {
                let grad =
                    if transpose_a { b.matmul_t(g, transpose_b, true) } else { g.matmul_t(b, false, !transpose_b) };
                grad.sum_to(a.shape())
            });
            let grad_b = b.tracks_grad().then(|| {
                let grad =
                    if transpose_b { g.matmul_t(a, true, transpose_a) } else { a.matmul_t(g, !transpose_a, false) };
                grad.sum_to(b.shape())
            });
            vec![grad_a, grad_b]
        })
        // ANCHOR_END: matmul_backward
    }
}
