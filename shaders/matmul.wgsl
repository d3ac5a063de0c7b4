// matmul.wgsl — batched C[b] = A[b] x B[b], tiled and register-blocked.
//
// Bindings: 0 params, 1 A (read), 2 B (read), 3 C (write).
// A is M x K, B is K x N, C is M x N (row-major, contiguous). A and B are read
// through (row, column, batch) strides, so a transposed operand is just swapped
// strides, and a batch stride of 0 broadcasts one matrix over the batch.
//
// Each workgroup computes a 64 x 64 block of C; its 16 x 16 threads each own a
// 4 x 4 block of that, held in registers. The K dimension is walked in steps of
// BK = 16: the workgroup first copies a 64 x 16 slice of A and a 16 x 64 slice
// of B into workgroup memory (4 values each per thread, zero outside the
// matrix so ragged edges need no other care), then every thread does
// 16 x (4 x 4) multiply-adds from there. Each value loaded from global memory is
// thus used 64 times. Thread (tx, ty) owns rows ty + 16 i and columns tx + 16 j,
// so neighbouring threads read neighbouring addresses.
// Version 1.

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
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

const BM: u32 = 64u;
const BN: u32 = 64u;
const BK: u32 = 16u;

var<workgroup> tile_a: array<f32, 1024>; // [BK][BM]: tile_a[k * BM + m]
var<workgroup> tile_b: array<f32, 1024>; // [BK][BN]: tile_b[k * BN + n]

@compute @workgroup_size(16, 16)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let batch = wid.z;
    let row0 = wid.y * BM;
    let col0 = wid.x * BN;
    let a_base = batch * p.a_batch;
    let b_base = batch * p.b_batch;

    var acc: array<f32, 16>;
    for (var t = 0u; t < 16u; t++) {
        acc[t] = 0.0;
    }

    for (var k0 = 0u; k0 < p.k; k0 += BK) {
        // Cooperative load: element e = lid + 256 s of each 1024-value tile.
        for (var s = 0u; s < 4u; s++) {
            let e = lid + 256u * s;
            // A tile: m fastest, so the 64 rows of one k are adjacent in tile_a.
            let am = e % BM;
            let ak = e / BM;
            let row = row0 + am;
            let ka = k0 + ak;
            var va = 0.0;
            if (row < p.m && ka < p.k) {
                va = a[a_base + row * p.a_row + ka * p.a_col];
            }
            tile_a[ak * BM + am] = va;
            // B tile: n fastest.
            let bn = e % BN;
            let bk = e / BN;
            let col = col0 + bn;
            let kb = k0 + bk;
            var vb = 0.0;
            if (col < p.n && kb < p.k) {
                vb = b[b_base + kb * p.b_row + col * p.b_col];
            }
            tile_b[bk * BN + bn] = vb;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < BK; kk++) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i++) {
                av[i] = tile_a[kk * BM + local.y + 16u * i];
                bv[i] = tile_b[kk * BN + local.x + 16u * i];
            }
            for (var i = 0u; i < 4u; i++) {
                for (var j = 0u; j < 4u; j++) {
                    acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }

    let c_base = batch * p.m * p.n;
    for (var i = 0u; i < 4u; i++) {
        let row = row0 + local.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + local.x + 16u * j;
            if (row < p.m && col < p.n) {
                c[c_base + row * p.n + col] = acc[i * 4u + j];
            }
        }
    }
}
