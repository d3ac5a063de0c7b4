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
// Version 2. Version 1 gave long reductions workgroups of 256 threads that met
// in a tree of barriers, and split indices with integer division; on lavapipe
// a per-channel sum of [64, 64, 14, 14] took 15 ms (0.2 GB/s), now 4.3 ms.

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
    let o = g / p.header.w;
    let base = space_offset(0u, o);
    var acc = identity(OP);
    for (var r = g % p.header.w; r < p.header.y; r += p.header.w) {
        acc = combine(OP, acc, x[base + space_offset(1u, r)]);
    }
    y[g] = acc;
}
