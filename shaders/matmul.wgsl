// matmul.wgsl — batched C[z] = op(A[z]) op(B[z]) on the tiled core of gemm.wgsl
// (compiled after it; read that file first).
//
// Bindings: 0 params, 1 A (read), 2 B (read), 3 C (write), 4 packed_a (read:
// A packed by pack_a for a direct blocking; A again for the others). The
// entry point pack_a (gemm.wgsl's) binds 0 params, 1 A, 2 packing (write).
// op(A) is M x K, op(B) is K x N, C is M x N. A and B are read through (row,
// column, batch) strides, so a transposed operand is just swapped strides, and
// a batch stride of 0 broadcasts one matrix over the batch. C is written
// through (row, column) strides (C[z] follows C[z - 1]), which lets the Rust
// side compute a thin C as C^T = B^T A^T. Workgroup (x, y, z) computes tile
// (x, y) of C[z]; the grid is (ceil(N / TILE_N), ceil(M / TILE_M), batch).
//
// The gathers return 0 outside the matrices, so ragged edges need no other
// care; the index of a value outside is replaced by 0 before the load, which
// keeps the load in bounds without a branch.
// Version 4: C written as vec4s where its rows allow (the core's C_IN_VEC4);
// version 3: pack_a, A packed for direct blockings; version 2: on the shared
// core (see gemm.wgsl for the version history).

struct Params {
    m: u32,
    n: u32,
    k: u32,
    pad0: u32,
    a_row: u32,
    a_col: u32,
    a_batch: u32,
    b_row: u32,
    b_col: u32,
    b_batch: u32,
    c_row: u32,
    c_col: u32,
}

@group(0) @binding(0) var<storage, read> params: Params;
// A private copy, made once at entry (see gemm.wgsl's header).
var<private> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
// C as vec4s, for the core's C_IN_VEC4 (ops/matmul.rs sets it where C's
// rows are N consecutive values, N a multiple of 4); one value is a component.
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> packed_a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> packing: array<vec4<f32>>;

fn gather_a(z: u32, row: u32, k: u32) -> f32 {
    let inside = (row < p.m) & (k < p.k);
    let index = z * p.a_batch + row * p.a_row + k * p.a_col;
    return select(0.0, a[select(0u, index, inside)], inside);
}

// Four columns of B: where their elements at k = 0 are, and which are inside B.
struct Columns {
    offset: vec4<u32>,
    inside: vec4<bool>,
}

fn columns(z: u32, col: u32) -> Columns {
    let cols = vec4<u32>(col) + vec4<u32>(0u, 1u, 2u, 3u);
    return Columns(z * p.b_batch + cols * p.b_col, cols < vec4<u32>(p.n));
}

fn gather_b4(z: u32, k: u32, columns: Columns) -> vec4<f32> {
    let inside = columns.inside & vec4<bool>(k < p.k);
    let index = select(vec4<u32>(0u), columns.offset + k * p.b_row, inside);
    return select(vec4<f32>(0.0), vec4<f32>(b[index.x], b[index.y], b[index.z], b[index.w]), inside);
}

fn product_size() -> vec3<u32> {
    return vec3<u32>(p.m, p.n, p.k);
}

// A batch stride of 0 broadcasts one A over the batch: it is packed once.
fn packed_problem(z: u32) -> u32 {
    return select(z, 0u, p.a_batch == 0u);
}

// What store_c needs from C's row: its part of C's index.
alias RowPart = u32;

fn out_row(z: u32, row: u32) -> RowPart {
    return z * p.m * p.n + row * p.c_row;
}

fn out_col(z: u32, col: u32) -> u32 {
    return col * p.c_col;
}

fn store_c(z: u32, row: u32, col: u32, row_part: RowPart, col_part: u32, value: f32) {
    if ((row < p.m) & (col < p.n)) {
        let index = row_part + col_part;
        c[index / 4u][index % 4u] = value;
    }
}

fn store_c4(z: u32, row: u32, col: u32, row_part: RowPart, col_part: u32, values: vec4<f32>) {
    if ((row < p.m) & (col < p.n)) {
        c[(row_part + col_part) / 4u] = values;
    }
}

@compute @workgroup_size(SIDE_X, SIDE_Y)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    p = params;
    // The loop bound comes from the binding, not the private copy: the loop
    // holds barriers, and WebGPU's compilers (Chrome's Tint) accept a barrier
    // only under a bound every invocation provably shares, which a read-only
    // binding is and a private variable is not.
    accumulate(wid.z, wid.xy, 0u, params.k, local.xy, lid);
    write_tile(wid.z, wid.xy, local.xy);
}
