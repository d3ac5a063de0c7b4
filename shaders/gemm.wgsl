// gemm.wgsl — the tiled matrix-multiply core shared by matmul.wgsl and conv.wgsl.
//
// Not a kernel by itself: gpu/shaders.rs compiles it in front of a family file,
// which supplies the bindings, a struct `Columns` and four functions (the
// "gathers"):
//   gather_a(z, row, k) -> f32   element [row, k] of A in problem z, 0 outside A;
//   columns(z, col) -> Columns   what the family needs to find columns
//                                col..col+3 of B in problem z, at any k;
//   gather_b4(z, k, columns) -> vec4<f32>
//                                elements [k, col..col+3] of B, 0 outside B;
//   out_row(z, row) -> RowPart   what storing C's row `row` of problem z
//                                needs (a type of the family's: its part of
//                                C's index, and a convolution's bias), found
//                                once per row of an invocation's blocks;
//   out_col(z, col) -> u32       the part of C[row, col]'s index from its
//                                column, found once per column;
//   store_c(z, row, col, row_part, col_part, value)
//                                writes C[row, col] of problem z, if inside C;
//   store_c4(z, row, col, row_part, col_part, values)
//                                writes C[row, col..col + 3] of problem z as
//                                one vec4 at the index of C[row, col], if
//                                inside C (only called with C_IN_VEC4, below).
// and, for the packed copy of A that direct blockings read (see "Packed A"):
//   product_size() -> vec3<u32>  (M, N, K) of one problem;
//   packed_problem(z) -> u32     which packed problem holds problem z's A (0
//                                for every z where all problems share one A);
//   bindings `packed_a` (read, beside the GEMM's) and `packing` (write, the
//   pack_a entry point's), both array<vec4<f32>>.
// The core's entry point pack_a copies the family's `params` binding into
// its private `p` first, as the family's own entry point does (below).
// B is read through `columns` because an invocation that reads B without a
// tile keeps the same columns for the whole walk along K: it finds them once
// (for a convolution that means splitting the positions into batch, row and
// column) and then only adds the part that depends on k.
// For matmul the gathers read strided matrices; for convolutions they read
// the image through the im2col pattern, so no patch matrix is ever stored.
//
// What one workgroup computes: a TILE_M x TILE_N block of C (rows from
// tile.y * TILE_M, columns from tile.x * TILE_N) of problem z. K is walked in
// steps of BK: the workgroup copies the TILE_M x BK slice of A and the
// BK x TILE_N slice of B into workgroup memory (fill_tiles), then each
// invocation multiplies its share out of it (multiply_tiles). A value of A
// copied from global memory is then used by SIDE_X invocations, one of B by
// SIDE_Y; a workgroup that is a single row of invocations (SIDE_Y = 1) shares
// no value of B, so it reads B straight from the gather instead of a tile.
//
// Direct blockings (DIRECT) use no tiles at all: each invocation reads its
// values of B straight from the gather and its values of A from a packed
// copy (below), so the loop has no barrier.
// On a GPU that gives up the sharing the tiles exist for. On lavapipe the
// sharing costs more than it saves: a workgroup with barriers runs as
// coroutines, one per group of 8 lanes, switched at every barrier (removing
// the barriers, and nothing else, made the big GEMMs 30-40% faster).
// Measured by `ganforge bench --sweep gemm` on the dcgan28 and StyleGAN2
// shapes: products of at most 16 rows 1.3-1.8x faster direct, 64- and
// 128-row ones 1.1-1.3x, once a convolution's gather splits its columns'
// positions only once (`columns`).
//
// An invocation's share: BLOCKS_M x BLOCKS_N blocks of 4 x 4 values of C, each
// a mat4x4 accumulator. Invocation (x, y) owns the row blocks y + SIDE_Y * i
// and the column blocks x + SIDE_X * j (i < BLOCKS_M, j < BLOCKS_N), so
// neighbouring invocations read neighbouring vec4s of the tiles. Per step of k
// it loads BLOCKS_M vec4s of A and BLOCKS_N of B and does 16 BLOCKS_M BLOCKS_N
// multiply-adds (rank1). The A tile is stored transposed ([k][row]) so that 4
// rows at one k are one vec4.
//
// The blocking is a pipeline constant chosen by the Rust side (ops/gemm.rs,
// `Blocking`): bits 4.., 8.., 12.. and 16.. of OP hold log2 of SIDE_X, SIDE_Y,
// BLOCKS_M (1, 2, 4 or 8 blocks) and BLOCKS_N (1, 2 or 4), bit 20 DIRECT,
// bit 21 SHARED_A (see "Shared A" below). On
// a GPU the usual choice is 16 x 16 invocations of 2 x 2 blocks (8 x 8
// values: 64 accumulators fit in registers), a 128 x 128 tile.
// On lavapipe an invocation is one lane of an 8-wide SIMD vector, and the
// register tile (the R x C values of one invocation) sets the speed. A load
// from a storage buffer or from workgroup memory is a loop over the 8 lanes,
// one scalar load each, even where every lane reads the same address (Mesa
// 22.3 has no shared-address path): about 16 cycles per value for all 8
// lanes (10 for a vec4 load, per value). Per step of k an invocation loads
// R + C values and does R C multiply-adds on 8 lanes, so the loads cap its
// rate at R C / (R + C) flops per cycle against the 32 of the two FMA units:
// 25% of the FMA peak for 16 x 16 values, 33% for 32 x 16. Measured on the
// big dcgan28 convolutions: 22-24% and 31-33%; with the loads replaced by
// arithmetic the same kernels ran at 85-95% of the peak, so the accumulators
// spilling to the stack cost little. 32 x 32 values (1,024 accumulators of 8
// lanes, 32 KiB) ran slower than 32 x 16. Hence the CPU row's 32 x 16 for
// large products, in a row of 8 invocations (one SIMD vector: the rows are
// the workgroup's, the columns the lanes').
// Packed A (direct blockings without shared A, below): in a direct blocking
// every lane of a workgroup reads the same
// rows of A (the rows are the workgroup's, the columns the lanes'), 4 scalar
// loads per row block and step of k through gather_a's index arithmetic. A
// vec4 load costs less per value than a scalar one (10 cycles against 16
// above), so before a direct product a pack_a dispatch copies A, once, into
// `packed_a` as [problem][row block][k] vec4s: rows 4 rb..4 rb + 3 at column
// k, zeros outside A, rows padded to whole tiles and K to a multiple of 16
// (no step of k reads past its row block). A row block of the GEMM then
// costs one vec4 load. On lavapipe the big dcgan28 convolutions ran
// 1.13-1.27x faster and matmul 1024^3 1.1x or more; the packs themselves,
// 0.1-0.7 ms each, are 2.3% of the dcgan28 step's GPU time.
// Shared A (SHARED_A, bit 21 of OP): with packing, every lane of a direct
// blocking still loads the same BLOCKS_M row blocks of A per step of k, the
// same addresses 8 times over on lavapipe, 320 of the ~830 cycles a step of
// the 32 x 16 blocking costs there. Where the device has subgroup operations
// (lanes.wgsl) and a subgroup holds BLOCKS_M lanes, lane l loads only row
// block l % BLOCKS_M, and every lane reads block i from lane i's register
// (from_lane, a shuffle inside the SIMD vector). One vec4 load per step of k
// instead of BLOCKS_M: dcgan28's big convolutions 1.4-1.5x faster on
// lavapipe. ops/gemm.rs decides (Blocking::shares_a) and sets the bit.
// With one row block a lane, the packed copy no longer pays for its own
// dispatch: a lane gathers its 4 values from A itself (a_rows), and no
// pack_a runs. On lavapipe a vec4 load is a loop over the lanes per
// component, so it saved little over 4 gathered values: timed alternately
// (the minimum of 12-15 runs each), gathering took 0.80-1.20x the packed
// time at the dcgan28, ProGAN and CycleGAN shapes, 1.0x on average, while
// every step lost a dispatch per product (ProGAN's ~160 of ~1,060,
// CycleGAN's ~370 of ~2,760).
// With A that cheap, a taller register tile looked next; 64 x 16 values (16
// row blocks, two loads a lane) ran 1.4x slower than 32 x 16: at 1,024
// accumulators a lane the spilling no longer hides behind the loads.
// C in vec4s (C_IN_VEC4, bit 22 of OP): the family sets it where every
// run of 4 columns of C from a multiple of 4 is 4 consecutive elements at a
// 16-byte boundary (a row-major C with N a multiple of 4; a convolution's
// output planes of a multiple of 4 pixels). The core then stores each row of
// a 4 x 4 block with one store_c4 instead of 4 store_c. On lavapipe a store
// costs like a load, a loop over the lanes, and where K is small the stores
// are much of a product: dcgan28's K = 16 convolutions (one store per 16
// multiply-adds) ran 1.25-1.3x faster.
// Problems with at most 4 rows (a convolution to one channel) take a 4-row
// tile: 1 row block per invocation, a row of invocations.
// BK is 16, or 8 when two 16-deep tiles would pass 16 KiB (the WebGPU default
// limit of workgroup memory); a direct blocking walks K in the same steps.
// Accumulators are separate variables, not an array: lavapipe keeps private
// arrays in memory and indexes them per lane (5x slower, measured).
// OP & 15 is left to the family file (which gather it runs).
// Each family copies its parameters from the storage buffer into a private
// `p` at entry: the gathers read p.m, p.n and p.k for every element, and a
// load from storage is repeated after every workgroupBarrier (another
// invocation could have written it), so reading the binding directly made
// the dcgan28 step 1.21 -> 1.67 s on lavapipe.
//
// Version 9: shared A gathers its row blocks from A, with no pack_a;
// version 8: C stored as vec4s where the family's layout allows (C_IN_VEC4),
// and a last, partial step of K walks only the columns of A it has;
// version 7: shared A, one row block per lane passed on through subgroup
//   shuffles (dcgan28's big convolutions 1.4-1.5x on lavapipe);
// version 6: direct blockings read A packed as vec4s (the big dcgan28
//   convolutions 1.13-1.27x faster on lavapipe), and C's indices come as a
//   row part plus a column part (dcgan28's K = 16 convolutions 1.2x, then
//   1.25x without a bias and 1.35-1.45x with one once out_row, with the
//   bias, ran once per row of C instead of store_c once per value);
//   version 5: 8 row blocks (32 x 16 values per invocation, the big dcgan28
//   convolutions 1.3-1.4x faster); version 4: direct blockings, B through
//   `columns` (the dcgan28 step 0.74-0.77 -> 0.61-0.64 s on lavapipe, with
//   conv.wgsl's fused bias); version 3: non-square tiles, thin problems read
//   B without a tile (an M = 1 convolution 0.03 -> 0.9 GFLOP/s on lavapipe);
//   version 2: shared core with mat4x4 blocks, blocking by pipeline
//   constant, 1024^3 on lavapipe (2 cores, AVX2) 2.5 -> 17 GFLOP/s; version
//   1: 64 x 64 tile, 16 x 16 invocations of 4 x 4 scalars.

override OP: u32 = 0u;
override GATHER: u32 = OP & 15u;
override SIDE_X: u32 = 1u << ((OP >> 4u) & 15u);
override SIDE_Y: u32 = 1u << ((OP >> 8u) & 15u);
override BLOCKS_M: u32 = 1u << ((OP >> 12u) & 15u);
override BLOCKS_N: u32 = 1u << ((OP >> 16u) & 15u);
override DIRECT: bool = ((OP >> 20u) & 1u) == 1u;
override SHARED_A: bool = ((OP >> 21u) & 1u) == 1u;
override C_IN_VEC4: bool = ((OP >> 22u) & 1u) == 1u;
// B is read straight from the gather, not from a tile.
override B_WITHOUT_TILE: bool = DIRECT | (SIDE_Y == 1u);
override TILE_M: u32 = 4u * SIDE_Y * BLOCKS_M;
override TILE_N: u32 = 4u * SIDE_X * BLOCKS_N;
override INVOCATIONS: u32 = SIDE_X * SIDE_Y;
override BK: u32 = select(8u, 16u, TILE_M + TILE_N <= 256u);

var<workgroup> tile_a: array<vec4<f32>, BK * TILE_M / 4u>; // [BK][TILE_M / 4]: rows 4i..4i+3 of A at one k
var<workgroup> tile_b: array<vec4<f32>, BK * TILE_N / 4u>; // [BK][TILE_N / 4]: columns 4j..4j+3 of B at one k

// Accumulator block (i, j) of this invocation; only those with i < BLOCKS_M
// and j < BLOCKS_N are used (up to 8 row blocks, 4 column blocks).
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
var<private> c40: mat4x4<f32>;
var<private> c41: mat4x4<f32>;
var<private> c42: mat4x4<f32>;
var<private> c43: mat4x4<f32>;
var<private> c50: mat4x4<f32>;
var<private> c51: mat4x4<f32>;
var<private> c52: mat4x4<f32>;
var<private> c53: mat4x4<f32>;
var<private> c60: mat4x4<f32>;
var<private> c61: mat4x4<f32>;
var<private> c62: mat4x4<f32>;
var<private> c63: mat4x4<f32>;
var<private> c70: mat4x4<f32>;
var<private> c71: mat4x4<f32>;
var<private> c72: mat4x4<f32>;
var<private> c73: mat4x4<f32>;

// Where DIRECT without SHARED_A: the index in `packed_a` of the workgroup's
// first row block at k = 0, and the distance between row blocks (set by
// `accumulate`).
var<private> packed_base: u32;
var<private> packed_stride: u32;
// Where SHARED_A: the row block of A this lane loads for the others, and the
// workgroup's first row.
var<private> own_block: u32;
var<private> first_row: u32;

// Where B_WITHOUT_TILE: the invocation's column block j of B (j < BLOCKS_N).
var<private> columns0: Columns;
var<private> columns1: Columns;
var<private> columns2: Columns;
var<private> columns3: Columns;

// acc + u v^T: row r of the 4 x 4 block gains u[r] * v.
// ANCHOR: rank1
fn rank1(acc: mat4x4<f32>, u: vec4<f32>, v: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(
        fma(vec4<f32>(u.x), v, acc[0]),
        fma(vec4<f32>(u.y), v, acc[1]),
        fma(vec4<f32>(u.z), v, acc[2]),
        fma(vec4<f32>(u.w), v, acc[3]),
    );
}
// ANCHOR_END: rank1

// Rows row..row + 3 of problem z's A at column k, as one vec4 (a row block:
// what the A tile and the packed copy hold).
fn a_rows(z: u32, row: u32, k: u32) -> vec4<f32> {
    return vec4<f32>(gather_a(z, row, k), gather_a(z, row + 1u, k), gather_a(z, row + 2u, k), gather_a(z, row + 3u, k));
}

// Copies A[row0.., k0..k0+BK] and B[k0..k0+BK, col0..] into the tiles, one vec4
// slot at a time; the slots are dealt round-robin to the invocations. In the A
// tile k varies fastest between neighbouring invocations (neighbouring
// addresses for a row-major A), in the B tile the column does.
fn fill_tiles(z: u32, row0: u32, col0: u32, k0: u32, lid: u32) {
    let a_slots = BK * TILE_M / 4u;
    for (var s = 0u; s < (a_slots + INVOCATIONS - 1u) / INVOCATIONS; s++) {
        let slot = lid + s * INVOCATIONS;
        if ((a_slots % INVOCATIONS == 0u) | (slot < a_slots)) {
            let ka = slot % BK;
            let rows = slot / BK;
            let row = row0 + 4u * rows;
            let k = k0 + ka;
            tile_a[ka * (TILE_M / 4u) + rows] = a_rows(z, row, k);
        }
    }
    // No B tile where B is read straight from the gather (a direct blocking,
    // or a single row of invocations, which shares no value of B).
    let b_slots = select(BK * TILE_N / 4u, 0u, B_WITHOUT_TILE);
    for (var s = 0u; s < (b_slots + INVOCATIONS - 1u) / INVOCATIONS; s++) {
        let slot = lid + s * INVOCATIONS;
        if ((b_slots % INVOCATIONS == 0u) | (slot < b_slots)) {
            let kb = slot / (TILE_N / 4u);
            let cols = slot % (TILE_N / 4u);
            tile_b[kb * (TILE_N / 4u) + cols] = gather_b4(z, k0 + kb, columns(z, col0 + 4u * cols));
        }
    }
}

// Row block i of A at step k0 + k: from the A tile, from the lane that
// loaded it (`loaded`: that lane's own block), or from the packed copy.
fn a_block(k0: u32, k: u32, y: u32, i: u32, loaded: vec4<f32>) -> vec4<f32> {
    let block = y + SIDE_Y * i;
    if (!DIRECT) {
        return tile_a[k * (TILE_M / 4u) + block];
    }
    if (SHARED_A) {
        return from_lane(loaded, i);
    }
    return packed_a[packed_base + block * packed_stride + k0 + k];
}

// The packed copy's row blocks per problem (M padded to whole tiles) and
// columns (K padded to a multiple of 16).
fn packed_row_blocks() -> u32 {
    return (product_size().x + TILE_M - 1u) / TILE_M * (TILE_M / 4u);
}

fn packed_k() -> u32 {
    return (product_size().z + 15u) / 16u * 16u;
}

fn packed_index(problem: u32, row_block: u32, k: u32) -> u32 {
    return (problem * packed_row_blocks() + row_block) * packed_k() + k;
}

// The pack_a entry point's work for vec4 i of problem z's packed copy: rows
// 4 rb..4 rb + 3 of A at column k, where i = rb * packed_k() + k (the grid
// may run past the last row block).
fn pack_a_block(z: u32, i: u32) {
    let row_block = i / packed_k();
    if (row_block < packed_row_blocks()) {
        let k = i - row_block * packed_k();
        let row = 4u * row_block;
        packing[packed_index(z, row_block, k)] = a_rows(z, row, k);
    }
}

// Packs problem z's A for a direct blocking: the workgroups of layer z of
// the grid, numbered flat (the grid spills into y past 65535), take 64
// consecutive vec4s each.
@compute @workgroup_size(64)
fn pack_a(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    p = params;
    pack_a_block(wid.z, flat_group(wid, nwg) * 64u + lid);
}

// Column block j of B at step k0 + k: from the B tile, or straight from B
// through the invocation's `columns` of block j.
fn b_column(z: u32, k0: u32, k: u32, x: u32, j: u32, columns: Columns) -> vec4<f32> {
    if (B_WITHOUT_TILE) {
        return gather_b4(z, k0 + k, columns);
    }
    return tile_b[k * (TILE_N / 4u) + x + SIDE_X * j];
}

// One row of accumulator blocks: c_j += a b_j^T for the column blocks j the
// invocation has.
fn update_row(
    c0: ptr<private, mat4x4<f32>>,
    c1: ptr<private, mat4x4<f32>>,
    c2: ptr<private, mat4x4<f32>>,
    c3: ptr<private, mat4x4<f32>>,
    a: vec4<f32>,
    b: mat4x4<f32>,
) {
    *c0 = rank1(*c0, a, b[0]);
    if (BLOCKS_N > 1u) {
        *c1 = rank1(*c1, a, b[1]);
    }
    if (BLOCKS_N > 2u) {
        *c2 = rank1(*c2, a, b[2]);
        *c3 = rank1(*c3, a, b[3]);
    }
}

// The invocation's multiply-adds over one step of BK, of which the first
// `steps` reach into A and B (all of them but in a last, partial step). The
// rest would only add products with the zeros outside A and B, each a load
// of B from its gather: a product with K = 1 (the outer product of dcgan28's
// D head input gradient) loaded B 16 times for every value it used.
fn multiply_tiles(z: u32, k0: u32, steps: u32, x: u32, y: u32) {
    for (var k = 0u; k < steps; k++) {
        // Column j of b is the invocation's column block j of B at this k.
        var b: mat4x4<f32>;
        b[0] = b_column(z, k0, k, x, 0u, columns0);
        if (BLOCKS_N > 1u) {
            b[1] = b_column(z, k0, k, x, 1u, columns1);
        }
        if (BLOCKS_N > 2u) {
            b[2] = b_column(z, k0, k, x, 2u, columns2);
            b[3] = b_column(z, k0, k, x, 3u, columns3);
        }
        // Where SHARED_A, the one row block this lane loads, through the
        // gather (see "Shared A").
        var loaded = vec4<f32>(0.0);
        if (SHARED_A) {
            loaded = a_rows(z, first_row + 4u * own_block, k0 + k);
        }
        update_row(&c00, &c01, &c02, &c03, a_block(k0, k, y, 0u, loaded), b);
        if (BLOCKS_M > 1u) {
            update_row(&c10, &c11, &c12, &c13, a_block(k0, k, y, 1u, loaded), b);
        }
        if (BLOCKS_M > 2u) {
            update_row(&c20, &c21, &c22, &c23, a_block(k0, k, y, 2u, loaded), b);
            update_row(&c30, &c31, &c32, &c33, a_block(k0, k, y, 3u, loaded), b);
        }
        if (BLOCKS_M > 4u) {
            update_row(&c40, &c41, &c42, &c43, a_block(k0, k, y, 4u, loaded), b);
            update_row(&c50, &c51, &c52, &c53, a_block(k0, k, y, 5u, loaded), b);
            update_row(&c60, &c61, &c62, &c63, a_block(k0, k, y, 6u, loaded), b);
            update_row(&c70, &c71, &c72, &c73, a_block(k0, k, y, 7u, loaded), b);
        }
    }
}

// Accumulates the workgroup's tile of C = A B for problem z into the
// invocation's accumulators, over the columns of A (rows of B) from k_begin
// up to k_end: all of them (0 to K), or one chunk of a product whose K was
// split over several workgroups (conv.wgsl's weight gradients). A chunk's
// length is a multiple of 16 (BK is 8 or 16), so no step reads into the next.
// ANCHOR: accumulate
fn accumulate(z: u32, tile: vec2<u32>, k_begin: u32, k_end: u32, local: vec2<u32>, lid: u32) {
    if (SHARED_A) {
        own_block = own_lane() % BLOCKS_M;
        first_row = tile.y * TILE_M;
    } else if (DIRECT) {
        packed_base = packed_index(packed_problem(z), tile.y * (TILE_M / 4u), 0u);
        packed_stride = packed_k();
    }
    if (B_WITHOUT_TILE) {
        let col0 = tile.x * TILE_N + 4u * local.x;
        columns0 = columns(z, col0);
        if (BLOCKS_N > 1u) {
            columns1 = columns(z, col0 + 4u * SIDE_X);
        }
        if (BLOCKS_N > 2u) {
            columns2 = columns(z, col0 + 8u * SIDE_X);
            columns3 = columns(z, col0 + 12u * SIDE_X);
        }
    }
    for (var k0 = k_begin; k0 < k_end; k0 += BK) {
        if (!DIRECT) {
            fill_tiles(z, tile.y * TILE_M, tile.x * TILE_N, k0, lid);
            workgroupBarrier();
        }
        multiply_tiles(z, k0, min(BK, k_end - k0), local.x, local.y);
        if (!DIRECT) {
            workgroupBarrier();
        }
    }
}
// ANCHOR_END: accumulate

// The parts of C's index from the 4 columns of the invocation's column
// block j, and from all of its column blocks (j0..j3, where BLOCKS_N has them).
fn block_columns(z: u32, tile: vec2<u32>, local: vec2<u32>, j: u32) -> vec4<u32> {
    let col = tile.x * TILE_N + 4u * (local.x + SIDE_X * j);
    return vec4<u32>(out_col(z, col), out_col(z, col + 1u), out_col(z, col + 2u), out_col(z, col + 3u));
}

struct TileColumns {
    j0: vec4<u32>,
    j1: vec4<u32>,
    j2: vec4<u32>,
    j3: vec4<u32>,
}

// What out_row gives for the 4 rows of a row block.
struct BlockRows {
    r0: RowPart,
    r1: RowPart,
    r2: RowPart,
    r3: RowPart,
}

// Hands four values of one row of C to the family: columns col..col + 3,
// whose parts of C's index are `columns`. With C_IN_VEC4 they are one vec4
// of C's storage.
fn store_values(z: u32, row: u32, col: u32, row_part: RowPart, columns: vec4<u32>, values: vec4<f32>) {
    if (C_IN_VEC4) {
        store_c4(z, row, col, row_part, columns.x, values);
    } else {
        for (var q = 0u; q < 4u; q++) {
            store_c(z, row, col + q, row_part, columns[q], values[q]);
        }
    }
}

// Hands the 16 values of accumulator block (i, j) to store_c.
fn store_block(z: u32, row: u32, col: u32, rows: BlockRows, block: mat4x4<f32>, columns: vec4<u32>) {
    store_values(z, row, col, rows.r0, columns, block[0]);
    store_values(z, row + 1u, col, rows.r1, columns, block[1]);
    store_values(z, row + 2u, col, rows.r2, columns, block[2]);
    store_values(z, row + 3u, col, rows.r3, columns, block[3]);
}

// Stores row i of accumulator blocks, with what out_row gives for each row
// found once for all of the row's blocks. (Splitting each value's index
// whole, as the first version did, was a fifth of a convolution's time when
// K is 16, dcgan28's 1-channel conv2d. Reading its bias per value was
// another fifth or more, even without a bias: lavapipe runs the body of
// `if (with_bias)`, and its load, either way.)
fn store_row(
    z: u32,
    tile: vec2<u32>,
    local: vec2<u32>,
    i: u32,
    c0: mat4x4<f32>,
    c1: mat4x4<f32>,
    c2: mat4x4<f32>,
    c3: mat4x4<f32>,
    columns: TileColumns,
) {
    let row = tile.y * TILE_M + 4u * (local.y + SIDE_Y * i);
    let rows = BlockRows(out_row(z, row), out_row(z, row + 1u), out_row(z, row + 2u), out_row(z, row + 3u));
    let col = tile.x * TILE_N + 4u * local.x;
    let step = 4u * SIDE_X;
    store_block(z, row, col, rows, c0, columns.j0);
    if (BLOCKS_N > 1u) {
        store_block(z, row, col + step, rows, c1, columns.j1);
    }
    if (BLOCKS_N > 2u) {
        store_block(z, row, col + 2u * step, rows, c2, columns.j2);
        store_block(z, row, col + 3u * step, rows, c3, columns.j3);
    }
}

// Writes the invocation's accumulators through store_c.
fn write_tile(z: u32, tile: vec2<u32>, local: vec2<u32>) {
    var columns: TileColumns;
    columns.j0 = block_columns(z, tile, local, 0u);
    if (BLOCKS_N > 1u) {
        columns.j1 = block_columns(z, tile, local, 1u);
    }
    if (BLOCKS_N > 2u) {
        columns.j2 = block_columns(z, tile, local, 2u);
        columns.j3 = block_columns(z, tile, local, 3u);
    }
    store_row(z, tile, local, 0u, c00, c01, c02, c03, columns);
    if (BLOCKS_M > 1u) {
        store_row(z, tile, local, 1u, c10, c11, c12, c13, columns);
    }
    if (BLOCKS_M > 2u) {
        store_row(z, tile, local, 2u, c20, c21, c22, c23, columns);
        store_row(z, tile, local, 3u, c30, c31, c32, c33, columns);
    }
    if (BLOCKS_M > 4u) {
        store_row(z, tile, local, 4u, c40, c41, c42, c43, columns);
        store_row(z, tile, local, 5u, c50, c51, c52, c53, columns);
        store_row(z, tile, local, 6u, c60, c61, c62, c63, columns);
        store_row(z, tile, local, 7u, c70, c71, c72, c73, columns);
    }
}
