// shape.wgsl — data movement: the strided copy behind permute, slice, pad,
// concat and expand, and a fill.
//
// `copy`: bindings 0 params, 1 src (read), 2 dst (write). One invocation moves
// a run of consecutive elements of an index space of shape `shape`
// (strided.wgsl's `Walk`): a flat index is split into per-dimension indices,
// which are weighted by the source strides and by the destination strides
// (plus a base offset for each). Permute swaps source
// strides, slice starts at an offset, pad and concat write into a window of a
// larger destination, and expand reads with stride 0.
//
// `fill`: bindings 0 params, 1 dst (write). dst[i] = value, four elements per
// invocation as one vec4 (a length not divisible by 4 is safe as in
// unary.wgsl: the last vec4 stays inside the buffer's 64-byte padding).

// p.header: (element count, source offset, destination offset, elements per
// invocation: see strided.wgsl's `Walk`).
// Space 0: the copied shape with the source strides; space 1: the same shape
// with the destination strides.
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn copy(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let first = (flat_group(wid, nwg) * 256u + lid) * p.header.w;
    let end = min(first + p.header.w, p.header.x);
    if (first >= end) {
        return;
    }
    // The base offsets read once: inside the loop each read of the binding
    // would be repeated per element.
    let src_base = p.header.y;
    let dst_base = p.header.z;
    var walk = walk_from(first);
    for (var i = first; i < end; i++) {
        dst[dst_base + walk.offsets.y] = src[src_base + walk.offsets.x];
        walk_step(&walk);
    }
}

// fill's parameters share the strided layout: header.x is the count and
// header.y the bits of the f32 value.
@group(0) @binding(1) var<storage, read_write> fill_dst: array<vec4<f32>>;

@compute @workgroup_size(256)
fn fill(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (4u * i < p.header.x) {
        fill_dst[i] = vec4<f32>(bitcast<f32>(p.header.y));
    }
}
