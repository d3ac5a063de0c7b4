// reduce.wgsl — sum or max over any set of axes, deterministically.
//
// The host splits the input's dimensions into kept ones (they index the
// output) and reduced ones, merging neighbours of the same kind, and describes
// each group by its shape and input strides. Output element `o` reduces the
// `red_count` inputs at offset(o over kept) + offset(r over reduced), r = 0..red_count.
//
// Bindings: 0 params, 1 x (read), 2 y (write).
//
// `reduce_wide`: one workgroup of 256 threads per (output, chunk). The reduced
// range is cut into `chunks` chunks of `chunk_len`; thread t accumulates
// elements t, t+256, ... of its chunk, then the 256 partial values are
// combined pairwise in workgroup memory (a tree: 128, 64, ... 1). The result
// goes to y[o * chunks + chunk]. With chunks > 1 the host runs a second pass
// over those partials. Fixed chunking and a fixed tree make the summation
// order, and so the result, the same on every run.
//
// `reduce_narrow`: one thread per output, looping over its few reduced
// elements in order; used when there are many outputs and little to reduce.

// The reduction is the pipeline constant OP: 0 sum, 1 max.
override OP: u32;

// p.header: (output count, reduced count, chunk length, chunks).
// Space 0: the kept dims with their input strides; space 1: the reduced dims.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> partial: array<f32, 256>;

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
fn reduce_wide(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let group = flat_group(wid, nwg);
    // Every thread of a workgroup takes the same branch here, so the barriers
    // below stay in uniform control flow.
    if (group >= p.header.x * p.header.w) {
        return;
    }
    let o = group / p.header.w;
    let chunk = group % p.header.w;
    let base = space_offset(0u, o);
    let start = chunk * p.header.z;
    let end = min(start + p.header.z, p.header.y);
    var acc = identity(OP);
    for (var r = start + lid; r < end; r += 256u) {
        acc = combine(OP, acc, x[base + space_offset(1u, r)]);
    }
    partial[lid] = acc;
    workgroupBarrier();
    for (var half = 128u; half > 0u; half /= 2u) {
        if (lid < half) {
            partial[lid] = combine(OP, partial[lid], partial[lid + half]);
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        y[group] = partial[0];
    }
}

@compute @workgroup_size(256)
fn reduce_narrow(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let o = flat_group(wid, nwg) * 256u + lid;
    if (o >= p.header.x) {
        return;
    }
    let base = space_offset(0u, o);
    var acc = identity(OP);
    for (var r = 0u; r < p.header.y; r++) {
        acc = combine(OP, acc, x[base + space_offset(1u, r)]);
    }
    y[o] = acc;
}
