// broadcast.wgsl — elementwise functions of two or three tensors with NumPy
// broadcasting: out[i] = f(a[.], b[.], c[.]).
//
// Bindings: 0 params, 1 a, 2 b, 3 c (read), 4 out (write). Binary ops bind a
// again as c and ignore it. One invocation computes one output element. Its
// flat index is split into per-dimension indices of the output shape; each
// input is addressed with its own strides, which are 0 along broadcast
// dimensions, so all outputs along such a dimension read the same input value.
// The host merges dimensions that are contiguous for every operand first, so
// the common same-shape case runs with rank 1 (no division at all).

// The function is the pipeline constant OP (one pipeline per op).
override OP: u32;

// p.header.x: element count. Spaces 0, 1, 2: the output shape with the
// strides of a, b and c.
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> c: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

fn as_float(t: bool) -> f32 {
    return select(0.0, 1.0, t);
}

fn apply(op: u32, u: f32, v: f32, w: f32) -> f32 {
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
        case 12u: { return select(w, v, u != 0.0); } // where(a, b, c)
        default: { return u; }
    }
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.header.x) {
        return;
    }
    out[i] = apply(OP, a[space_offset(0u, i)], b[space_offset(1u, i)], c[space_offset(2u, i)]);
}
