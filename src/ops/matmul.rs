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

/// How the tiled core of `gemm.wgsl` shares a tile of C among the invocations
/// of a workgroup (the shader's blocking constants; its header says why these).
/// Every blocking computes the same result; `for_problem` picks one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Invocations per workgroup along columns (x) and rows (y): powers of 2.
    pub invocations: (u32, u32),
    /// 4 x 4 blocks of C per invocation along rows and columns: 1, 2 or 4.
    pub blocks: (u32, u32),
}

impl Blocking {
    /// 16 x 16 invocations of 8 x 8 values: a 128 x 128 tile.
    pub const GPU: Blocking = Blocking { invocations: (16, 16), blocks: (2, 2) };
    /// 8 x 8 invocations of 16 x 16 values (lavapipe's SIMD lanes): 128 x 128.
    pub const CPU: Blocking = Blocking { invocations: (8, 8), blocks: (4, 4) };
    /// 8 x 8 invocations of 8 x 8 values: 64 x 64, for narrow problems.
    pub const SMALL: Blocking = Blocking { invocations: (8, 8), blocks: (2, 2) };
    /// A row of 64 invocations of 4 x 4 values: 4 x 256, for at most 4 rows.
    pub const THIN_GPU: Blocking = Blocking { invocations: (64, 1), blocks: (1, 1) };
    /// A row of 16 invocations of 4 x 16 values: 4 x 256.
    pub const THIN_CPU: Blocking = Blocking { invocations: (16, 1), blocks: (1, 4) };
    pub const ALL: [Blocking; 5] = [Self::GPU, Self::CPU, Self::SMALL, Self::THIN_GPU, Self::THIN_CPU];

    /// The blocking for an M x N product on this device. M of at most 4 gets
    /// the thin tile. A 128-wide tile would waste half its work or more along
    /// a side of at most 64: GPUs then take the 64 x 64 tile; CPU adapters keep
    /// 16 x 16 values per invocation (their speed comes from that) and halve
    /// the invocations along the short side, unless both sides are short.
    pub fn for_problem(m: usize, n: usize) -> Blocking {
        let cpu = device().info.device_type == wgpu::DeviceType::Cpu;
        let short = |size: usize| size <= 64;
        match (m, cpu) {
            (..=4, true) => Blocking::THIN_CPU,
            (..=4, false) => Blocking::THIN_GPU,
            _ if short(m) && short(n) => Blocking::SMALL,
            (_, true) => {
                let side = |size: usize| if short(size) { 4 } else { 8 };
                Blocking { invocations: (side(n), side(m)), ..Blocking::CPU }
            }
            _ if short(m) || short(n) => Blocking::SMALL,
            (_, false) => Blocking::GPU,
        }
    }

    /// Rows and columns of C per workgroup.
    pub fn tile(self) -> (usize, usize) {
        let (x, y) = self.invocations;
        let (m, n) = self.blocks;
        (4 * (y * m) as usize, 4 * (x * n) as usize)
    }

    /// The shader's `OP` constant: the family's gather code in the low 4 bits,
    /// then log2 of the invocations along x and y and of the blocks along rows
    /// and columns, 4 bits each.
    pub(crate) fn op(self, gather: u32) -> u32 {
        let fields = [self.invocations.0, self.invocations.1, self.blocks.0, self.blocks.1];
        fields.iter().enumerate().fold(gather, |op, (i, v)| op | v.trailing_zeros() << (4 + 4 * i))
    }

    /// Workgroups for `problems` independent M x N products: tiles of columns
    /// in x, tiles of rows in y, problems in z.
    pub(crate) fn grid(self, m: usize, n: usize, problems: usize) -> [u32; 3] {
        let (rows, cols) = self.tile();
        let max = device().limits.max_compute_workgroups_per_dimension as usize;
        let grid = [n.div_ceil(cols).max(1), m.div_ceil(rows).max(1), problems.max(1)];
        assert!(
            grid.iter().all(|&g| g <= max),
            "a {m} x {n} product repeated {problems} times needs {grid:?} workgroups; this GPU allows {max} per dimension"
        );
        grid.map(|g| g as u32)
    }
}

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
        let blocking = blocking.unwrap_or_else(|| Blocking::for_problem(rows, cols));
        if !out.is_empty() {
            device().dispatch(
                MATMUL.kernel_for("main", blocking.op(0)),
                &params,
                &[first.0.buffer(), second.0.buffer(), out.buffer()],
                blocking.grid(rows, cols, count),
            );
        }
        let mut shape = batch;
        shape.extend([m, n]);
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
    }
}
