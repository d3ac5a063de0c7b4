// gemm.wgsl — the tiled matrix-multiply core shared by matmul.wgsl and conv.wgsl.
//
// Not a kernel by itself: gpu/shaders.rs compiles it in front of a family file,
// which supplies the bindings and three functions (the "gathers"):
//   gather_a(z, row, k) -> f32   element [row, k] of A in problem z, 0 outside A;
//   gather_b(z, k, col) -> f32   element [k, col] of B in problem z, 0 outside B;
//   store_c(z, row, col, value)  writes C[row, col] of problem z, if inside C.
// For matmul the gathers read strided matrices; for convolutions they read
// the image through the im2col pattern, so no patch matrix is ever stored.
//
// What one workgroup computes: a TILE x TILE block of C (rows tile.y * TILE..,
// columns tile.x * TILE..) of problem z. K is walked in steps of BK: the
// workgroup copies the TILE x BK slice of A and the BK x TILE slice of B into
// workgroup memory (fill_tiles), then each invocation multiplies its share out
// of it (multiply_tiles). Each value copied from global memory is then used by
// TILE / (4 * BLOCKS) invocations.
//
// An invocation's share: BLOCKS x BLOCKS blocks of 4 x 4 values of C, each a
// mat4x4 accumulator. Invocation (x, y) owns the row blocks y + SIDE * i and
// the column blocks x + SIDE * j (i, j < BLOCKS): neighbouring invocations read
// neighbouring vec4s of the tiles. Per step of k it loads BLOCKS vec4s of A and
// BLOCKS vec4s of B and does 16 BLOCKS^2 multiply-adds (rank1). The A tile is
// stored transposed ([k][row]) so that 4 rows of one k are one vec4.
//
// The blocking is a pipeline constant (OP >> 4, chosen by the Rust side):
//   0  GPUs: 16 x 16 invocations of 2 x 2 blocks (8 x 8 values), TILE 128;
//   1  CPU adapters: 8 x 8 invocations of 4 x 4 blocks (16 x 16 values), TILE 128;
//   2  small problems: 8 x 8 invocations of 2 x 2 blocks, TILE 64.
// On a GPU 64 accumulators per invocation fit in registers. On lavapipe an
// invocation is one SIMD lane and every load from workgroup memory is a loop
// over the 8 lanes, so loads dominate unless each feeds many multiply-adds:
// 16 x 16 values per invocation does 4x the work per load (2x the speed, even
// though the accumulators spill to the stack). Tile sizes here are the same
// (TILE = 128, BK = 16: 16 KiB of workgroup memory, the WebGPU minimum limit).
// Accumulators are separate variables, not an array: lavapipe keeps private
// arrays in memory and indexes them per lane (5x slower, measured).
// OP & 15 is left to the family file (which gather it runs).
//
// Version 2: shared core with mat4x4 blocks, blocking by pipeline constant;
//   1024^3 on lavapipe (2 cores, AVX2) 2.5 -> 17 GFLOP/s.
// Version 1: 64 x 64 tile, 16 x 16 invocations of 4 x 4 scalars, BK 16.

override OP: u32 = 0u;
override GATHER: u32 = OP & 15u;
override BLOCKING: u32 = OP >> 4u;
override SIDE: u32 = select(8u, 16u, BLOCKING == 0u);
override BLOCKS: u32 = select(2u, 4u, BLOCKING == 1u);
override TILE: u32 = 4u * SIDE * BLOCKS;
override INVOCATIONS: u32 = SIDE * SIDE;

const BK: u32 = 16u;

var<workgroup> tile_a: array<vec4<f32>, BK * TILE / 4u>; // [BK][TILE / 4]: rows 4i..4i+3 of A at one k
var<workgroup> tile_b: array<vec4<f32>, BK * TILE / 4u>; // [BK][TILE / 4]: columns 4j..4j+3 of B at one k

// Accumulator block (i, j) of this invocation; the blocks with i or j >= 2
// exist only when BLOCKS is 4.
var<private> c00: mat4x4<f32>;
var<private> c01: mat4x4<f32>;
var<private> c02: mat4x4<f32>;
var<private> c03: mat4x4<f32>;
var<private> c10: mat4x4<f32>;
var<private> c11: mat4x4<f32>;
var<private> c12: mat4x4<f32>;
var<private> c13: mat4x4<f32>;
var<private> c20: mat4x4<f32>;
var<private> c21: mat4x4<f32>;
var<private> c22: mat4x4<f32>;
var<private> c23: mat4x4<f32>;
var<private> c30: mat4x4<f32>;
var<private> c31: mat4x4<f32>;
var<private> c32: mat4x4<f32>;
var<private> c33: mat4x4<f32>;

// acc + u v^T: row r of the 4 x 4 block gains u[r] * v.
fn rank1(acc: mat4x4<f32>, u: vec4<f32>, v: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(
        fma(vec4<f32>(u.x), v, acc[0]),
        fma(vec4<f32>(u.y), v, acc[1]),
        fma(vec4<f32>(u.z), v, acc[2]),
        fma(vec4<f32>(u.w), v, acc[3]),
    );
}

// Copies A[row0.., k0..k0+BK] and B[k0..k0+BK, col0..] into the tiles, one vec4
// slot at a time; the slots are dealt round-robin to the invocations. In the A
// tile k varies fastest between neighbouring invocations (neighbouring
// addresses for a row-major A), in the B tile the column does.
fn fill_tiles(z: u32, row0: u32, col0: u32, k0: u32, lid: u32) {
    let slots_per_row = TILE / 4u;
    for (var s = 0u; s < BK * slots_per_row / INVOCATIONS; s++) {
        let slot = lid + s * INVOCATIONS;
        let ka = slot % BK;
        let rows = slot / BK;
        let row = row0 + 4u * rows;
        let k = k0 + ka;
        tile_a[ka * slots_per_row + rows] = vec4<f32>(
            gather_a(z, row, k),
            gather_a(z, row + 1u, k),
            gather_a(z, row + 2u, k),
            gather_a(z, row + 3u, k),
        );
        let kb = slot / slots_per_row;
        let cols = slot % slots_per_row;
        let col = col0 + 4u * cols;
        let k_b = k0 + kb;
        tile_b[kb * slots_per_row + cols] = vec4<f32>(
            gather_b(z, k_b, col),
            gather_b(z, k_b, col + 1u),
            gather_b(z, k_b, col + 2u),
            gather_b(z, k_b, col + 3u),
        );
    }
}

// The invocation's multiply-adds over one pair of tiles.
fn multiply_tiles(x: u32, y: u32) {
    for (var k = 0u; k < BK; k++) {
        let ra = k * (TILE / 4u) + y;
        let rb = k * (TILE / 4u) + x;
        let a0 = tile_a[ra];
        let a1 = tile_a[ra + SIDE];
        let b0 = tile_b[rb];
        let b1 = tile_b[rb + SIDE];
        c00 = rank1(c00, a0, b0);
        c01 = rank1(c01, a0, b1);
        c10 = rank1(c10, a1, b0);
        c11 = rank1(c11, a1, b1);
        if (BLOCKS == 4u) {
            let a2 = tile_a[ra + 2u * SIDE];
            let a3 = tile_a[ra + 3u * SIDE];
            let b2 = tile_b[rb + 2u * SIDE];
            let b3 = tile_b[rb + 3u * SIDE];
            c02 = rank1(c02, a0, b2);
            c03 = rank1(c03, a0, b3);
            c12 = rank1(c12, a1, b2);
            c13 = rank1(c13, a1, b3);
            c20 = rank1(c20, a2, b0);
            c21 = rank1(c21, a2, b1);
            c22 = rank1(c22, a2, b2);
            c23 = rank1(c23, a2, b3);
            c30 = rank1(c30, a3, b0);
            c31 = rank1(c31, a3, b1);
            c32 = rank1(c32, a3, b2);
            c33 = rank1(c33, a3, b3);
        }
    }
}

// Accumulates the workgroup's tile of C = A[:, k_begin..k_end] B[k_begin..k_end, :]
// for problem z into the invocation's accumulators.
fn accumulate(z: u32, tile: vec2<u32>, k_begin: u32, k_end: u32, local: vec2<u32>, lid: u32) {
    for (var k0 = k_begin; k0 < k_end; k0 += BK) {
        fill_tiles(z, tile.y * TILE, tile.x * TILE, k0, lid);
        workgroupBarrier();
        multiply_tiles(local.x, local.y);
        workgroupBarrier();
    }
}

// Hands the 16 values of accumulator block (i, j) to store_c.
fn store_block(z: u32, tile: vec2<u32>, local: vec2<u32>, i: u32, j: u32, block: mat4x4<f32>) {
    let row = tile.y * TILE + 4u * (local.y + SIDE * i);
    let col = tile.x * TILE + 4u * (local.x + SIDE * j);
    for (var r = 0u; r < 4u; r++) {
        for (var q = 0u; q < 4u; q++) {
            store_c(z, row + r, col + q, block[r][q]);
        }
    }
}

// Writes the invocation's accumulators through store_c.
fn write_tile(z: u32, tile: vec2<u32>, local: vec2<u32>) {
    store_block(z, tile, local, 0u, 0u, c00);
    store_block(z, tile, local, 0u, 1u, c01);
    store_block(z, tile, local, 1u, 0u, c10);
    store_block(z, tile, local, 1u, 1u, c11);
    if (BLOCKS == 4u) {
        store_block(z, tile, local, 0u, 2u, c02);
        store_block(z, tile, local, 0u, 3u, c03);
        store_block(z, tile, local, 1u, 2u, c12);
        store_block(z, tile, local, 1u, 3u, c13);
        store_block(z, tile, local, 2u, 0u, c20);
        store_block(z, tile, local, 2u, 1u, c21);
        store_block(z, tile, local, 2u, 2u, c22);
        store_block(z, tile, local, 2u, 3u, c23);
        store_block(z, tile, local, 3u, 0u, c30);
        store_block(z, tile, local, 3u, 1u, c31);
        store_block(z, tile, local, 3u, 2u, c32);
        store_block(z, tile, local, 3u, 3u, c33);
    }
}
