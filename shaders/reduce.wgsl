// reduce.wgsl — sum or max over any set of axes, deterministically.
//
// The host splits the input's dimensions into kept ones (they index the
// output) and reduced ones, merging neighbours of the same kind, and describes
// each group by its shape and input strides. Output element `o` reduces the
// `red_count` inputs at offset(o over kept) + offset(r over reduced), r = 0..red_count.
//
// Bindings: 0 params, 1 x (read), 2 y (write).
//
// `reduce`: each output's reduced range is dealt out to `chunks` invocations:
// chunk c takes elements c, c + chunks, c + 2 chunks, ... (about 64 of them),
// so neighbouring invocations read neighbouring values, and reduces them in
// order into y[o * chunks + c]. With chunks > 1 the host runs the same kernel
// again over those partials, until one value per output is left. The chunks
// depend only on the shapes, so the summation order, and the result, is the
// same on every run.
// Version 3: at most two reduced dims are walked without splitting each
// index (a per-channel sum of [64, 64, 14, 14] 4.6 -> 0.58 ms on lavapipe,
// row sums of [4096, 1024] 12.3 -> 2.1 ms). Version 2: chunks instead of
// version 1's workgroups of 256 threads that met in a tree of barriers and
// split indices with integer division (that per-channel sum: 15 -> 4.3 ms).

// The reduction is the pipeline constant OP: 0 sum, 1 max.
override OP: u32;

// p.header: (output count, reduced count, unused, chunks).
// Space 0: the kept dims with their input strides; space 1: the reduced dims.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// The largest finite f32: the identity of max (WGSL has no infinity literal).
// Written in hex, exactly: Chrome's WGSL compiler refuses the decimal -3.4028235e38,
// which lies just beyond the largest f32 before rounding.
const LOWEST: f32 = -0x1.fffffep+127f;

fn identity(op: u32) -> f32 {
    return select(0.0, LOWEST, op == 1u);
}

fn combine(op: u32, u: f32, v: f32) -> f32 {
    return select(u + v, max(u, v), op == 1u);
}

@compute @workgroup_size(256)
fn reduce(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let g = flat_group(wid, nwg) * 256u + lid;
    if (g >= p.header.x * p.header.w) {
        return;
    }
    let count = p.header.y;
    let chunks = p.header.w;
    let rank = p.spaces[1].rank;
    let base = space_offset(0u, g / chunks);
    let first = g % chunks;
    var acc = identity(OP);
    if (rank > 2u) {
        for (var r = first; r < count; r += chunks) {
            acc = combine(OP, acc, x[base + space_offset(1u, r)]);
        }
        y[g] = acc;
        return;
    }
    // At most two reduced dims (outer, inner), the usual case once
    // neighbours are merged (a per-channel sum of NCHW reduces [N, HW]): walk
    // them with a running digit pair. Splitting every r instead reads the
    // shape and strides from the binding and divides, for every element.
    let inner_dim = max(rank, 1u) - 1u;
    let inner_size = select(1u, p.spaces[1].shape[0][inner_dim], rank > 0u);
    let inner_stride = select(0u, p.spaces[1].strides[0][inner_dim], rank > 0u);
    let outer_stride = select(0u, p.spaces[1].strides[0][0], rank == 2u);
    let outer_step = chunks / inner_size;
    let inner_step = chunks % inner_size;
    var outer = first / inner_size;
    var inner = first % inner_size;
    for (var r = first; r < count; r += chunks) {
        acc = combine(OP, acc, x[base + outer * outer_stride + inner * inner_stride]);
        inner += inner_step;
        let carry = inner >= inner_size;
        inner = select(inner, inner - inner_size, carry);
        outer += outer_step + select(0u, 1u, carry);
    }
    y[g] = acc;
}
