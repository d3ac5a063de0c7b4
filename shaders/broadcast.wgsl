// broadcast.wgsl — elementwise functions of two or three tensors with NumPy
// broadcasting: out[i] = f(a[.], b[.], c[.]); among them a gradient `a`
// carried back through a leaky ReLU whose slope is read off `b`'s sign.
//
// Bindings: 0 params, 1 a, 2 b, 3 c (read), 4 out (write). Binary ops bind a
// again as c and ignore it. One invocation computes a run of consecutive
// output elements (p.header.w of them: strided.wgsl's `Walk`). The first's
// flat index is split into per-dimension indices of the output shape; each
// input is addressed with its own strides, which are 0 along broadcast
// dimensions, so all outputs along such a dimension read the same input value.
// The host merges dimensions that are contiguous for every operand first, so
// the common same-shape case runs with rank 1 (no division at all).
//
// `vector` is the fast path for that common case: after merging, every operand
// is either contiguous with the output (stride 1) or a single value (stride 0).
// One invocation then computes four consecutive outputs as one vec4 (see
// unary.wgsl for why the tail of a length not divisible by 4 is safe).
//
// `rows` is the fast path for the next most common case, a per-row or
// per-channel operand: a bias or a scale [1, C, 1, 1] over [N, C, H, W]. After
// merging, every operand's innermost dimension has stride 1 or 0 and its
// length is a multiple of 4, so four consecutive outputs lie in one row, and
// each operand holds them either as four consecutive values or as one value.
// One invocation computes a run of such vec4s. The host describes each operand in
// its own unit: vec4s for one of stride 1 (its other strides are multiples of
// the row length, so they divide by 4), floats for one of stride 0; the
// spaces walk the output in vec4s, which makes p.header.x the vec4 count.

// The function is the pipeline constant OP (one pipeline per op).
override OP: u32;

// p.header.x: element count; p.header.y: the bits of the op's number, for
// the op that takes one (13). Spaces 0, 1, 2: the output shape with the
// strides of a, b and c.
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// The same buffers seen four values at a time, for `vector`.
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> c4: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out4: array<vec4<f32>>;

fn as_float(t: vec4<bool>) -> vec4<f32> {
    return select(vec4<f32>(0.0), vec4<f32>(1.0), t);
}

// Works on four elements at once; the scalar kernel passes splats and keeps .x.
fn apply(op: u32, u: vec4<f32>, v: vec4<f32>, w: vec4<f32>) -> vec4<f32> {
    switch op {
        case 0u: { return u + v; }
        case 1u: { return u - v; }
        case 2u: { return u * v; }
        case 3u: { return u / v; }
        case 4u: { return max(u, v); }
        case 5u: { return min(u, v); }
        case 6u: { return as_float(u > v); }
        case 7u: { return as_float(u >= v); }
        case 8u: { return as_float(u < v); }
        case 9u: { return as_float(u <= v); }
        case 10u: { return as_float(u == v); }
        case 11u: { return as_float(u != v); }
        case 12u: { return select(w, v, u != vec4<f32>(0.0)); } // where(a, b, c)
        // A gradient u through a leaky ReLU whose slope below 0 is
        // p.header.y's bits: u where v > 0, else u times the slope.
        case 13u: { return u * select(vec4<f32>(bitcast<f32>(p.header.y)), vec4<f32>(1.0), v > vec4<f32>(0.0)); }
        default: { return u; }
    }
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let first = (flat_group(wid, nwg) * 256u + lid) * p.header.w;
    let end = min(first + p.header.w, p.header.x);
    if (first >= end) {
        return;
    }
    var walk = walk_from(first);
    for (var i = first; i < end; i++) {
        let at = walk.offsets;
        out[i] = apply(OP, vec4<f32>(a[at.x]), vec4<f32>(b[at.y]), vec4<f32>(c[at.z])).x;
        walk_step(&walk);
    }
}

// Four consecutive elements of an operand with stride 1, or its single value
// repeated when its stride is 0.
fn load4(values: vec4<f32>, single: f32, stride: u32) -> vec4<f32> {
    return select(vec4<f32>(single), values, stride == 1u);
}

@compute @workgroup_size(256)
fn vector(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i * 4u >= p.header.x) {
        return;
    }
    let u = load4(a4[i], a4[0].x, p.spaces[0].strides[0][0]);
    let v = load4(b4[i], b4[0].x, p.spaces[1].strides[0][0]);
    let w = load4(c4[i], c4[0].x, p.spaces[2].strides[0][0]);
    out4[i] = apply(OP, u, v, w);
}

// The stride of space s along its innermost dimension (1 or 0 in `rows`).
fn inner_stride(s: u32) -> u32 {
    let d = p.spaces[s].rank - 1u;
    return p.spaces[s].strides[d / 4u][d % 4u];
}

// An operand's four values in `rows`: the loaded vec4 itself when the operand
// has stride 1, else its component `at % 4` repeated.
fn spread(loaded: vec4<f32>, at: u32, whole: bool) -> vec4<f32> {
    return select(vec4<f32>(loaded[at % 4u]), loaded, whole);
}

@compute @workgroup_size(256)
fn rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let first = (flat_group(wid, nwg) * 256u + lid) * p.header.w;
    let end = min(first + p.header.w, p.header.x);
    if (first >= end) {
        return;
    }
    // An operand of stride 1 is read as a vec4 (its offset counts vec4s), one
    // of stride 0 as a single value (its offset counts floats: component
    // offset % 4 of vec4 offset / 4, since one entry point may see a buffer
    // through one view only). Either way it is one vec4 load: choosing
    // between two loads with a branch made a CPU driver do both.
    let whole = vec3<u32>(inner_stride(0u), inner_stride(1u), inner_stride(2u)) == vec3<u32>(1u);
    var walk = walk_from(first);
    for (var i = first; i < end; i++) {
        let at = walk.offsets;
        let index = select(at / 4u, at, whole);
        let u = spread(a4[index.x], at.x, whole.x);
        let v = spread(b4[index.y], at.y, whole.y);
        let w = spread(c4[index.z], at.z, whole.z);
        out4[i] = apply(OP, u, v, w);
        walk_step(&walk);
    }
}
