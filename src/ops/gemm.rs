//! The blockings of the tiled matrix-multiply core `shaders/gemm.wgsl`, which
//! matmul and the convolutions share: how a workgroup's tile of C is divided
//! among its invocations, and which blocking suits a problem on this device.

use super::tiles;
use crate::gpu::{device, Params, Shader, Storage};

/// How the tiled core of `gemm.wgsl` shares a tile of C among the invocations
/// of a workgroup (the shader's blocking constants; its header says why these).
/// Every blocking computes the same result; `for_problem` picks one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Invocations per workgroup along columns (x) and rows (y): powers of 2.
    pub invocations: (u32, u32),
    /// 4 x 4 blocks of C per invocation along rows (1, 2, 4 or 8) and
    /// columns (1, 2 or 4).
    pub blocks: (u32, u32),
    /// Each invocation reads its values of A and B straight from the gathers:
    /// no tiles in workgroup memory, so no barrier. Wasteful where a GPU
    /// shares loads through fast workgroup memory; faster on a CPU driver,
    /// which pays dearly for each barrier (gemm.wgsl's header).
    pub direct: bool,
}

impl Blocking {
    /// 16 x 16 invocations of 8 x 8 values: a 128 x 128 tile.
    pub const GPU: Blocking = Blocking { invocations: (16, 16), blocks: (2, 2), direct: false };
    /// A row of 8 invocations (one of lavapipe's SIMD vectors) of 32 x 16
    /// values, direct: 32 x 128.
    pub const CPU: Blocking = Blocking { invocations: (8, 1), blocks: (8, 4), direct: true };
    /// 8 x 8 invocations of 8 x 8 values: 64 x 64, for narrow problems.
    pub const SMALL: Blocking = Blocking { invocations: (8, 8), blocks: (2, 2), direct: false };
    /// The same, direct.
    pub const SMALL_CPU: Blocking = Blocking { direct: true, ..Self::SMALL };
    /// A row of 64 invocations of 4 x 4 values: 4 x 256, for at most 4 rows.
    pub const THIN_GPU: Blocking = Blocking { invocations: (64, 1), blocks: (1, 1), direct: false };
    /// A row of 16 invocations of 4 x 16 values, direct: 4 x 256.
    pub const THIN_CPU: Blocking = Blocking { invocations: (16, 1), blocks: (1, 4), direct: true };
    /// A row of 16 invocations of 4 x 4 values, direct: 4 x 64, for at most 4
    /// rows and 64 columns.
    pub const THIN_SHORT_CPU: Blocking = Blocking { invocations: (16, 1), blocks: (1, 1), direct: true };
    /// A row of 64 invocations of 8 x 4 values: 8 x 256, for 5 to 8 rows.
    pub const ROWS8_GPU: Blocking = Blocking { invocations: (64, 1), blocks: (2, 1), direct: false };
    /// A row of 8 invocations of 8 x 16 values, direct: 8 x 128.
    pub const ROWS8_CPU: Blocking = Blocking { invocations: (8, 1), blocks: (2, 4), direct: true };
    /// A row of 64 invocations of 16 x 4 values: 16 x 256, for 9 to 16 rows.
    pub const ROWS16_GPU: Blocking = Blocking { invocations: (64, 1), blocks: (4, 1), direct: false };
    /// A row of 16 invocations of 16 x 16 values, direct: 16 x 256.
    pub const ROWS16_CPU: Blocking = Blocking { invocations: (16, 1), blocks: (4, 4), direct: true };
    pub const ALL: [Blocking; 11] = [
        Self::GPU,
        Self::CPU,
        Self::SMALL,
        Self::SMALL_CPU,
        Self::THIN_GPU,
        Self::THIN_CPU,
        Self::THIN_SHORT_CPU,
        Self::ROWS8_GPU,
        Self::ROWS8_CPU,
        Self::ROWS16_GPU,
        Self::ROWS16_CPU,
    ];

    // ANCHOR: blocking
    /// The blocking for an M x N product on this device: its shape class's
    /// entry in this adapter's tile table (`tiles`: the cached row measured
    /// by `ganforge bench --tune`, else the built-in row for its kind).
    pub fn for_problem(m: usize, n: usize) -> Blocking {
        tiles::active().table.for_shape(m, n)
    }
    // ANCHOR_END: blocking

    /// Rows and columns of C per workgroup.
    pub fn tile(self) -> (usize, usize) {
        let (x, y) = self.invocations;
        let (m, n) = self.blocks;
        (4 * (y * m) as usize, 4 * (x * n) as usize)
    }

    /// The shader's `OP` constant: the family's gather code in the low 4 bits,
    /// then log2 of the invocations along x and y and of the blocks along rows
    /// and columns, 4 bits each, then bit 20 for `direct`, bit 21 where it
    /// shares A (`shares_a`) and bit 22 where the family says that every 4
    /// columns of C from a multiple of 4 are one aligned vec4 of its storage
    /// (`c_in_vec4`: gemm.wgsl's "C in vec4s").
    pub(crate) fn op(self, gather: u32, c_in_vec4: bool) -> u32 {
        let fields = [self.invocations.0, self.invocations.1, self.blocks.0, self.blocks.1];
        let flags = u32::from(self.direct) << 20 | u32::from(self.shares_a()) << 21 | u32::from(c_in_vec4) << 22;
        fields.iter().enumerate().fold(gather | flags, |op, (i, v)| op | v.trailing_zeros() << (4 + 4 * i))
    }

    /// Whether the lanes of a subgroup share A's row blocks on this device
    /// (gemm.wgsl's "Shared A"): each lane loads one and reads the others
    /// from the lanes that loaded them. For a direct blocking that is one row
    /// of invocations (all of whose lanes need the same row blocks) of 2 or
    /// more row blocks, on a device whose every subgroup holds that many
    /// lanes of the workgroup.
    pub fn shares_a(self) -> bool {
        let (rows, blocks) = (self.invocations.1, self.blocks.0);
        self.direct && rows == 1 && (2..=self.invocations.0).contains(&blocks) && device().subgroups_hold(blocks)
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

/// The packed copy of A that a direct blocking reads (gemm.wgsl's "Packed
/// A"): dispatches the family `shader`'s pack_a entry point with the GEMM's
/// own `params` and A in `a`, for `problems` copies of an M x K A, and returns
/// the copy to bind as the GEMM's `packed_a`. None where the blocking reads A
/// through its tiles, where its lanes share A (each gathers its own row
/// block, so a copy would not repay its dispatch), or where there is nothing
/// to pack (an empty A).
pub(crate) fn pack_a(
    shader: &'static Shader,
    blocking: Blocking,
    gather: u32,
    params: &Params,
    a: &wgpu::Buffer,
    (m, k, problems): (usize, usize, usize),
) -> Option<Storage> {
    if !blocking.direct || blocking.shares_a() || m == 0 || k == 0 || problems == 0 {
        return None;
    }
    // The shader's packed_row_blocks() and packed_k().
    let vec4s = m.next_multiple_of(blocking.tile().0) / 4 * k.next_multiple_of(16);
    let packed = Storage::new(problems * vec4s * 4);
    let mut grid = device().grid(vec4s, 64);
    // The GEMM's own grid, computed first, has checked `problems` against the limit.
    grid[2] = problems as u32;
    // The pack depends on the blocking only through the tile's rows: one
    // pipeline serves every blocking with the same rows (fewer to compile).
    let rows_only = Blocking { invocations: (1, blocking.invocations.1), blocks: (blocking.blocks.0, 1), direct: true };
    device().dispatch(shader.kernel_for("pack_a", rows_only.op(gather, false)), params, &[a, packed.buffer()], grid);
    Some(packed)
}
