//! Matrix multiplication (`shaders/matmul.wgsl` on the tiled core
//! `shaders/gemm.wgsl`): 2-D or batched, with either operand read transposed
//! (no copy: the kernel just swaps its strides).
//!
//! With op(X) meaning X or its transpose, C = op(A) op(B) has
//! dop(A) = G op(B)^T and dop(B) = op(A)^T G. Undoing the transposes turns both
//! into further `matmul_t` calls, so the gradient of a matmul is two matmuls,
//! and is itself differentiable.

use super::broadcast_shapes;
use crate::gpu::{device, Params, Storage, MATMUL};
use crate::tensor::{numel, Tensor};

/// How the tiled core of `gemm.wgsl` shares a tile of C among invocations: its
/// `BLOCKING` pipeline constant (see the shader's header for the why). Every
/// blocking computes the same result; `for_problem` picks the fastest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocking {
    /// 16 x 16 invocations of 8 x 8 values: a 128 x 128 tile.
    Gpu = 0,
    /// 8 x 8 invocations of 16 x 16 values (lavapipe's SIMD lanes): 128 x 128.
    Cpu = 1,
    /// 8 x 8 invocations of 8 x 8 values: 64 x 64, for thin problems.
    Small = 2,
}

impl Blocking {
    /// The blocking for an M x N product on this device: a 128-wide tile would
    /// waste half its work or more when M or N is at most 64.
    pub fn for_problem(m: usize, n: usize) -> Blocking {
        if m.min(n) <= 64 {
            Blocking::Small
        } else if device().info.device_type == wgpu::DeviceType::Cpu {
            Blocking::Cpu
        } else {
            Blocking::Gpu
        }
    }

    /// Rows and columns of C per workgroup.
    pub fn tile(self) -> usize {
        if self == Blocking::Small {
            64
        } else {
            128
        }
    }

    /// The shader's `OP` constant: the family's gather code in the low 4 bits.
    pub(crate) fn op(self, gather: u32) -> u32 {
        gather | (self as u32) << 4
    }

    /// Workgroups for `problems` independent M x N products: tiles of columns
    /// in x, tiles of rows in y, problems in z.
    pub(crate) fn grid(self, m: usize, n: usize, problems: usize) -> [u32; 3] {
        let max = device().limits.max_compute_workgroups_per_dimension as usize;
        let grid = [n.div_ceil(self.tile()).max(1), m.div_ceil(self.tile()).max(1), problems.max(1)];
        assert!(
            grid.iter().all(|&g| g <= max),
            "a {m} x {n} product repeated {problems} times needs {grid:?} workgroups; this GPU allows {max} per dimension"
        );
        grid.map(|g| g as u32)
    }
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
        let blocking = blocking.unwrap_or_else(|| Blocking::for_problem(m, n));
        if !out.is_empty() {
            device().dispatch(
                MATMUL.kernel_for("main", blocking.op(0)),
                &params,
                &[a.buffer(), b.buffer(), out.buffer()],
                blocking.grid(m, n, count),
            );
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
